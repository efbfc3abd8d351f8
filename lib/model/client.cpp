#include "model/client.hpp"

#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "model/lookup.hpp"
#include "model/validate.hpp"

namespace hostctl::model {
namespace {

Client read_client(catalog::Connection& db, int64_t id) {
  catalog::Statement q(db,
                       "SELECT id, name, email, max_sites, created_at, "
                       "(SELECT count(*) FROM site WHERE client_id = client.id) FROM client WHERE id = ?");
  q.bind(1, id);
  if (!q.executeStep()) throw Error(ErrorKind::NotFound, fmt::format("client {} not found", id));
  Client c;
  c.id = q.getColumn(0).getInt64();
  c.name = q.getColumn(1).getString();
  c.email = q.getColumn(2).getString();
  if (!q.getColumn(3).isNull()) c.max_sites = q.getColumn(3).getInt64();
  c.created_at = q.getColumn(4).getString();
  c.sites = q.getColumn(5).getInt64();
  return c;
}

}  // namespace

Client add_client(catalog::Catalog& catalog, const std::string& name, const std::optional<std::string>& email,
                  const std::optional<std::string>& max_sites) {
  require_name("client name", name);
  if (email) require(check_email(*email), "e-mail", *email);
  int64_t quota = 0;
  if (max_sites) require(check_count(*max_sites, quota), "max sites", *max_sites);
  auto& db = catalog.db();
  catalog::Write write(catalog, "client add " + name);
  catalog::Statement exists(db, "SELECT 1 FROM client WHERE name = ?");
  exists.bind(1, name);
  if (exists.executeStep()) throw Error(ErrorKind::Refused, fmt::format("client '{}' already exists", name));
  catalog::Statement insert(db, "INSERT INTO client(name, email, max_sites, created_at) VALUES (?, ?, ?, ?) RETURNING id");
  insert.bind(1, name);
  insert.bind(2, email.value_or(""));
  if (max_sites)
    insert.bind(3, quota);
  else
    insert.bind(3);
  insert.bind(4, now_utc());
  Client saved = read_client(db, catalog::insert_returning_id(insert));
  write.commit();
  return saved;
}

Client edit_client(catalog::Catalog& catalog, const std::string& ref, const std::optional<std::string>& email,
                   const std::optional<std::string>& max_sites) {
  if (email) require(check_email(*email), "e-mail", *email);
  int64_t quota = 0;
  bool unlimited = max_sites && *max_sites == "none";
  if (max_sites && !unlimited) require(check_count(*max_sites, quota), "max sites", *max_sites);
  auto& db = catalog.db();
  catalog::Write write(catalog, "client edit " + ref);
  Client client = read_client(db, find_id(db, "client", "client", ref));
  if (max_sites && !unlimited && quota < client.sites)
    throw Error(ErrorKind::Refused,
                fmt::format("client '{}' has {} site(s); --max-sites {} is below that", client.name, client.sites, quota),
                "delete or transfer sites first ('hostctl site transfer SITE --client OTHER')");
  catalog::Statement update(db, "UPDATE client SET email = coalesce(?, email), "
                               "max_sites = CASE WHEN ?2 = 1 THEN ?3 ELSE max_sites END WHERE id = ?4");
  if (email) update.bind(1, *email); else update.bind(1);
  update.bind(2, max_sites.has_value());
  if (max_sites && !unlimited) update.bind(3, quota); else update.bind(3);
  update.bind(4, client.id);
  update.exec();
  Client saved = read_client(db, client.id);
  write.commit();
  return saved;
}

void remove_client(catalog::Catalog& catalog, const std::string& ref) {
  auto& db = catalog.db();
  catalog::Write write(catalog, "client remove " + ref);
  Client client = read_client(db, find_id(db, "client", "client", ref));
  if (client.sites > 0)
    throw Error(ErrorKind::Refused, fmt::format("client '{}' still owns {} site(s)", client.name, client.sites),
                "delete the sites first");
  catalog::Statement del(db, "DELETE FROM client WHERE id = ?");
  del.bind(1, client.id);
  del.exec();
  write.commit();
}

Client get_client(catalog::Catalog& catalog, const std::string& ref) {
  return read_client(catalog.db(), find_id(catalog.db(), "client", "client", ref));
}

std::vector<Client> list_clients(catalog::Catalog& catalog) {
  catalog::Statement q(catalog.db(), "SELECT id FROM client ORDER BY name");
  std::vector<Client> clients;
  while (q.executeStep()) clients.push_back(read_client(catalog.db(), q.getColumn(0).getInt64()));
  return clients;
}

nlohmann::ordered_json to_json(const Client& c) {
  nlohmann::ordered_json j;
  j["id"] = c.id;
  j["name"] = c.name;
  j["email"] = c.email;
  j["max_sites"] = c.max_sites ? nlohmann::ordered_json(*c.max_sites) : nullptr;
  j["sites"] = c.sites;
  j["created_at"] = c.created_at;
  return j;
}

}  // namespace hostctl::model
