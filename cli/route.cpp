// route add|cert|list|show|activate|deactivate|delete
#include <fmt/format.h>

#include <set>

#include "command.hpp"
#include "core/file.hpp"
#include "lifecycle/deployment.hpp"
#include "model/host.hpp"
#include "model/validate.hpp"
#include "routing/certificates.hpp"
#include "routing/routing.hpp"
#include "run_support.hpp"

namespace hostctl::cli {
namespace {

// After a change to routes: each site's record is due and its plan's routes
// action runs (lifecycle::routes_changed); the first failure, if any.
Failure routes_changed(run::Ops& ops, const std::vector<routing::Route>& routes) {
  std::set<std::string> sites;
  for (const auto& r : routes) sites.insert(r.site);
  Failure first;
  for (const auto& site : sites)
    if (auto error = lifecycle::routes_changed(ops, site); error && !first) first = error;
  return first;
}

std::string read_pem(const std::string& option, const std::string& path) {
  auto text = read_file(path);
  if (!text) throw Error(ErrorKind::Usage, fmt::format("--{}: cannot read {}", option, model::shown(path)));
  return *text;
}

// --tls acme, or --tls-cert FILE --tls-key FILE (the operator's): "" / "acme" / "manual".
std::string tls_mode(const Args& a, routing::RouteInput& in) {
  auto mode = a.opt("tls");
  auto cert = a.opt("tls-cert"), key = a.opt("tls-key");
  if (mode && *mode != "acme")
    throw Error(ErrorKind::Usage, fmt::format("--tls must be acme, not {}", model::shown(*mode)),
                "an operator's certificate is given with --tls-cert FILE --tls-key FILE");
  if (cert.has_value() != key.has_value()) throw Error(ErrorKind::Usage, "--tls-cert and --tls-key go together");
  if (mode && cert) throw Error(ErrorKind::Usage, "--tls acme and --tls-cert are exclusive");
  if (cert) {
    in.cert_pem = read_pem("tls-cert", *cert);
    in.key_pem = read_pem("tls-key", *key);
    return "manual";
  }
  return mode ? "acme" : "";
}

Output add(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  routing::RouteInput in;
  in.source = a.get("SOURCE");
  in.site = *a.opt("site");
  in.router = a.opt("router");
  in.primary = a.flag("primary");
  in.active_on_launch = a.flag("active-on-launch");
  in.redirect = a.flag("redirect");
  in.tls = tls_mode(a, in);
  in.preview = a.opt("preview");
  Failure cert_error;
  auto r = routing::add_route(ops, in, cert_error);
  auto hook_error = routes_changed(ops, {r});
  ctx.info(fmt::format("added route '{}' for site '{}' on router '{}'", r.source, r.site, r.router));
  if (cert_error)
    cert_error = reworded(*cert_error, std::string(cert_error->what()) +
                                           "; the route was added and is served over plain HTTP until it has one");
  return {routing::to_json(r), {}, {}, remote_error(cert_error ? cert_error : hook_error)};
}

Output cert(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  auto r = routing::get_route(ctx.catalog(), a.get("ROUTE"));
  routing::RouteInput in;
  std::string mode = tls_mode(a, in);
  if (r.tls.empty())
    throw Error(ErrorKind::Refused, fmt::format("route '{}' is not a TLS route", r.source),
                "a TLS route is added with route add --tls acme (or --tls-cert/--tls-key)");
  if (mode == "acme" || (mode.empty() && r.tls == "manual"))
    throw Error(ErrorKind::Usage, fmt::format("route '{}' takes {}", r.source,
                                              r.tls == "acme" ? "no option: it renews from the ACME server"
                                                              : "--tls-cert FILE --tls-key FILE"));
  if (mode == "manual" && r.tls == "acme")
    throw Error(ErrorKind::Refused, fmt::format("route '{}' gets its certificate from ACME", r.source));
  in.tls = r.tls;
  routing::check_tls_route(ops, model::get_host(ctx.catalog(), r.router), in);
  auto error = routing::obtain_certificate(ops, *r.router_id, r.domain, in.cert_pem, in.key_pem);
  auto now = routing::get_route(ctx.catalog(), r.source);
  if (!error) ctx.info(fmt::format("installed certificate {} for {} (expires {})", now.cert_serial, now.domain,
                                   now.cert_not_after));
  return {routing::to_json(now), {}, {}, remote_error(error)};
}

Output list(Context& ctx, const Args& a) {
  return listing(routing::list_routes(ctx.catalog(), a.opt("site")),
                 [](const routing::Route& r) { return routing::to_json(r); });
}

Output show(Context& ctx, const Args& a) { return {routing::to_json(routing::get_route(ctx.catalog(), a.get("ROUTE"))), {}}; }

Output change(Context& ctx, const Args& a, bool active) {
  auto ops = make_ops(ctx);
  std::vector<int64_t> ids;
  for (const auto& ref : a.all("ROUTE")) ids.push_back(routing::get_route(ctx.catalog(), ref).id);
  auto result = routing::set_active(ops, ids, active);
  if (!result.error) result.error = routes_changed(ops, result.routes);
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& r : result.routes) rows.push_back(routing::to_json(r));
  if (!result.error) ctx.info(fmt::format("{} {} route(s)", active ? "activated" : "deactivated", ids.size()));
  return {rows, {}, {}, remote_error(result.error)};
}

Output activate(Context& ctx, const Args& a) { return change(ctx, a, true); }
Output deactivate(Context& ctx, const Args& a) { return change(ctx, a, false); }

Output remove(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  auto r = routing::get_route(ctx.catalog(), a.get("ROUTE"));
  routing::delete_route(ops, a.get("ROUTE"));
  auto hook_error = routes_changed(ops, {r});
  ctx.info(fmt::format("deleted route '{}'", r.source));
  return {routing::to_json(r), {}, {}, remote_error(hook_error)};
}

}  // namespace

