#include "service/store.hpp"

#include <fmt/format.h>


#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/file.hpp"
#include "model/lookup.hpp"

namespace hostctl::service {
namespace fs = std::filesystem;

namespace {

// The service as registered, with the plan of `version` (nullopt: its newest).
Registered read_service(catalog::Catalog& catalog, int64_t id, std::optional<int64_t> version = std::nullopt) {
  auto& db = catalog.db();
  catalog::Statement q(db, "SELECT id, yaml, source_path, created_at, updated_at, version FROM service WHERE id = ?");
  q.bind(1, id);
  if (!q.executeStep()) throw Error(ErrorKind::NotFound, fmt::format("service {} not found", id));
  Registered r;
  r.id = q.getColumn(0).getInt64();
  r.source_path = q.getColumn(2).getString();
  r.created_at = q.getColumn(3).getString();
  r.updated_at = q.getColumn(4).getString();
  std::string yaml = q.getColumn(1).getString();
  if (version && *version != q.getColumn(5).getInt64()) {
    catalog::Statement v(db, "SELECT yaml FROM service_version WHERE service_id = ? AND version = ?");
    v.bind(1, id);
    v.bind(2, *version);
    if (!v.executeStep())
      throw Error(ErrorKind::NotFound, fmt::format("service {} has no version {}", id, *version),
                  "'hostctl listservices -o json' shows each service's versions");
    yaml = v.getColumn(0).getString();
  }
  auto files = version ? version_files(catalog, id, *version) : service_files(catalog, id);
  for (const auto& [path, _] : files) r.files.push_back(path);
  auto loaded = load_plan(yaml, [&](const std::string& path) -> std::optional<std::string> {
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

std::map<std::string, std::string> version_files(catalog::Catalog& catalog, int64_t service_id, int64_t version) {
  std::map<std::string, std::string> files;
  catalog::Statement q(catalog.db(), "SELECT path, content FROM service_version_file WHERE service_id = ? AND version = ?");
  q.bind(1, service_id);
  q.bind(2, version);
  while (q.executeStep()) files[q.getColumn(0).getString()] = q.getColumn(1).getString();
  return files;
}

std::map<std::string, std::string> service_files(catalog::Catalog& catalog, int64_t service_id) {
  std::map<std::string, std::string> files;
  catalog::Statement q(catalog.db(), "SELECT path, content FROM service_file WHERE service_id = ?");
  q.bind(1, service_id);
  while (q.executeStep()) files[q.getColumn(0).getString()] = q.getColumn(1).getString();
  return files;
}

namespace {

// Registers the plan as version `version` of the service, beside the older
// ones. A version a deployment runs is never changed under it.
void keep_version(catalog::Catalog& catalog, int64_t id, int64_t version, const std::string& yaml,
                  const std::map<std::string, std::string>& files, const std::string& now) {
  auto& db = catalog.db();
  catalog::Statement old(db, "SELECT yaml FROM service_version WHERE service_id = ? AND version = ?");
  old.bind(1, id);
  old.bind(2, version);
  if (old.executeStep()) {
    bool same = old.getColumn(0).getString() == yaml && version_files(catalog, id, version) == files;
    old.reset();
    if (same) return;
    catalog::Statement used(db, "SELECT count(*) FROM deployment WHERE service_id = ? AND service_version = ? "
                               "AND stage != 'removed'");
    used.bind(1, id);
    used.bind(2, version);
    used.executeStep();
    if (int64_t n = used.getColumn(0).getInt64(); n > 0)
      throw Error(ErrorKind::Refused,
                  fmt::format("version {} of this service runs {} deployment(s) and would change under them", version, n),
                  fmt::format("register the change as version {} and move sites to it with 'hostctl site upgrade'",
                              version + 1));
    catalog::Statement del(db, "DELETE FROM service_version WHERE service_id = ? AND version = ?");
    del.bind(1, id);
    del.bind(2, version);
    del.exec();
  }
  catalog::Statement add(db, "INSERT INTO service_version(service_id, version, yaml, created_at) VALUES (?, ?, ?, ?)");
  add.bind(1, id);
  add.bind(2, version);
  add.bind(3, yaml);
  add.bind(4, now);
  add.exec();
  for (const auto& [path, content] : files) {
    catalog::Statement file(db, "INSERT INTO service_version_file(service_id, version, path, content) VALUES (?, ?, ?, ?)");
    file.bind(1, id);
    file.bind(2, version);
    file.bind(3, path);
    file.bind_blob(4, content);
    file.exec();
  }
}

}  // namespace

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
  catalog::Statement existing(db, "SELECT id FROM service WHERE name = ?");
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
    catalog::Statement update(db,
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
    catalog::Statement clear(db, "DELETE FROM service_file WHERE service_id = ?");
    clear.bind(1, id);
    clear.exec();
  } else {
    catalog::Statement insert(db,
                              "INSERT INTO service(name, version, description, price_monthly, currency, yaml, "
                              "source_path, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
    insert.bind(1, plan.name);
    insert.bind(2, plan.version);
    insert.bind(3, plan.description);
    if (plan.price_monthly) insert.bind(4, *plan.price_monthly); else insert.bind(4);
    insert.bind(5, plan.currency);
    insert.bind(6, *text);
    insert.bind(7, source);
    insert.bind(8, now);
    insert.bind(9, now);
    id = catalog::insert_returning_id(insert);
  }
  for (const auto& [path, content] : loaded.files) {
    catalog::Statement add(db, "INSERT INTO service_file(service_id, path, content) VALUES (?, ?, ?)");
    add.bind(1, id);
    add.bind(2, path);
    add.bind_blob(3, content);
    add.exec();
  }
  keep_version(catalog, id, plan.version, *text, loaded.files, now);
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
  catalog::Statement used(db, "SELECT count(*) FROM site WHERE service_id = ?");
  used.bind(1, service.id);
  used.executeStep();
  if (used.getColumn(0).getInt64() > 0)
    throw Error(ErrorKind::Refused, fmt::format("service '{}' is still used by sites", service.plan.name));
  // Removed deployments are kept as history; they go with the plan they ran.
  catalog::Statement history(db, "DELETE FROM deployment WHERE service_id = ? AND stage = 'removed'");
  history.bind(1, service.id);
  history.exec();
  catalog::Statement del(db, "DELETE FROM service WHERE id = ?");
  del.bind(1, service.id);
  del.exec();
  write.commit();
  return service;
}

Registered get_service(catalog::Catalog& catalog, const std::string& ref) {
  return read_service(catalog, model::find_id(catalog.db(), "service", "service", ref));
}

Registered get_service_version(catalog::Catalog& catalog, int64_t service_id, int64_t version) {
  return read_service(catalog, service_id, version);
}

std::vector<std::pair<int64_t, int64_t>> service_versions(catalog::Catalog& catalog, int64_t service_id) {
  catalog::Statement q(catalog.db(),
                       "SELECT v.version, (SELECT count(*) FROM deployment d WHERE d.service_id = v.service_id AND "
                       "d.service_version = v.version AND d.stage != 'removed') FROM service_version v "
                       "WHERE v.service_id = ? ORDER BY v.version");
  q.bind(1, service_id);
  std::vector<std::pair<int64_t, int64_t>> out;
  while (q.executeStep()) out.emplace_back(q.getColumn(0).getInt64(), q.getColumn(1).getInt64());
  return out;
}

Registered with_count(catalog::Catalog& catalog, Registered service) {
  service.versions = service_versions(catalog, service.id);
  catalog::Statement q(catalog.db(), "SELECT count(*) FROM deployment WHERE service_id = ? AND stage != 'removed'");
  q.bind(1, service.id);
  q.executeStep();
  service.deployments = q.getColumn(0).getInt64();
  return service;
}

std::vector<Registered> list_services(catalog::Catalog& catalog) {
  catalog::Statement q(catalog.db(), "SELECT id FROM service ORDER BY name");
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
                  {"window", p.reserve.window},
                  {"from_site", p.reserve.from_site}};
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
  j["versions"] = nlohmann::ordered_json::array();
  for (const auto& [version, n] : r.versions) j["versions"].push_back({{"version", version}, {"deployments", n}});
  j["source_path"] = r.source_path;
  j["created_at"] = r.created_at;
  j["updated_at"] = r.updated_at;
  return j;
}

}  // namespace hostctl::service
