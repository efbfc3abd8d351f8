#include "lifecycle/consistency.hpp"

#include <fmt/format.h>

#include "routing/routing.hpp"

namespace hostctl::lifecycle {

std::vector<std::string> rule_problems(catalog::Catalog& catalog) {
  struct Check {
    const char* rule;
    const char* sites;  // names of the sites that break it
  };
  static const Check checks[] = {
      {"rule 1: more than one active deployment",
       "SELECT s.name FROM site s JOIN deployment d ON d.site_id = s.id AND d.active = 1 "
       "GROUP BY s.id, s.name HAVING count(*) > 1"},
      {"its active deployment is not in stage allocate or lock",
       "SELECT s.name FROM site s JOIN deployment d ON d.site_id = s.id AND d.active = 1 "
       "WHERE d.stage NOT IN ('allocate', 'lock')"},
      {"rule 6: launched without a primary route",
       "SELECT name FROM site s WHERE launched = 1 AND NOT EXISTS "
       "(SELECT 1 FROM route WHERE site_id = s.id AND is_primary = 1)"},
      {"more than one primary route",
       "SELECT s.name FROM site s JOIN route r ON r.site_id = s.id AND r.is_primary = 1 "
       "GROUP BY s.id, s.name HAVING count(*) > 1"},
      {"rule 3: launched but its primary route is inactive",
       "SELECT s.name FROM site s JOIN route r ON r.site_id = s.id WHERE s.launched = 1 AND r.is_primary = 1 "
       "AND r.active = 0 AND r.active_on_launch = 1"},
  };
  std::vector<std::string> problems;
  for (const auto& check : checks) {
    catalog::Statement q(catalog.db(), check.sites);
    while (q.executeStep()) problems.push_back(fmt::format("site '{}': {}", q.getColumn(0).getString(), check.rule));
  }
  return problems;
}

std::vector<std::string> unsynced_routers(catalog::Catalog& catalog) {
  std::vector<std::string> names;
  catalog::Statement q(catalog.db(), "SELECT h.id, h.name FROM host h JOIN host_role r ON r.host_id = h.id "
                                    "WHERE r.role = 'router' ORDER BY h.name");
  while (q.executeStep())
    if (!routing::router_synced(catalog, q.getColumn(0).getInt64())) names.push_back(q.getColumn(1).getString());
  return names;
}

}  // namespace hostctl::lifecycle
