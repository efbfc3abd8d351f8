// createservice, listservices, deleteservice (the omegaops management commands,
// the documented spellings), and the same commands as a group like the
// others: service create|list|show|delete.
#include <fmt/format.h>

#include "command.hpp"
#include "service/store.hpp"

namespace hostctl::cli {
namespace {

Output create(Context& ctx, const Args& a) {
  auto result = service::create_service(ctx.catalog(), a.get("FILE"), a.flag("replace"));
  const auto& plan = result.service.plan;
  ctx.info(fmt::format("{} service '{}' version {}", result.replaced ? "replaced" : "registered", plan.name,
                       plan.version));
  return {service::to_json(result.service), {}};
}

Output list(Context& ctx, const Args&) {
  return listing(service::list_services(ctx.catalog()), [](const auto& s) { return service::to_json(s); },
                 {"id", "name", "version", "price_monthly", "currency", "deployments", "description"});
}

Output show(Context& ctx, const Args& a) {
  return {service::to_json(service::with_count(ctx.catalog(), service::get_service(ctx.catalog(), a.get("NAME")))), {}};
}

Output remove(Context& ctx, const Args& a) {
  auto s = service::delete_service(ctx.catalog(), a.get("NAME"));
  ctx.info(fmt::format("deleted service '{}'", s.plan.name));
  return {service::to_json(s), {}};
}

}  // namespace

void add_service_commands(std::vector<Command>& t) {
  const Pos name{"NAME", "service name or id", true, false, Complete::Service};
  const Command create_row{"createservice",
                           "register a service plan from its YAML file",
                           {{"FILE", "the service's YAML file", true, false, Complete::File}},
                           {{"replace", "", "replace an existing service of the same name", Opt::Flag}},
                           kCatalog | kMutates | kDryRun,
                           create};
  const Command list_row{"listservices", "list service plans", {}, {}, kCatalog, list};
  const Command delete_row{"deleteservice", "delete a service plan that has no deployments", {name}, {},
                           kCatalog | kMutates | kDryRun | kDestructive, remove};
  for (const auto& [row, group_path] : {std::pair{create_row, "service create"}, std::pair{list_row, "service list"},
                                        std::pair{delete_row, "service delete"}}) {
    t.push_back(row);
    Command grouped = row;
    grouped.path = group_path;
    t.push_back(grouped);
  }
  t.push_back({"service show", "show one service plan, with its versions and how many deployments use each", {name},
               {}, kCatalog, show});
}

}  // namespace hostctl::cli
