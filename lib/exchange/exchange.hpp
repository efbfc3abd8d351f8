// The inventory as one YAML document (`hostctl export` / `hostctl import`):
// hosts, clients, services with their scripts, sites, deployments, routes,
// facts, packages, backups, usage and schedules, with their ids, so a control
// node can move, or the inventory can be kept in git. Command history and
// logs stay behind. Import fills an empty catalog in one transaction.
// Secrets are masked unless with_secrets; import seals the open ones with its
// own catalog's key, and refuses masked ones.
#pragma once

#include <string>

#include "catalog/catalog.hpp"

namespace hostctl::exchange {

std::string export_yaml(catalog::Catalog& catalog, bool with_secrets);
// Counts of imported rows per table, as "table=n ..." text.
std::string import_yaml(catalog::Catalog& catalog, const std::string& yaml_text, const std::string& source);

}  // namespace hostctl::exchange
