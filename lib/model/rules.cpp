#include "model/rules.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"

namespace hostctl::model {
namespace {

[[noreturn]] void refuse(const std::string& message, const std::string& hint = {}) {
  throw Error(ErrorKind::Refused, message, hint);
}

}  // namespace

void check_primary_change(const RuleSite& site, const std::vector<RuleRoute>& routes, const RuleRoute& route,
                          bool make_primary) {
  bool has_primary = std::any_of(routes.begin(), routes.end(), [](const RuleRoute& r) { return r.primary; });
  if (make_primary && route.redirect)
    refuse(fmt::format("route '{}' redirects to the site's primary route and cannot be primary itself", route.source));
  if (site.launched && make_primary && !route.primary)
    refuse(fmt::format("site '{}' is launched: its primary route cannot change", site.name));
  if (make_primary && has_primary && !route.primary)
    refuse(fmt::format("site '{}' already has a primary route", site.name),
           "a site has one primary route; delete the other first (before launch)");
}

void check_redirect_target(const RuleSite& site, const std::vector<RuleRoute>& routes, const RuleRoute& route) {
  if (!route.redirect) return;
  if (std::none_of(routes.begin(), routes.end(), [](const RuleRoute& r) { return r.primary; }))
    refuse(fmt::format("route '{}' redirects to the primary route of site '{}', which has none", route.source,
                       site.name),
           "add one with 'hostctl route add DOMAIN --site SITE --primary'");
}

void check_route_deactivate(const RuleSite& site, const RuleRoute& route) {
  if (site.launched && route.primary)
    refuse(fmt::format("route '{}' is the primary route of launched site '{}' and cannot be deactivated",
                       route.source, site.name));
}

void check_route_delete(const RuleSite& site, const RuleRoute& route) {
  if (site.launched && route.primary)
    refuse(fmt::format("route '{}' is the primary route of launched site '{}' and cannot be deleted (rule 6: a "
                       "launched site keeps a primary route)",
                       route.source, site.name));
}

std::vector<std::string> check_launch(const RuleSite& site, const std::vector<RuleRoute>& routes) {
  if (site.launched) refuse(fmt::format("site '{}' is already launched", site.name));
  auto primary = std::find_if(routes.begin(), routes.end(), [](const RuleRoute& r) { return r.primary; });
  if (primary == routes.end())
    refuse(fmt::format("site '{}' has no primary route; launching needs one", site.name),
           fmt::format("hostctl route add DOMAIN --site {} --primary --active-on-launch", site.name));
  std::vector<std::string> activate;
  for (const auto& r : routes)
    if (r.active_on_launch && !r.active) activate.push_back(r.source);
  return activate;
}

void check_switch(const RuleSite& site, const std::vector<RuleDeployment>& deployments, const std::string& to) {
  auto target = std::find_if(deployments.begin(), deployments.end(),
                             [&](const RuleDeployment& d) { return d.name == to; });
  if (target == deployments.end())
    refuse(fmt::format("deployment '{}' does not belong to site '{}'", to, site.name));
  if (target->active) refuse(fmt::format("deployment '{}' is already the active one of site '{}'", to, site.name));
  check_not_removed(*target, "be switched to");
  if (target->stage == Stage::Archive) refuse(fmt::format("deployment '{}' is archived and cannot be switched to", to));
  if (target->status != 5)
    refuse(fmt::format("deployment '{}' is not ready (its last action did not complete)", to));
}

void check_unprotected(const RuleSite& site, const std::string& action) {
  if (site.protected_)
    refuse(fmt::format("site '{}' is protected and refuses {}", site.name, action),
           fmt::format("'hostctl site unprotect {}' first", site.name));
}

void check_stage_change(const RuleDeployment& d, Stage to_stage) {
  check_not_removed(d, to_stage == Stage::Allocate ? "be unlocked" : to_stage == Stage::Lock ? "be locked" : "be archived");
  // The active copy may be frozen while it serves (Atlas's upgrade flow), never archived.
  if (d.active && to_stage == Stage::Archive)
    refuse(fmt::format("deployment '{}' is its site's active deployment and cannot be archived", d.name),
           "switch the site to another deployment first");
  if (to_stage == Stage::Allocate && d.stage != Stage::Lock)
    refuse(fmt::format("deployment '{}' is not locked (stage {})", d.name, stage_name(d.stage)));
  if (d.stage == to_stage) refuse(fmt::format("deployment '{}' is already in stage {}", d.name, stage_name(to_stage)));
}

void check_has_active(const RuleSite& site, const std::string& active_deployment, const std::string& action) {
  if (active_deployment.empty())
    refuse(fmt::format("site '{}' has no active deployment to {}", site.name, action),
           fmt::format("'hostctl site switch {} --to DEPLOYMENT' makes one active", site.name));
}

void check_not_removed(const RuleDeployment& d, const std::string& action) {
  if (d.stage == Stage::Removed) refuse(fmt::format("deployment '{}' is removed, which is final: it cannot {}", d.name, action));
}

}  // namespace hostctl::model