void add_route_commands(std::vector<Command>& t) {
  const Pos route{"ROUTE", "route source or id", true, false, Complete::Route};
  const Pos routes{"ROUTE", "route sources or ids", true, true, Complete::Route};
  t.push_back({"route add",
               "add a route (domain or domain/path) for a site; inactive until activated or launched",
               {{"SOURCE", "example.org or example.org/path"}},
               {{"site", "", "the site it serves", Opt::Value, "SITE", Complete::Site, true},
                {"router", "", "the router host (default: the only one)", Opt::Value, "HOST", Complete::Host},
                {"primary", "", "the site's primary route", Opt::Flag},
                {"active-on-launch", "", "activate it when the site is launched", Opt::Flag},
                {"redirect", "", "answer 301 to the site's primary route, keeping the path", Opt::Flag},
                {"tls", "", "serve it over HTTPS with a certificate from the ACME server (acme_directory)",
                 Opt::Value, "acme"},
                {"tls-cert", "", "serve it over HTTPS with this PEM certificate (chain)", Opt::Value, "FILE",
                 Complete::File},
                {"tls-key", "", "the PEM private key of --tls-cert", Opt::Value, "FILE", Complete::File},
                {"preview", "", "serve this deployment of the site (a test copy) instead of its active one",
                 Opt::Value, "DEPLOYMENT", Complete::Deployment}},
               kCatalog | kMutates | kDryRun,
               add});
  t.push_back({"route cert",
               "get a new certificate for a TLS route's domain now (ACME), or install the operator's",
               {route},
               {{"tls-cert", "", "the operator's new PEM certificate (chain)", Opt::Value, "FILE", Complete::File},
                {"tls-key", "", "its PEM private key", Opt::Value, "FILE", Complete::File}},
               kCatalog | kMutates | kDryRun,
               cert});
  t.push_back({"route list", "list routes", {}, {{"site", "", "only this site's", Opt::Value, "SITE", Complete::Site}},
               kCatalog, list});
  t.push_back({"route show", "show a route", {route}, {}, kCatalog, show});
  t.push_back({"route activate", "serve routes: rewrite the router, nginx -t, reload, confirm over HTTP", {routes}, {},
               kCatalog | kMutates | kDryRun, activate});
  t.push_back({"route deactivate", "stop serving routes", {routes}, {}, kCatalog | kMutates | kDryRun, deactivate});
  t.push_back({"route delete", "delete a route (deactivating it first)", {route}, {}, kCatalog | kMutates | kDryRun | kDestructive,
               remove});
}

}  // namespace hostctl::cli
