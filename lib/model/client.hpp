// Clients: who owns sites, with a quota of sites.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"

namespace hostctl::model {

struct Client {
  int64_t id = 0;
  std::string name;
  std::string email;
  std::optional<int64_t> max_sites;  // unset: no limit
  int64_t sites = 0;
  std::string created_at;
};

Client add_client(catalog::Catalog& catalog, const std::string& name, const std::optional<std::string>& email,
                  const std::optional<std::string>& max_sites);
// Changes what is given: the e-mail, the quota ("none": no limit). A quota
// below the sites the client already has is refused.
Client edit_client(catalog::Catalog& catalog, const std::string& ref, const std::optional<std::string>& email,
                   const std::optional<std::string>& max_sites);
void remove_client(catalog::Catalog& catalog, const std::string& ref);
Client get_client(catalog::Catalog& catalog, const std::string& ref);
std::vector<Client> list_clients(catalog::Catalog& catalog);

nlohmann::ordered_json to_json(const Client& client);

}  // namespace hostctl::model
