// route add|list|show|activate|deactivate|delete
#include <fmt/format.h>

#include "command.hpp"
#include "routing/routing.hpp"
#include "run_support.hpp"

namespace hostctl::cli {
namespace {

Output add(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  auto r = routing::add_route(ops, a.get("SOURCE"), *a.opt("site"), a.opt("router"), a.flag("primary"),
                              a.flag("active-on-launch"), a.flag("redirect"));
  ctx.info(fmt::format("added route '{}' for site '{}' on router '{}'", r.source, r.site, r.router));
  return {routing::to_json(r), {}};
}

Output list(Context& ctx, const Args& a) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& r : routing::list_routes(ctx.catalog(), a.opt("site"))) rows.push_back(routing::to_json(r));
  return {rows, {}};
}

Output show(Context& ctx, const Args& a) { return {routing::to_json(routing::get_route(ctx.catalog(), a.get("ROUTE"))), {}}; }

Output change(Context& ctx, const Args& a, bool active) {
  auto ops = make_ops(ctx);
  std::vector<int64_t> ids;
  for (const auto& ref : a.all("ROUTE")) ids.push_back(routing::get_route(ctx.catalog(), ref).id);
  auto result = routing::set_active(ops, ids, active);
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
  ctx.info(fmt::format("deleted route '{}'", r.source));
  return {routing::to_json(r), {}};
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
                {"redirect", "", "answer 301 to the site's primary route, keeping the path", Opt::Flag}},
               kCatalog | kMutates | kDryRun,
               add});
  t.push_back({"route list", "list routes", {}, {{"site", "", "only this site's", Opt::Value, "SITE", Complete::Site}},
               kCatalog, list});
  t.push_back({"route show", "show a route", {route}, {}, kCatalog, show});
  t.push_back({"route activate", "serve routes: rewrite the router, nginx -t, reload, confirm over HTTP", {routes}, {},
               kCatalog | kMutates, activate});
  t.push_back({"route deactivate", "stop serving routes", {routes}, {}, kCatalog | kMutates, deactivate});
  t.push_back({"route delete", "delete a route (deactivating it first)", {route}, {}, kCatalog | kMutates | kDestructive,
               remove});
}

}  // namespace hostctl::cli
