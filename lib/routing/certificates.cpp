#include "routing/certificates.hpp"

#include <fmt/format.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <map>
#include <set>
#include <tuple>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/file.hpp"
#include "core/library.hpp"
#include "run/command.hpp"
#include "secrets/secrets.hpp"

namespace hostctl::routing {
namespace {

// Gets the certificate (from lego, or the operator's from the environment),
// checks its key matches before nginx sees either, and stores both under the
// certificate's serial; reports what it installed.
constexpr const char* kInstallScript = R"sh(set -u
fail() { echo "$*" >&2; exit 3; }
command -v openssl >/dev/null 2>&1 || fail "the router has no openssl (Debian package openssl)"
umask 077
tls=$HOSTCTL_ROUTER_DIR/tls
dir=$tls/$HOSTCTL_DOMAIN
mkdir -p "$dir" || exit 3
work=$(mktemp -d) || exit 3
trap 'rm -rf "$work"' EXIT
if [ "$HOSTCTL_TLS_SOURCE" = acme ]; then
  command -v lego >/dev/null 2>&1 || fail "the router has no lego (Debian package lego)"
  # The challenge directory is served by nginx, which may run as another user.
  (umask 022 && mkdir -p "$HOSTCTL_ROUTER_DIR/acme") || exit 3
  set -- --server "$HOSTCTL_ACME_DIRECTORY" --accept-tos --path "$tls/lego" --domains "$HOSTCTL_DOMAIN" \
    --http --http.webroot "$HOSTCTL_ROUTER_DIR/acme"
  [ -z "$HOSTCTL_ACME_EMAIL" ] || set -- "$@" --email "$HOSTCTL_ACME_EMAIL"
  if [ -n "$HOSTCTL_ACME_CA" ]; then
    printf '%s\n' "$HOSTCTL_ACME_CA" > "$work/ca.pem"
    export LEGO_CA_CERTIFICATES="$work/ca.pem"
  fi
  lego "$@" run 2>&1 || fail "lego could not obtain a certificate for $HOSTCTL_DOMAIN from $HOSTCTL_ACME_DIRECTORY"
  cp "$tls/lego/certificates/$HOSTCTL_DOMAIN.crt" "$work/cert.pem" || exit 3
  cp "$tls/lego/certificates/$HOSTCTL_DOMAIN.key" "$work/key.pem" || exit 3
else
  printf '%s\n' "$HOSTCTL_TLS_CERT" > "$work/cert.pem"
  printf '%s\n' "$HOSTCTL_TLS_KEY" > "$work/key.pem"
fi
cert_key=$(openssl x509 -noout -pubkey -in "$work/cert.pem") || fail "not a PEM certificate"
key=$(openssl pkey -pubout -in "$work/key.pem" 2>/dev/null) || fail "not a PEM private key"
[ "$cert_key" = "$key" ] || fail "the private key does not match the certificate"
serial=$(openssl x509 -noout -serial -in "$work/cert.pem" | sed 's/^serial=//')
cp "$work/cert.pem" "$dir/$serial.crt.new" && cp "$work/key.pem" "$dir/$serial.key.new" || exit 3
mv "$dir/$serial.crt.new" "$dir/$serial.crt" && mv "$dir/$serial.key.new" "$dir/$serial.key" || exit 3
# The server block names one pair; the three newest stay, so the previous one is there to go back to.
ls -t "$dir"/*.crt | tail -n +4 | while read -r old; do rm -f "$old" "${old%.crt}.key"; done
echo "@hostctl set source=$HOSTCTL_TLS_SOURCE"
echo "@hostctl set serial=$serial"
echo "@hostctl set not_after=$(openssl x509 -noout -enddate -dateopt iso_8601 -in "$work/cert.pem" | sed 's/^notAfter=//; s/ /T/')"
echo "@hostctl set issuer=$(openssl x509 -noout -issuer -nameopt RFC2253 -in "$work/cert.pem" | sed 's/^issuer=//')"
echo "installed the certificate for $HOSTCTL_DOMAIN, serial $serial"
)sh";

#define HOSTCTL_LIBCRYPTO_FUNCTIONS(X) \
  X(BIO_new_mem_buf)                   \
  X(BIO_free)                          \
  X(PEM_read_bio_X509)                 \
  X(PEM_read_bio_PrivateKey)           \
  X(X509_check_private_key)            \
  X(X509_cmp_current_time)             \
  X(X509_get0_notAfter)                \
  X(X509_get0_notBefore)               \
  X(X509_free)                         \
  X(EVP_PKEY_free)

constexpr const char* kLibCrypto = "libcrypto.so.3";

struct LibCrypto {
#define HOSTCTL_DECLARE(name) decltype(&::name) name = nullptr;
  HOSTCTL_LIBCRYPTO_FUNCTIONS(HOSTCTL_DECLARE)
#undef HOSTCTL_DECLARE
};

const LibCrypto& libcrypto() {
  static const LibCrypto api = [] {
    void* handle = load_library(kLibCrypto, "libssl3");
    LibCrypto loaded;
#define HOSTCTL_RESOLVE(name) \
  loaded.name = reinterpret_cast<decltype(&::name)>(library_symbol(handle, kLibCrypto, #name));
    HOSTCTL_LIBCRYPTO_FUNCTIONS(HOSTCTL_RESOLVE)
#undef HOSTCTL_RESOLVE
    return loaded;
  }();
  return api;
}

std::vector<Certificate> certificates_where(catalog::Catalog& catalog, const std::string& where,
                                            const std::string& value) {
  catalog::Statement q(catalog.db(),
                       "SELECT c.router_id, h.name, c.domain, c.source, c.issuer, c.serial, c.not_after, "
                       "c.installed_at FROM certificate c JOIN host h ON h.id = c.router_id " +
                          where + " ORDER BY h.name, c.domain");
  if (!value.empty()) q.bind(1, value);
  std::vector<Certificate> out;
  while (q.executeStep())
    out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getString(), q.getColumn(2).getString(),
                   q.getColumn(3).getString(), q.getColumn(4).getString(), q.getColumn(5).getString(),
                   q.getColumn(6).getString(), q.getColumn(7).getString()});
  return out;
}

std::optional<Certificate> certificate_of(catalog::Catalog& catalog, int64_t router_id, const std::string& domain) {
  for (auto& c : certificates_where(catalog, "WHERE c.domain = ?1", domain))
    if (c.router_id == router_id) return c;
  return std::nullopt;
}

// The CAs lego trusts for the ACME server ("" : the system's), from acme_ca_bundle.
std::string acme_ca(const run::Ops& ops) {
  if (ops.tls.ca_bundle.empty()) return {};
  auto text = read_file(ops.tls.ca_bundle);
  if (!text) throw Error(ErrorKind::Usage, fmt::format("acme_ca_bundle: cannot read '{}'", ops.tls.ca_bundle));
  return *text;
}

// What a 'cert install' or 'cert restore' runs on the router.
run::CommandSpec install_spec(run::Ops& ops, const std::string& action, const model::Host& router,
                              const std::string& domain, const std::string& cert_pem, const std::string& key_pem) {
  run::TaskSpec task;
  task.host_id = router.id;
  task.host_name = router.name;
  task.name = "certificate";
  task.script = kInstallScript;
  task.timeout = 180;
  task.env = {{"HOSTCTL_ROUTER_DIR", router.router_dir}, {"HOSTCTL_DOMAIN", domain}};
  if (cert_pem.empty()) {
    std::string ca = acme_ca(ops);
    task.env.insert(task.env.end(), {{"HOSTCTL_TLS_SOURCE", "acme"},
                                     {"HOSTCTL_ACME_DIRECTORY", ops.tls.acme_directory},
                                     {"HOSTCTL_ACME_EMAIL", ops.tls.acme_email},
                                     {"HOSTCTL_ACME_CA", ca}});
  } else {
    task.env.insert(task.env.end(), {{"HOSTCTL_TLS_SOURCE", "manual"},
                                     {"HOSTCTL_TLS_CERT", cert_pem},
                                     {"HOSTCTL_TLS_KEY", key_pem},
                                     {run::kSecretsVariable, "HOSTCTL_TLS_KEY"}});
  }
  return run::CommandSpec{action, "certificate", domain, {task}};
}

// Runs a 'cert install' (or, with action 'cert restore', one that only
// records what it installed); its command id in `command_id`.
Failure install(run::Ops& ops, const model::Host& router, const std::string& domain, const std::string& cert_pem,
                const std::string& key_pem, int64_t& command_id, const std::string& action = "cert install") {
  // The challenge must be served before the ACME server asks for it: a
  // renewal finds it served since the first certificate.
  if (cert_pem.empty() && (!certificate_of(ops.catalog, router.id, domain) || !router_synced(ops.catalog, router.id)))
    if (auto error = sync_router(ops, router.id)) return error;
  command_id = run::begin_command(ops.catalog, install_spec(ops, action, router, domain, cert_pem, key_pem));
  ops.say(fmt::format("{} for {} on router '{}': command {}", action, domain, router.name, command_id));
  auto summary = run::execute(ops, command_id);
  if (summary.after_error) return summary.after_error;
  if (summary.status == run::kCompleted) return std::nullopt;
  return Error(run::failure_kind(summary), run::failure_report(ops.catalog, command_id, summary.failed_task, 3),
               fmt::format("'hostctl task retry {}' tries again", command_id));
}

void save_certificate(catalog::Catalog& catalog, const Certificate& c) {
  catalog::Write write(catalog, "");
  catalog::Statement st(catalog.db(),
                        "INSERT INTO certificate(router_id, domain, source, issuer, serial, not_after, installed_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(router_id, domain) DO UPDATE SET "
                        "source = excluded.source, issuer = excluded.issuer, serial = excluded.serial, "
                        "not_after = excluded.not_after, installed_at = excluded.installed_at");
  st.bind(1, c.router_id);
  st.bind(2, c.domain);
  st.bind(3, c.source);
  st.bind(4, c.issuer);
  st.bind(5, c.serial);
  st.bind(6, c.not_after);
  st.bind(7, c.installed_at);
  st.exec();
  write.commit();
}

void forget_certificate(catalog::Catalog& catalog, int64_t router_id, const std::string& domain) {
  catalog::Write write(catalog, "");
  catalog::Statement st(catalog.db(), "DELETE FROM certificate WHERE router_id = ? AND domain = ?");
  st.bind(1, router_id);
  st.bind(2, domain);
  st.exec();
  write.commit();
}


// "" when the PEM certificate is valid now and the PEM key is its key, else what is wrong.
std::string check_key_pair(const std::string& cert_pem, const std::string& key_pem) {
  const LibCrypto& c = libcrypto();
  BIO* cert_bio = c.BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  BIO* key_bio = c.BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  X509* cert = cert_bio ? c.PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr) : nullptr;
  // No passphrase callback: an encrypted key is refused rather than prompted for.
  EVP_PKEY* key = key_bio ? c.PEM_read_bio_PrivateKey(key_bio, nullptr, [](char*, int, int, void*) { return 0; },
                                                        nullptr)
                          : nullptr;
  std::string problem;
  if (!cert)
    problem = "the certificate file holds no PEM certificate";
  else if (!key)
    problem = "the key file holds no unencrypted PEM private key";
  else if (c.X509_check_private_key(cert, key) != 1)
    problem = "the private key does not match the certificate";
  else if (c.X509_cmp_current_time(c.X509_get0_notAfter(cert)) <= 0)
    problem = "the certificate has expired";
  else if (c.X509_cmp_current_time(c.X509_get0_notBefore(cert)) > 0)
    problem = "the certificate is not valid yet";
  if (key) c.EVP_PKEY_free(key);
  if (cert) c.X509_free(cert);
  if (key_bio) c.BIO_free(key_bio);
  if (cert_bio) c.BIO_free(cert_bio);
  return problem;
}

}  // namespace

std::vector<Certificate> list_certificates(catalog::Catalog& catalog) { return certificates_where(catalog, "", ""); }

void check_tls_route(run::Ops& ops, const model::Host& router, const RouteInput& input) {
  if (router.https_listen.empty())
    throw Error(ErrorKind::Refused, fmt::format("router '{}' serves no HTTPS", router.name),
                fmt::format("hostctl host edit {} --https-listen 443", router.name));
  if (input.tls == "acme" && ops.tls.acme_directory.empty())
    throw Error(ErrorKind::Refused, "no ACME server is configured for --tls acme",
                "hostctl config set acme_directory https://... (and acme_email)");
  if (input.tls == "acme") acme_ca(ops);  // refused here, before anything is written
  if (input.tls == "manual")
    if (auto problem = check_key_pair(input.cert_pem, input.key_pem); !problem.empty())
      throw Error(ErrorKind::Usage, fmt::format("--tls-cert/--tls-key refused: {}", problem));
}

Failure obtain_certificate(run::Ops& ops, int64_t router_id, const std::string& domain, const std::string& cert_pem,
                           const std::string& key_pem) {
  int64_t command_id = 0;
  return install(ops, model::get_host(ops.catalog, std::to_string(router_id)), domain, cert_pem, key_pem, command_id);
}

Failure restore_certificate(run::Ops& ops, int64_t router_id, const std::string& domain) {
  auto current = certificate_of(ops.catalog, router_id, domain);
  auto router = model::get_host(ops.catalog, std::to_string(router_id));
  int64_t command_id = 0;
  if (!current || current->source == "acme") return install(ops, router, domain, "", "", command_id, "cert restore");
  // The operator's pair is in the environment of the command that installed it.
  std::map<std::string, std::string> vars;
  {  // read before the install begins its own write
    catalog::Statement q(ops.catalog.db(),
                         "SELECT t.env FROM task t JOIN command c ON c.id = t.command_id JOIN directive d ON "
                         "d.task_id = t.id AND d.kind = 'set' AND d.key = 'serial' WHERE c.action IN ('cert install', "
                         "'cert restore') AND c.object_name = ? AND c.status = ? AND t.host_id = ? AND d.value = ? "
                         "ORDER BY c.id DESC LIMIT 1");
    q.bind(1, domain);
    q.bind(2, run::kCompleted);
    q.bind(3, router_id);
    q.bind(4, current->serial);
    if (q.executeStep()) {
      auto env = nlohmann::json::parse(q.getColumn(0).getString(), nullptr, false);
      if (env.is_array())
        for (const auto& pair : env)
          if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string()) {
            std::string value = pair[1].get<std::string>();  // the key is kept sealed
            vars[pair[0].get<std::string>()] = secrets::is_sealed(value) ? secrets::unseal(ops.catalog, value) : value;
          }
    }
  }
  if (vars["HOSTCTL_TLS_SOURCE"] == "manual")
    return install(ops, router, domain, vars["HOSTCTL_TLS_CERT"], vars["HOSTCTL_TLS_KEY"], command_id, "cert restore");
  return Error(ErrorKind::NotFound, fmt::format("the operator's certificate for {} is no longer in the catalog", domain),
               "install it again with 'hostctl route cert ROUTE --tls-cert FILE --tls-key FILE'");
}

namespace {

// What a completed 'cert install' or 'cert restore' put on the router, from its report.
std::optional<Certificate> installed_by(run::Ops& ops, const run::CommandView& command, std::optional<Error>& error) {
  if (command.status != run::kCompleted || command.tasks.empty()) return std::nullopt;
  const auto& task = command.tasks.front();
  auto router = model::get_host(ops.catalog, task.host_name);
  Certificate installed{router.id, router.name, command.object_name, "", "", "", "", now_utc()};
  {
    catalog::Statement facts(ops.catalog.db(), "SELECT key, value FROM directive WHERE task_id = ? AND kind = 'set'");
    facts.bind(1, task.id);
    while (facts.executeStep()) {
      std::string key = facts.getColumn(0).getString(), value = facts.getColumn(1).getString();
      if (key == "source") installed.source = value;
      if (key == "serial") installed.serial = value;
      if (key == "not_after") installed.not_after = value;
      if (key == "issuer") installed.issuer = value;
    }
  }
  if (!installed.serial.empty() && !installed.not_after.empty()) return installed;
  error = Error(ErrorKind::RemoteFailed,
                fmt::format("{} (command {}) did not report the certificate it installed", command.action, command.id));
  return std::nullopt;
}

}  // namespace

std::optional<Error> after_cert_restore(run::Ops& ops, const run::CommandView& command) {
  std::optional<Error> error;
  if (auto installed = installed_by(ops, command, error)) save_certificate(ops.catalog, *installed);
  return error;
}

std::optional<Error> after_cert_install(run::Ops& ops, const run::CommandView& command) {
  std::optional<Error> error;
  auto installed_now = installed_by(ops, command, error);
  if (!installed_now) return error;
  const Certificate& installed = *installed_now;
  auto router = model::get_host(ops.catalog, std::to_string(installed.router_id));
  const std::string& domain = installed.domain;
  auto previous = certificate_of(ops.catalog, router.id, domain);
  save_certificate(ops.catalog, installed);
  std::vector<Route> routes;
  for (const auto& r : list_routes(ops.catalog, std::nullopt))
    if (r.router_id == router.id && r.domain == domain && r.active) routes.push_back(r);
  error = routes.empty() ? sync_router(ops, router.id) : sync_and_check(ops, router.id, routes);
  if (!error) return std::nullopt;
  // Back to the certificate nginx still serves: the catalog says what the router holds.
  if (previous)
    save_certificate(ops.catalog, *previous);
  else
    forget_certificate(ops.catalog, router.id, domain);
  std::string message = fmt::format("the router did not take the new certificate for {}: {}", domain, error->what());
  if (previous) message += fmt::format("\nit keeps serving the previous one (serial {})", previous->serial);
  if (sync_router(ops, router.id))
    message += fmt::format("\nsyncing the router back failed too: once its nginx accepts its configuration, "
                           "'hostctl host verify {} --repair' syncs it",
                           router.name);
  return Error(error->kind(), message);
}

std::vector<int64_t> renew_due(run::Ops& ops, int& ran) {
  const std::string limit = format_utc(now_epoch() + ops.tls.renew_days * 86400);
  struct Due {
    int64_t router_id;
    std::string domain;
    bool operator<(const Due& o) const { return std::tie(router_id, domain) < std::tie(o.router_id, o.domain); }
  };
  std::set<Due> due;
  for (const auto& r : list_routes(ops.catalog, std::nullopt))
    if (r.tls == "acme" && r.router_id) due.insert({*r.router_id, r.domain});
  std::vector<int64_t> failed;
  for (const auto& d : due) {
    auto current = certificate_of(ops.catalog, d.router_id, d.domain);
    if (current && current->not_after > limit) continue;
    auto router = model::get_host(ops.catalog, std::to_string(d.router_id));
    ops.say(current ? fmt::format("renewing the certificate for {} on '{}' (expires {})", d.domain, router.name,
                                  current->not_after)
                    : fmt::format("obtaining a certificate for {} on '{}'", d.domain, router.name));
    int64_t command_id = 0;
    ++ran;
    if (auto error = install(ops, router, d.domain, "", "", command_id)) {
      ops.say(error->what());
      if (command_id) failed.push_back(command_id);
    }
  }
  return failed;
}

std::vector<std::string> expiring_certificates(catalog::Catalog& catalog, int64_t now, int64_t days,
                                               std::optional<int64_t> router_id) {
  const std::string at = format_utc(now), limit = format_utc(now + days * 86400);
  std::vector<std::string> out;
  for (const auto& c : list_certificates(catalog)) {
    if (router_id && c.router_id != *router_id) continue;
    if (c.not_after <= at)
      out.push_back(fmt::format("the certificate for {} on router '{}' expired at {}", c.domain, c.router, c.not_after));
    else if (c.not_after <= limit)
      out.push_back(fmt::format("the certificate for {} on router '{}' expires at {}, within {} days", c.domain,
                                c.router, c.not_after, days));
  }
  return out;
}

}  // namespace hostctl::routing
