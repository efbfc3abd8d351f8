#include "service/store.hpp"

#include <fmt/format.h>


#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/file.hpp"
#include "model/lookup.hpp"

namespace hostctl::service {
namespace fs = std::filesystem;

namespace {

Registered read_service(catalog::Catalog& catalog, int64_t id) {
  auto& db = catalog.db();
  SQLite::Statement q(db, "SELECT id, yaml, source_path, created_at, updated_at FROM service WHERE id = ?");
  q.bind(1, id);
  if (!q.executeStep()) throw Error(ErrorKind::NotFound, fmt::format("service {} not found", id));
  Registered r;
  r.id = q.getColumn(0).getInt64();
  r.source_path = q.getColumn(2).getString();
  r.created_at = q.getColumn(3).getString();
  r.updated_at = q.getColumn(4).getString();
  auto files = service_files(catalog, id);
  for (const auto& [path, _] : files) r.files.push_back(path);
  auto loaded = load_plan(q.getColumn(1).getString(), [&](const std::string& path) -> std::optional<std::string> {
    auto it = files.find(path);
    return it == files.end() ? std::nullopt : std::optional(it->second);
  });
  if (!loaded.problems.empty())
    throw Error(ErrorKind::Internal, fmt::format("stored service {} no longer loads: {}", id,
                                                 describe(loaded.problems, "catalog")));
  r.plan = std::move(loaded.plan);
  return r;
}

}  // namespace

std::map<std::string, std::string> service_files(catalog::Catalog& catalog, int64_t service_id) {
  std::map<std::string, std::string> files;
  SQLite::Statement q(catalog.db(), "SELECT path, content FROM service_file WHERE service_id = ?");
  q.bind(1, service_id);
  while (q.executeStep()) files[q.getColumn(0).getString()] = q.getColumn(1).getString();
  return files;
}

CreateResult create_service(catalog::Catalog& catalog, const fs::path& file, bool replace) {
  auto text = read_file(file);
  if (!text) throw Error(ErrorKind::NotFound, fmt::format("cannot read service file '{}'", file.string()));
  fs::path dir = file.parent_path();
  auto loaded = load_plan(*text, [&](const std::string& relative) { return read_file(dir / relative); });
  if (!loaded.problems.empty())
    throw Error(ErrorKind::Usage,
                fmt::format("service file '{}' has {} problem(s):\n{}", file.string(), loaded.problems.size(),
                            describe(loaded.problems, file.string())),
                "'man 5 hostctl-service' and schemas/service.md describe the format");

  const Plan& plan = loaded.plan;
  auto& db = catalog.db();
  catalog::Write write(catalog, fmt::format("createservice {} v{}", plan.name, plan.version));
  CreateResult result;
  SQLite::Statement existing(db, "SELECT id FROM service WHERE name = ?");
  existing.bind(1, plan.name);
  int64_t id = 0;
  std::string now = now_utc();
  std::string source = fs::absolute(file).lexically_normal().string();
  if (existing.executeStep()) {
    if (!replace)
      throw Error(ErrorKind::Refused, fmt::format("service '{}' already exists", plan.name),
                  "add --replace to register the new version in its place");
    id = existing.getColumn(0).getInt64();
    result.replaced = true;
    SQLite::Statement update(db,
                             "UPDATE service SET version = ?, description = ?, price_monthly = ?, currency = ?, "
                             "yaml = ?, source_path = ?, updated_at = ? WHERE id = ?");
    update.bind(1, plan.version);
    update.bind(2, plan.description);
    if (plan.price_monthly) update.bind(3, *plan.price_monthly); else update.bind(3);
    update.bind(4, plan.currency);
    update.bind(5, *text);
    update.bind(6, source);
    update.bind(7, now);
    update.bind(8, id);
    update.exec();
    SQLite::Statement clear(db, "DELETE FROM service_file WHERE service_id = ?");
    clear.bind(1, id);
    clear.exec();
  } else {
    SQLite::Statement insert(db,
                             "INSERT INTO service(name, version, description, price_monthly, currency, yaml, "
                             "source_path, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    insert.bind(1, plan.name);
    insert.bind(2, plan.version);
    insert.bind(3, plan.description);
    if (plan.price_monthly) insert.bind(4, *plan.price_monthly); else insert.bind(4);
    insert.bind(5, plan.currency);
    insert.bind(6, *text);
    insert.bind(7, source);
    insert.bind(8, now);
    insert.bind(9, now);
    insert.exec();
    id = db.getLastInsertRowid();
  }
  for (const auto& [path, content] : loaded.files) {
    SQLite::Statement add(db, "INSERT INTO service_file(service_id, path, content) VALUES (?, ?, ?)");
    add.bind(1, id);
    add.bind(2, path);
    add.bind(3, content.data(), static_cast<int>(content.size()));
    add.exec();
  }
  result.service = with_count(catalog, read_service(catalog, id));
  write.commit();
  return result;
}

Registered delete_service(catalog::Catalog& catalog, const std::string& ref) {
  auto& db = catalog.db();
  catalog::Write write(catalog, "deleteservice " + ref);
  Registered service = with_count(catalog, read_service(catalog, model::find_id(db, "service", "service", ref)));
  if (*service.deployments > 0)
    throw Error(ErrorKind::Refused,
                fmt::format("service '{}' still has {} deployment(s)", service.plan.name, *service.deployments),
                "delete its deployments and sites first");
  SQLite::Statement used(db, "SELECT count(*) FROM site WHERE service_id = ?");
  used.bind(1, service.id);
  used.executeStep();
  if (used.getColumn(0).getInt64() > 0)
    throw Error(ErrorKind::Refused, fmt::format("service '{}' is still used by sites", service.plan.name));
  // Removed deployments are kept as history; they go with the plan they ran.
  SQLite::Statement history(db, "DELETE FROM deployment WHERE service_id = ? AND stage = 'removed'");
  history.bind(1, service.id);
  history.exec();
  SQLite::Statement del(db, "DELETE FROM service WHERE id = ?");
  del.bind(1, service.id);
  del.exec();
  write.commit();
  return service;
}

Registered get_service(catalog::Catalog& catalog, const std::string& ref) {
  return read_service(catalog, model::find_id(catalog.db(), "service", "service", ref));
}

Registered with_count(catalog::Catalog& catalog, Registered service) {
  SQLite::Statement q(catalog.db(), "SELECT count(*) FROM deployment WHERE service_id = ? AND stage != 'removed'");
  q.bind(1, service.id);
  q.executeStep();
  service.deployments = q.getColumn(0).getInt64();
  return service;
}

std::vector<Registered> list_services(catalog::Catalog& catalog) {
  SQLite::Statement q(catalog.db(), "SELECT id FROM service ORDER BY name");
  std::vector<Registered> services;
  while (q.executeStep()) services.push_back(with_count(catalog, read_service(catalog, q.getColumn(0).getInt64())));
  return services;
}

nlohmann::ordered_json to_json(const Registered& r) {
  const Plan& p = r.plan;
  nlohmann::ordered_json j;
  j["id"] = r.id;
  j["name"] = p.name;
  j["version"] = p.version;
  j["description"] = p.description;
  j["price_monthly"] = p.price_monthly ? nlohmann::ordered_json(*p.price_monthly) : nullptr;
  j["currency"] = p.currency;
  j["roles"] = p.roles;
  nlohmann::ordered_json actions = nlohmann::ordered_json::array();
  for (const auto& [name, _] : p.actions) actions.push_back(name);
  j["actions"] = actions;
  j["params"] = nlohmann::ordered_json::array();
  for (const auto& param : p.params) j["params"].push_back(param.name);
  j["reserve"] = {{"size", p.reserve.size},
                  {"minimum", p.reserve.minimum},
                  {"max_age", p.reserve.max_age},
                  {"window", p.reserve.window}};
  if (p.serve.kind == ServeKind::Static)
    j["serve"] = {{"static", p.serve.root}};
  else if (p.serve.kind == ServeKind::Php)
    j["serve"] = {{"php", {{"root", p.serve.root}, {"front_controller", p.serve.front_controller}}}};
  else
    j["serve"] = {{"http", {{"socket", p.serve.socket}}}};
  j["check"] = {{"path", p.check.path}, {"expect", p.check.expect}, {"contains", p.check.contains}};
  j["database"] = p.database.engine.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json{{"engine", p.database.engine}};
  j["files"] = r.files;
  j["deployments"] = r.deployments ? nlohmann::ordered_json(*r.deployments) : nullptr;
  j["source_path"] = r.source_path;
  j["created_at"] = r.created_at;
  j["updated_at"] = r.updated_at;
  return j;
}

}  // namespace hostctl::service
