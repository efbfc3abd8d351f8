// Certificates of TLS routes, one per domain on a router: obtained with lego
// (ACME, HTTP-01 answered by the router's own nginx) or given by the operator.
// A recorded 'cert install' command puts one on the router as
// ROUTER_DIR/tls/DOMAIN/SERIAL.{crt,key}; its after-run step records it and
// points the router's server block at it. A router whose nginx refuses the
// new configuration keeps serving the previous certificate.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "routing/routing.hpp"

namespace hostctl::routing {

struct Certificate {
  int64_t router_id = 0;
  std::string router, domain, source, issuer, serial, not_after, installed_at;
};
std::vector<Certificate> list_certificates(catalog::Catalog& catalog);

// Refuses a TLS route the router cannot serve: no HTTPS listener, no ACME
// server configured, or an operator's key that does not match its certificate.
void check_tls_route(run::Ops& ops, const model::Host& router, const RouteInput& input);

// Installs a certificate for `domain` on the router: the operator's when
// cert_pem is given, else a new one from the ACME server.
Failure obtain_certificate(run::Ops& ops, int64_t router_id, const std::string& domain, const std::string& cert_pem,
                           const std::string& key_pem);

// Puts a domain's certificate back on a router that lost its files (host
// verify --repair): a new one from ACME, or the operator's last one again.
// It only records it: the caller syncs the router once all are back, since
// nginx refuses a configuration while any certificate it names is missing.
Failure restore_certificate(run::Ops& ops, int64_t router_id, const std::string& domain);

// The after-run steps: 'cert install' records the certificate and points the
// router at it (or back at the previous one); 'cert restore' only records it.
std::optional<Error> after_cert_install(run::Ops& ops, const run::CommandView& command);
std::optional<Error> after_cert_restore(run::Ops& ops, const run::CommandView& command);

// queue run certs: obtains a certificate for every ACME domain that has none
// or whose certificate expires within ops.tls.renew_days. Failed command ids.
std::vector<int64_t> renew_due(run::Ops& ops, int& ran);

// doctor and host verify name certificates this close to expiry.
inline constexpr int64_t kCertificateWarnDays = 14;

// Certificates expired or expiring within `days` of `now`, as sentences (of
// one router when router_id is set): for doctor and host verify.
std::vector<std::string> expiring_certificates(catalog::Catalog& catalog, int64_t now, int64_t days,
                                               std::optional<int64_t> router_id = std::nullopt);

}  // namespace hostctl::routing
