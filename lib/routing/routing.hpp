// Routes: a source (domain, or domain/path) a router serves for a site.
// Activating or deactivating rewrites the router's nginx server blocks (only
// active routes), checks them with `nginx -t`, reloads, and puts the previous
// files back when the check fails; activation is then confirmed over HTTP
// with the route's Host header, and undone when that check fails.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "run/operation.hpp"
#include "model/host.hpp"
#include "model/rules.hpp"

namespace hostctl::routing {

struct Route {
  int64_t id = 0;
  std::string source;
  std::string domain, path;  // path "" or "/blog"
  int64_t site_id = 0;
  std::string site;
  std::optional<int64_t> router_id;
  std::string router;
  bool active = false, primary = false, active_on_launch = false;
  bool redirect = false;      // answers 301 to the site's primary route
  bool site_enabled = true;   // a disabled site's routes answer 503
  std::string tls;            // "", "acme" or "manual"
  // The router's certificate for the domain (shared by its routes), when it has one.
  std::string cert_issuer, cert_serial, cert_not_after;
  bool https = false;         // served over HTTPS: a TLS route whose domain has a certificate
  // A preview route serves this deployment of the site, not its active one.
  std::optional<int64_t> preview_id;
  std::string preview;
  std::string created_at;
};

std::string check_source(const std::string& source);  // "" when acceptable

struct RouteInput {
  std::string source, site;
  std::optional<std::string> router;
  bool primary = false, active_on_launch = false, redirect = false;
  std::string tls;                // "", "acme" or "manual"
  std::string cert_pem, key_pem;  // manual: the operator's certificate (chain) and key
  std::optional<std::string> preview;  // a deployment of the site, not its active one
};
// A route as stored, inactive: add_route and host import write it this way,
// inside their own transaction, after their own checks.
struct RouteRow {
  std::string source;
  int64_t site_id = 0, router_id = 0;
  bool primary = false, active_on_launch = false, redirect = false;
  std::string tls;
  std::optional<int64_t> preview_id;
};
void insert_route(catalog::Connection& db, const RouteRow& row);

// Adds the route; a TLS route then gets its certificate (certificates.hpp),
// and `cert_error` says when that failed (the route stays, plain HTTP).
Route add_route(run::Ops& ops, const RouteInput& input, Failure& cert_error);
Route get_route(catalog::Catalog& catalog, const std::string& ref);
std::vector<Route> list_routes(catalog::Catalog& catalog, const std::optional<std::string>& site);
std::vector<Route> routes_of_site(catalog::Catalog& catalog, int64_t site_id);
nlohmann::ordered_json to_json(const Route& r);
// Where the public reaches the route: https:// when it is served over HTTPS,
// with the router's port when it is not the scheme's own (https://shop.example/blog).
std::string public_url(catalog::Catalog& catalog, const Route& r);
model::RuleRoute rule_view(const Route& r);

struct ChangeResult {
  std::vector<Route> routes;
  Failure error;  // what failed (the change was undone); unreachable routers are exit 6
};

// Sets `active` on the named routes, syncs their routers and, when activating,
// confirms each over HTTP; on any failure the routes go back as they were.
ChangeResult set_active(run::Ops& ops, const std::vector<int64_t>& route_ids, bool active);
void delete_route(run::Ops& ops, const std::string& ref);

// Writes the router's server blocks for its active routes and reloads nginx.
// A router that cannot be reached or trusted is an Unreachable failure.
Failure sync_router(run::Ops& ops, int64_t router_id);
// The same; with `wait`, it waits until the old nginx workers stop accepting
// and `reload_confirmed` says whether that was seen.
Failure sync_router(run::Ops& ops, int64_t router_id, bool wait, bool& reload_confirmed);
// Syncs the router, waiting for nginx's old workers, then confirms each of
// `routes` that it serves (all its active routes when `routes` is empty) over
// HTTP: what a repair or a switch must see before it says done.
Failure sync_and_check(run::Ops& ops, int64_t router_id, const std::vector<Route>& routes = {});
// Whether the router's last sync completed. One cut short (hostctl killed, the
// connection lost) leaves its files and nginx unknown: activating a route that
// is already active then syncs again instead of doing nothing.
bool router_synced(catalog::Catalog& catalog, int64_t router_id);
// The files sync_router writes for a router: name -> content.
std::map<std::string, std::string> router_files(catalog::Catalog& catalog, int64_t router_id);

// Web hosts with a managed nginx (web_listen set) serve each of their
// deployments that has been ready (until it is removed) from a backend server block named backend_name(id); routers
// proxy to it. sync_web writes the host's blocks (nothing for a host without
// web_listen) with the same nginx -t / restore discipline as a router sync.
std::string backend_name(int64_t deployment_id);
std::map<std::string, std::string> web_files(catalog::Catalog& catalog, int64_t host_id);
// The php-fpm pools sync_web writes to php_pool_dir, one per PHP deployment.
std::map<std::string, std::string> php_files(catalog::Catalog& catalog, int64_t host_id);
Failure sync_web(run::Ops& ops, int64_t host_id);
// "" when the deployment passes its plan's `check:` through its backend block
// (or its host has none), else what went wrong: the check before a router
// points at it, and before a ready copy is handed to a site.
std::string backend_check(catalog::Catalog& catalog, int64_t deployment_id);

// Where an HTTP(S) request goes: ADDRESS:PORT, whatever the name resolves to.
struct Endpoint {
  std::string address;
  int port = 0;
  bool tls = false;
  std::string ca_bundle;  // HTTPS: PEM file of trusted CAs; "" : the system's
};

struct HttpAnswer {
  int status = -1;    // -1: no answer, see error
  std::string body;   // its first MiB
  std::string error;
};
// GET http(s)://HOST:PORT/path sent to the endpoint, with a 2 s connect
// timeout and 5 s in all; HTTPS verifies the chain and the name.
HttpAnswer http_get(const Endpoint& at, const std::string& host, const std::string& path);

// What a check asks of a page: the status (0: any 2xx or 3xx) and a text in it.
struct HttpCheck {
  std::string path = "/";
  int expect = 0;
  std::string contains;
};
// "" once `stable` answers in a row pass `check`, else the last problem (after 5 s).
// A dry run asks no host: "" at once (like the runner, which runs no task then).
std::string http_get_check(const catalog::Catalog& catalog, const Endpoint& at, const std::string& domain,
                           const HttpCheck& check, int stable);
// GET the route from its router (over HTTPS when it is served so, trusting
// ca_bundle); "" once `stable` answers in a row, 100 ms apart, are 2xx or 3xx.
// After an unconfirmed reload an old worker may still answer for ~100 ms,
// hence the default of 3. A route of a disabled site passes when it answers 503.
std::string http_check(const catalog::Catalog& catalog, const model::Host& router, const Route& route,
                       const std::string& ca_bundle, int stable = 3);

}  // namespace hostctl::routing
