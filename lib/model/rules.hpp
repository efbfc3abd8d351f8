// The site, deployment and route rules of docs/RULES.md, in one place. Each check
// throws a Refused error (exit 4) naming the rule; callers check before they
// change anything, so a refusal changes nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/stage.hpp"

namespace hostctl::model {

struct RuleSite {
  std::string name;
  bool launched = false;  // launched sites are served (rules 2, 3, 6)
  bool protected_ = false;
};

struct RuleRoute {
  std::string source;
  bool active = false;
  bool primary = false;
  bool active_on_launch = false;
  bool redirect = false;
};

struct RuleDeployment {
  std::string name;
  Stage stage = Stage::Provision;
  int status = 0;
  bool active = false;
};

// Rule 2: a launched site's primary route cannot change; a redirect route is never primary.
void check_primary_change(const RuleSite& site, const std::vector<RuleRoute>& routes, const RuleRoute& route,
                          bool make_primary);
// A redirect route is served only while its site has a primary route to send to.
void check_redirect_target(const RuleSite& site, const std::vector<RuleRoute>& routes, const RuleRoute& route);
// Rule 3: the primary route of a launched site cannot be deactivated (nor deleted).
void check_route_deactivate(const RuleSite& site, const RuleRoute& route);
// Rules 3 and 6: the primary route of a launched site cannot be deleted, active or not.
void check_route_delete(const RuleSite& site, const RuleRoute& route);
// Rule 6: launching needs a primary route. Returns the routes launch activates.
std::vector<std::string> check_launch(const RuleSite& site, const std::vector<RuleRoute>& routes);
// Rule 8 and rule 1: switching to `to` (a ready deployment of the site).
void check_switch(const RuleSite& site, const std::vector<RuleDeployment>& deployments, const std::string& to);
// A protected site refuses delete and disable (docs/RULES.md).
void check_unprotected(const RuleSite& site, const std::string& action);
// Stage moves: lock (also of the active deployment), unlock (to allocate, from
// lock only), archive (never the active deployment); removed is final.
void check_stage_change(const RuleDeployment& deployment, Stage to_stage);
// Rule 1 (at most one active deployment per site) is the catalog's own: a
// unique index on deployment(site_id) WHERE active = 1 (schemas/002_sites.sql).

// An action that needs the site's active deployment, on a site without one.
void check_has_active(const RuleSite& site, const std::string& active_deployment, const std::string& action);
// Removed is final: nothing but history is left of a removed deployment.
void check_not_removed(const RuleDeployment& deployment, const std::string& action);

}  // namespace hostctl::model
