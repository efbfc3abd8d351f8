// The rules of docs/RULES.md checked across the whole catalog at rest, for `doctor`:
// the commands refuse to break them, so a finding here means something outside
// hostctl (or a bug) changed the catalog.
#pragma once

#include <string>
#include <vector>

#include "catalog/catalog.hpp"

namespace hostctl::lifecycle {

// One line per broken rule, naming the site; empty when all hold.
std::vector<std::string> rule_problems(catalog::Catalog& catalog);

// Routers whose last route sync did not complete (routing::router_synced): their
// nginx may not serve what the catalog says until the next sync.
std::vector<std::string> unsynced_routers(catalog::Catalog& catalog);

}  // namespace hostctl::lifecycle
