// Work on hosts themselves: `host verify` (reachable, trusted, base directory
// usable, the software its roles need) and `host exec` (an ad-hoc command).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "model/host.hpp"
#include "run/command.hpp"

namespace hostctl::hostops {

run::CommandSpec exec_spec(const std::vector<model::Host>& hosts, const std::string& shell, int64_t timeout);
run::CommandSpec verify_spec(const std::vector<model::Host>& hosts, int64_t timeout);

// Writes each host's verify time and result ("ok" or what failed).
void record_verify_results(catalog::Catalog& catalog, int64_t command_id);

// One row per task: host, status, exit code, error, stdout and stderr lines, facts.
nlohmann::ordered_json host_results(catalog::Catalog& catalog, int64_t command_id);

}  // namespace hostctl::hostops
