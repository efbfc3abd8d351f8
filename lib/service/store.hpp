// Service plans in the catalog: register (createservice), list, delete. Every
// registered version is kept; a deployment runs the one it was installed with.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "service/plan.hpp"

namespace hostctl::service {

struct Registered {
  int64_t id = 0;
  Plan plan;
  std::string source_path;
  std::string created_at;
  std::string updated_at;
  std::optional<int64_t> deployments;  // not removed; counted by with_count (a scan: not on hot paths)
  std::vector<std::pair<int64_t, int64_t>> versions;  // (version, deployments not removed), by with_count
  std::vector<std::string> files;
};

struct CreateResult {
  Registered service;
  bool replaced = false;
};

// Reads and validates FILE (Usage error listing file:line:column problems), then stores it.
CreateResult create_service(catalog::Catalog& catalog, const std::filesystem::path& file, bool replace);
Registered delete_service(catalog::Catalog& catalog, const std::string& ref);  // returns what it deleted
Registered get_service(catalog::Catalog& catalog, const std::string& ref);
Registered with_count(catalog::Catalog& catalog, Registered service);
std::vector<Registered> list_services(catalog::Catalog& catalog);
// The stored script files of a service's newest version, or of one version.
std::map<std::string, std::string> service_files(catalog::Catalog& catalog, int64_t service_id);
std::map<std::string, std::string> version_files(catalog::Catalog& catalog, int64_t service_id, int64_t version);
// One registered version of a service (a deployment runs the version it was installed with).
Registered get_service_version(catalog::Catalog& catalog, int64_t service_id, int64_t version);
// Each registered version, oldest first, with how many deployments (not removed) run it.
std::vector<std::pair<int64_t, int64_t>> service_versions(catalog::Catalog& catalog, int64_t service_id);

nlohmann::ordered_json to_json(const Registered& service);

}  // namespace hostctl::service
