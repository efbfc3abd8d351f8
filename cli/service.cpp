// createservice, listservices, deleteservice (the omegaops management commands).
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
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& s : service::list_services(ctx.catalog())) rows.push_back(service::to_json(s));
  return {rows, {"id", "name", "version", "price_monthly", "currency", "deployments", "description"}};
}

Output remove(Context& ctx, const Args& a) {
  auto s = service::delete_service(ctx.catalog(), a.get("NAME"));
  ctx.info(fmt::format("deleted service '{}'", s.plan.name));
  return {service::to_json(s), {}};
}

}  // namespace

void add_service_commands(std::vector<Command>& t) {
  t.push_back({"createservice",
               "register a service plan from its YAML file",
               {{"FILE", "the service's YAML file", true, false, Complete::File}},
               {{"replace", "", "replace an existing service of the same name", Opt::Flag}},
               kCatalog | kMutates | kDryRun,
               create});
  t.push_back({"listservices", "list service plans", {}, {}, kCatalog, list});
  t.push_back({"deleteservice",
               "delete a service plan that has no deployments",
               {{"NAME", "service name or id", true, false, Complete::Service}},
               {},
               kCatalog | kMutates | kDryRun | kDestructive,
               remove});
}

}  // namespace hostctl::cli
