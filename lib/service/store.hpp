// Service plans in the catalog: register (createservice), list, delete.
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
// The stored script files of a service.
std::map<std::string, std::string> service_files(catalog::Catalog& catalog, int64_t service_id);

nlohmann::ordered_json to_json(const Registered& service);

}  // namespace hostctl::service
