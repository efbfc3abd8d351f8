#include "lifecycle/deployment.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "databases/databases.hpp"
#include "secrets/secrets.hpp"
#include "routing/routing.hpp"
#include "run/operation.hpp"
#include "model/lookup.hpp"
#include "model/pattern.hpp"
#include "model/rules.hpp"
#include "model/validate.hpp"

namespace hostctl::lifecycle {
namespace {

// The deployment's one real directory goes, and the link that gives it its
// permanent name. A catalog from before 0.2 may name the link itself as the
// directory: it is resolved, and only ever inside the base directory.
constexpr const char* kRemoveDirectory = R"sh(set -eu
alias="$HOSTCTL_BASE_DIR/$HOSTCTL_DEPLOYMENT"
real=$(readlink -f "$HOSTCTL_ROOT" || printf '%s' "$HOSTCTL_ROOT")
case "$real" in
  "$(readlink -f "$HOSTCTL_BASE_DIR")"/?*) ;;
  *) echo "refusing to remove $real: it is not inside $HOSTCTL_BASE_DIR" >&2; exit 3 ;;
esac
if [ -L "$alias" ]; then rm -f "$alias"; fi
if [ -L "$HOSTCTL_ROOT" ]; then rm -f "$HOSTCTL_ROOT"; fi
rm -rf "$real"
)sh";

constexpr const char* kSelect =
    "SELECT d.id, d.name, d.service_id, s.name, d.host_id, h.name, d.site_id, coalesce(si.name, ''), d.client_id, "
    "d.stage, d.status, d.active, d.label, d.directory, d.params, d.created_at, coalesce(d.ready_at, ''), "
    "d.cloned_from, d.reserve, d.db_host_id, coalesce(dh.name, ''), d.db_name, coalesce(d.service_version, s.version) "
    "FROM deployment d "
    "JOIN service s ON s.id = d.service_id JOIN host h ON h.id = d.host_id "
    "LEFT JOIN site si ON si.id = d.site_id LEFT JOIN host dh ON dh.id = d.db_host_id ";

Deployment read_row(catalog::Statement& q) {
  Deployment d;
  d.id = q.getColumn(0).getInt64();
  d.name = q.getColumn(1).getString();
  d.service_id = q.getColumn(2).getInt64();
  d.service = q.getColumn(3).getString();
  d.host_id = q.getColumn(4).getInt64();
  d.host = q.getColumn(5).getString();
  if (!q.getColumn(6).isNull()) d.site_id = q.getColumn(6).getInt64();
  d.site = q.getColumn(7).getString();
  if (!q.getColumn(8).isNull()) d.client_id = q.getColumn(8).getInt64();
  d.stage = model::stored_stage(q.getColumn(9).getString());
  d.status = q.getColumn(10).getInt();
  d.active = q.getColumn(11).getInt() != 0;
  d.label = q.getColumn(12).getString();
  d.directory = q.getColumn(13).getString();
  d.params = nlohmann::json::parse(q.getColumn(14).getString());
  d.created_at = q.getColumn(15).getString();
  d.ready_at = q.getColumn(16).getString();
  if (!q.getColumn(17).isNull()) d.cloned_from = q.getColumn(17).getInt64();
  d.reserve = q.getColumn(18).getInt() != 0;
  if (!q.getColumn(19).isNull()) d.db_host_id = q.getColumn(19).getInt64();
  d.db_host = q.getColumn(20).getString();
  d.db_name = q.getColumn(21).getString();
  d.service_version = q.getColumn(22).getInt64();
  return d;
}

std::string random_suffix() {
  static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 6; ++i) s += alphabet[rd() % (sizeof alphabet - 1)];
  return s;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Free space and a directory for the deployment, before anything is written.
constexpr const char* kPreflight = R"sh(set -u
mkdir -p "$HOSTCTL_BASE_DIR" || exit 28
free=$(df -Pk "$HOSTCTL_BASE_DIR" | awk 'NR==2 {print $4}')
if [ "${free:-0}" -lt "$HOSTCTL_MIN_FREE_KB" ]; then
  echo "only ${free} KiB free in $HOSTCTL_BASE_DIR on $HOSTCTL_HOST; at least $HOSTCTL_MIN_FREE_KB KiB are needed" >&2
  exit 28
fi
mkdir -p "$HOSTCTL_ROOT"
)sh";

constexpr const char* kRemovedStep = "remove/directory";

// The manifest lets `host import` rebuild catalog rows from the hosts.
// A locked deployment's files are read-only; its directory itself stays
// writable so its manifest can follow its stage. Unlocking gives the owner
// its write bits back.
constexpr const char* kReadOnly = R"sh(find "$HOSTCTL_ROOT" -mindepth 1 ! -name '.hostctl-manifest.json*' -exec chmod a-w {} +)sh";
constexpr const char* kWritable = R"sh(if [ -e "$HOSTCTL_ROOT" ]; then chmod -R u+w "$HOSTCTL_ROOT"; fi)sh";

constexpr const char* kManifest = R"sh(set -eu
test -d "$HOSTCTL_ROOT" || exit 0
printf '%s\n' "$HOSTCTL_MANIFEST" > "$HOSTCTL_ROOT/.hostctl-manifest.json.tmp"
mv "$HOSTCTL_ROOT/.hostctl-manifest.json.tmp" "$HOSTCTL_ROOT/.hostctl-manifest.json"
)sh";

// Which params of each deployment's service are secret, so output can mask them.
void note_secrets(catalog::Catalog& catalog, std::vector<Deployment>& deployments) {
  std::map<std::pair<int64_t, int64_t>, std::vector<std::string>> by_service;
  for (auto& d : deployments) {
    auto it = by_service.find({d.service_id, d.service_version});
    if (it == by_service.end()) {
      std::vector<std::string> names;
      for (const auto& p : plan_of(catalog, d).plan.params)
        if (p.secret) names.push_back(p.name);
      it = by_service.emplace(std::pair{d.service_id, d.service_version}, names).first;
    }
    d.secret_params = it->second;
  }
}

}  // namespace

service::Registered plan_of(catalog::Catalog& catalog, const Deployment& d) {
  return service::get_service_version(catalog, d.service_id, d.service_version);
}

Deployment read_deployment(catalog::Catalog& catalog, int64_t id) {
  catalog::Statement q(catalog.db(), std::string(kSelect) + "WHERE d.id = ?");
  q.bind(1, id);
  if (!q.executeStep()) throw Error(ErrorKind::NotFound, fmt::format("deployment {} not found", id));
  std::vector<Deployment> one{read_row(q)};
  note_secrets(catalog, one);
  return one.front();
}

Deployment get_deployment(catalog::Catalog& catalog, const std::string& ref) {
  return read_deployment(catalog, model::find_id(catalog.db(), "deployment", "deployment", ref));
}

std::vector<Deployment> list_deployments(catalog::Catalog& catalog, const DeploymentFilter& f) {
  // Only the filters given go into the query, so SQLite can use its indexes
  // ("? IS NULL OR col = ?" would scan every deployment).
  std::vector<std::pair<std::string, std::string>> where;
  if (f.site) where.emplace_back("d.site_id = (SELECT id FROM site WHERE name = ?)", *f.site);
  if (f.service) where.emplace_back("d.service_id = (SELECT id FROM service WHERE name = ?)", *f.service);
  if (f.host) where.emplace_back("d.host_id = (SELECT id FROM host WHERE name = ?)", *f.host);
  if (f.stage) where.emplace_back("d.stage = ?", *f.stage);
  std::string sql = kSelect;
  sql += f.include_removed ? "WHERE TRUE" : "WHERE d.stage != 'removed'";
  for (const auto& [clause, _] : where) sql += " AND " + clause;
  catalog::Statement q(catalog.db(), sql + " ORDER BY d.id");
  int i = 0;
  for (const auto& [_, value] : where) q.bind(++i, value);
  std::vector<Deployment> out;
  while (q.executeStep()) out.push_back(read_row(q));
  note_secrets(catalog, out);
  return out;
}

model::RuleDeployment rule_view(const Deployment& d) { return {d.name, d.stage, d.status, d.active}; }

nlohmann::ordered_json to_json(const Deployment& d) {
  nlohmann::ordered_json j;
  j["id"] = d.id;
  j["name"] = d.name;
  j["service"] = d.service;
  j["service_version"] = d.service_version;
  j["host"] = d.host;
  j["site"] = d.site_id ? nlohmann::ordered_json(d.site) : nullptr;
  j["stage"] = model::stage_name(d.stage);
  j["status"] = d.status;
  j["status_name"] = run::status_name(d.status);
  j["active"] = d.active;
  j["label"] = d.label;
  j["reserve"] = d.reserve;
  j["directory"] = d.directory;
  nlohmann::json params = d.params;
  for (const auto& name : d.secret_params)
    if (params.contains(name)) params[name] = "********";
  j["params"] = params;
  j["cloned_from"] = d.cloned_from ? nlohmann::ordered_json(*d.cloned_from) : nullptr;
  j["database"] = d.db_host_id ? nlohmann::ordered_json{{"host", d.db_host}, {"name", d.db_name}} : nlohmann::ordered_json();
  j["created_at"] = d.created_at;
  j["ready_at"] = d.ready_at.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(d.ready_at);
  return j;
}

namespace {

// Refuses a value that parameter `name` of `plan` does not take.
void check_param_value(const service::Plan& plan, const std::string& name, const std::string& value) {
  auto p = std::find_if(plan.params.begin(), plan.params.end(), [&](const auto& x) { return x.name == name; });
  if (p == plan.params.end())
    throw Error(ErrorKind::Usage, fmt::format("service '{}' has no parameter {}", plan.name, model::shown(name)));
  model::require(model::check_text(value, 4096), "value of parameter " + name, p->secret ? "(secret)" : value);
  if (!p->pattern.empty() && !model::matches_pattern(value, p->pattern))
    throw Error(ErrorKind::Usage, fmt::format("parameter '{}' {} does not match {}", name,
                                              p->secret ? "(secret)" : model::shown(value), p->pattern));
}

}  // namespace

nlohmann::json resolve_params(const service::Plan& plan, const std::vector<std::string>& given) {
  nlohmann::json values = nlohmann::json::object();
  for (const auto& kv : given) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw Error(ErrorKind::Usage, fmt::format("parameter {} must be NAME=VALUE", model::shown(kv)));
    std::string name = kv.substr(0, eq), value = kv.substr(eq + 1);
    check_param_value(plan, name, value);
    values[name] = value;
  }
  for (const auto& p : plan.params) {
    if (values.contains(p.name)) continue;
    // A secret can come from the environment, out of the process list that shows command lines.
    if (const char* from_env = p.secret ? std::getenv(("HOSTCTL_PARAM_" + upper(p.name)).c_str()) : nullptr) {
      check_param_value(plan, p.name, from_env);
      values[p.name] = from_env;
      continue;
    }
    if (p.generate) {
      values[p.name] = secrets::generate_password();
      continue;
    }
    if (p.required)
      throw Error(ErrorKind::Usage,
                  fmt::format("service '{}' needs --param {}=...{}", plan.name, p.name,
                              p.secret ? fmt::format(" (or HOSTCTL_PARAM_{} in the environment)", upper(p.name)) : ""));
    values[p.name] = p.default_value;
  }
  return values;
}

namespace {

// Only a web host with its own managed nginx runs PHP or an application
// process: a router serving a directory from its own disk would send PHP as text.
bool serves(const service::Plan& plan, const model::Host& h) {
  return plan.serve.kind == service::ServeKind::Static || !h.web_listen.empty();
}

bool fits(const service::Plan& plan, const model::Host& h) {
  return serves(plan, h) && std::all_of(plan.roles.begin(), plan.roles.end(), [&](const std::string& role) {
           return std::find(h.roles.begin(), h.roles.end(), role) != h.roles.end();
         });
}

int64_t load_of(catalog::Catalog& catalog, const model::Host& h) {
  catalog::Statement q(catalog.db(), "SELECT count(*) FROM deployment WHERE host_id = ? AND stage != 'removed'");
  q.bind(1, h.id);
  q.executeStep();
  return q.getColumn(0).getInt64();
}

}  // namespace

model::Host choose_host(catalog::Catalog& catalog, const service::Plan& plan, const std::optional<std::string>& ref) {
  if (ref) {
    auto h = model::get_host(catalog, *ref);
    if (!serves(plan, h))
      throw Error(ErrorKind::Refused,
                  fmt::format("host '{}' runs no managed web server, which service '{}' needs to serve its "
                              "application", h.name, plan.name),
                  fmt::format("hostctl host edit {} --web-listen ADDRESS:PORT ...", h.name));
    if (!fits(plan, h))
      throw Error(ErrorKind::Refused, fmt::format("host '{}' lacks the roles service '{}' needs ({})", h.name,
                                                  plan.name, fmt::join(plan.roles, ", ")));
    if (load_of(catalog, h) >= h.capacity)
      throw Error(ErrorKind::Refused, fmt::format("host '{}' is full ({} deployments)", h.name, h.capacity));
    return h;
  }
  auto hosts = place_copies(catalog, plan, 1);
  if (hosts.empty())
    throw Error(ErrorKind::Refused,
                fmt::format("no host has the roles {} and room for service '{}'", fmt::join(plan.roles, ", "), plan.name),
                "add a host or raise a host's --capacity");
  return hosts.front();
}

std::vector<model::Host> place_copies(catalog::Catalog& catalog, const service::Plan& plan, int64_t n) {
  std::vector<std::pair<model::Host, int64_t>> candidates;
  for (auto& h : model::list_hosts(catalog))
    if (fits(plan, h)) candidates.emplace_back(h, load_of(catalog, h));
  std::vector<model::Host> out;
  for (int64_t i = 0; i < n; ++i) {
    auto best = candidates.end();
    for (auto it = candidates.begin(); it != candidates.end(); ++it)
      if (it->second < it->first.capacity && (best == candidates.end() || it->second < best->second)) best = it;
    if (best == candidates.end()) break;
    ++best->second;
    out.push_back(best->first);
  }
  return out;
}

nlohmann::json seal_params(catalog::Catalog& catalog, const service::Plan& plan, nlohmann::json params) {
  for (const auto& p : plan.params) {
    if (!p.secret || !params.contains(p.name) || !params[p.name].is_string()) continue;
    std::string v = params[p.name].get<std::string>();
    if (!v.empty() && !secrets::is_sealed(v)) params[p.name] = secrets::seal(catalog, v);
  }
  return params;
}

int64_t insert_deployment(catalog::Catalog& catalog, const service::Registered& service, const model::Host& host,
                          const nlohmann::json& params, std::optional<int64_t> site_id,
                          std::optional<int64_t> client_id, model::Stage stage, const std::string& label,
                          std::optional<int64_t> cloned_from, bool reserve,
                          const std::optional<model::Host>& db_server) {
  std::string name = fmt::format("{}-{}", service.plan.name.substr(0, 50), random_suffix());
  catalog::Statement st(catalog.db(),
                        "INSERT INTO deployment(name, service_id, host_id, site_id, client_id, stage, status, "
                        "label, directory, params, created_at, cloned_from, reserve, service_version) "
                        "VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
  st.bind(1, name);
  st.bind(2, service.id);
  st.bind(3, host.id);
  if (site_id) st.bind(4, *site_id); else st.bind(4);
  if (client_id) st.bind(5, *client_id); else st.bind(5);
  st.bind(6, std::string(model::stage_name(stage)));
  st.bind(7, label);
  st.bind(8, host.base_dir + "/" + name);
  st.bind(9, seal_params(catalog, service.plan, params).dump());
  st.bind(10, now_utc());
  if (cloned_from) st.bind(11, *cloned_from); else st.bind(11);
  st.bind(12, reserve ? 1 : 0);
  st.bind(13, service.plan.version);
  int64_t id = catalog::insert_returning_id(st);
  if (!service.plan.database.engine.empty()) {
    auto server = db_server ? *db_server : databases::choose_server(catalog, service.plan.database.engine, service.plan.name);
    catalog::Statement db(catalog.db(), "UPDATE deployment SET db_host_id = ?, db_name = ? WHERE id = ?");
    db.bind(1, server.id);
    db.bind(2, databases::database_name(name));
    db.bind(3, id);
    db.exec();
    secrets::store(catalog, "deployment", id, databases::kPassword, secrets::generate_password());
  }
  return id;
}

nlohmann::ordered_json site_record(catalog::Catalog& catalog, const std::string& site) {
  catalog::Statement q(catalog.db(),
                       "SELECT s.id, s.launched, s.enabled, s.protected, c.name, c.email, c.max_sites FROM site s "
                       "LEFT JOIN client c ON c.id = s.client_id WHERE s.name = ?");
  q.bind(1, site);
  nlohmann::ordered_json record;
  if (!q.executeStep()) return record;
  if (q.getColumn(4).isNull()) {
    record["client"] = nullptr;
  } else {
    record["client"] = {{"name", q.getColumn(4).getString()},
                        {"email", q.getColumn(5).getString()},
                        {"max_sites", q.getColumn(6).isNull() ? nlohmann::ordered_json()
                                                              : nlohmann::ordered_json(q.getColumn(6).getInt64())}};
  }
  record["launched"] = q.getColumn(1).getInt() != 0;
  record["enabled"] = q.getColumn(2).getInt() != 0;
  record["protected"] = q.getColumn(3).getInt() != 0;
  record["routes"] = nlohmann::ordered_json::array();
  // A preview route belongs to its test copy, which import does not bring back as the site's.
  for (const auto& r : routing::routes_of_site(catalog, q.getColumn(0).getInt64())) {
    if (r.preview_id) continue;
    record["routes"].push_back({{"source", r.source},
                                {"router", r.router},
                                {"active", r.active},
                                {"primary", r.primary},
                                {"active_on_launch", r.active_on_launch},
                                {"redirect", r.redirect},
                                {"tls", r.tls}});
  }
  return record;
}

void mark_record_due(catalog::Catalog& catalog, const std::string& site) {
  catalog::Write write(catalog, "");
  catalog::Statement st(catalog.db(),
                        "INSERT INTO site_record_due(site_id, serial) SELECT id, 1 FROM site WHERE name = ? "
                        "ON CONFLICT(site_id) DO UPDATE SET serial = site_record_due.serial + 1");
  st.bind(1, site);
  st.exec();
  write.commit();
}

Failure routes_changed(run::Ops& ops, const std::string& site) {
  mark_record_due(ops.catalog, site);
  std::vector<int64_t> served;
  {
    catalog::Statement q(ops.catalog.db(),
                         "SELECT d.id FROM deployment d JOIN site s ON s.id = d.site_id WHERE s.name = ? AND "
                         "d.stage != 'removed' AND (d.active = 1 OR EXISTS (SELECT 1 FROM route r WHERE "
                         "r.deployment_id = d.id)) ORDER BY d.active DESC, d.id");
    q.bind(1, site);
    while (q.executeStep()) served.push_back(q.getColumn(0).getInt64());
  }
  Failure first;
  for (int64_t id : served)
    if (auto error = run_routes_action(ops, read_deployment(ops.catalog, id)); error && !first) first = error;
  return first;
}

Failure run_routes_action(run::Ops& ops, const Deployment& d) {
  if (!plan_of(ops.catalog, d).plan.actions.count("routes")) return std::nullopt;
  // Only a change of its addresses is news to the copy: activating a route it
  // already has, for one, is not (a route's state is the routers' business).
  auto now = addresses_of(ops.catalog, d, d.site);
  std::string seen = now.primary + "\n" + now.routes;
  catalog::Statement last(ops.catalog.db(), "SELECT routes_seen FROM deployment WHERE id = ?");
  last.bind(1, d.id);
  if (last.executeStep() && !last.getColumn(0).isNull() && last.getColumn(0).getString() == seen) return std::nullopt;
  ActionRequest request;
  request.actions = {"routes"};
  request.write_manifest = false;
  auto summary = run_on_deployment(ops, d, "routes", request);
  // What the copy was told, once it was; a failed run forgets it, so whatever
  // a later `task retry` tells it, the next change of addresses runs again.
  {
    catalog::Write write(ops.catalog, "");
    catalog::Statement told(ops.catalog.db(), "UPDATE deployment SET routes_seen = ? WHERE id = ?");
    if (summary.status == run::kCompleted) told.bind(1, seen); else told.bind(1);
    told.bind(2, d.id);
    told.exec();
    write.commit();
  }
  if (summary.status == run::kCompleted) return std::nullopt;
  return Error(run::failure_kind(summary),
               fmt::format("the routes action of site '{}' on '{}' failed (command {}): {}", d.site, d.name,
                           summary.command_id, summary.error),
               fmt::format("fix it, then 'hostctl task retry {}'", summary.command_id));
}

std::vector<int64_t> write_due_records(run::Ops& ops) {
  struct Due {
    int64_t site_id, serial;
    std::string site, active;
  };
  std::vector<Due> due;
  {
    catalog::Statement q(ops.catalog.db(),
                         "SELECT r.site_id, r.serial, s.name, coalesce(d.name, '') FROM site_record_due r JOIN site s "
                         "ON s.id = r.site_id LEFT JOIN deployment d ON d.site_id = s.id AND d.active = 1 "
                         "ORDER BY r.site_id");
    while (q.executeStep())
      due.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getInt64(), q.getColumn(2).getString(),
                     q.getColumn(3).getString()});
  }
  std::vector<int64_t> failed;
  for (const auto& d : due) {
    if (!d.active.empty()) {
      ActionRequest request;
      auto summary = run_on_deployment(ops, get_deployment(ops.catalog, d.active), "manifest", request);
      if (summary.status != run::kCompleted) {
        ops.say(fmt::format("the record of site '{}' in the manifest of '{}' was not rewritten (command {}): {}",
                            d.site, d.active, summary.command_id, summary.error));
        failed.push_back(summary.command_id);
        continue;
      }
    }
    // Done, unless the site changed again meanwhile.
    catalog::Write write(ops.catalog, "");
    catalog::Statement done(ops.catalog.db(), "DELETE FROM site_record_due WHERE site_id = ? AND serial = ?");
    done.bind(1, d.site_id);
    done.bind(2, d.serial);
    done.exec();
    write.commit();
  }
  return failed;
}

// A parameter's value as the deployment's tasks get it: a secret opened.
std::string param_value(catalog::Catalog& catalog, const Deployment& d, const service::Param& p) {
  std::string v = d.params.value(p.name, p.default_value);
  return secrets::is_sealed(v) ? secrets::unseal(catalog, v) : v;
}

std::optional<databases::Placement> database_of(catalog::Catalog& catalog, const Deployment& d) {
  if (!d.db_host_id) return std::nullopt;
  auto password = secrets::load(catalog, "deployment", d.id, databases::kPassword);
  if (!password)
    throw Error(ErrorKind::Internal, fmt::format("deployment '{}' has a database but no password for it", d.name));
  return databases::Placement{model::get_host(catalog, std::to_string(*d.db_host_id)), d.db_name, *password};
}

// A deployment's public addresses as its site has them now: where an
// application takes its home URL from. A copy that preview routes serve has
// those (a test copy's home URL is its own); the others have the site's public routes.
Addresses addresses_of(catalog::Catalog& catalog, const Deployment& d, const std::string& site) {
  Addresses out;
  if (site.empty()) return out;
  auto all = routing::routes_of_site(catalog, model::find_id(catalog.db(), "site", "site", site));
  bool previewed = std::any_of(all.begin(), all.end(), [&](const auto& r) { return r.preview_id == d.id; });
  for (const auto& r : all) {
    if (previewed ? r.preview_id != d.id : r.preview_id.has_value()) continue;
    std::string url = routing::public_url(catalog, r);
    out.routes += url + "\n";
    if (r.primary || (previewed && out.primary.empty())) out.primary = url;
  }
  return out;
}

ActionRequest clone_request(const Deployment& source) {
  ActionRequest request;
  request.actions = {"clone"};
  request.after = {{"clone/writable", "chmod -R u+w \"$HOSTCTL_ROOT\""}};
  request.extra_env = {{"HOSTCTL_SOURCE_ROOT", source.directory}, {"HOSTCTL_SOURCE_DEPLOYMENT", source.name}};
  request.source = source.id;
  return request;
}

std::vector<run::TaskSpec> action_tasks(catalog::Catalog& catalog, const Deployment& d, const ActionRequest& request,
                                        int64_t min_free_kb) {
  auto service = plan_of(catalog, d);
  auto files = service::version_files(catalog, d.service_id, d.service_version);
  auto host = model::get_host(catalog, std::to_string(d.host_id));
  const service::Plan& plan = service.plan;

  std::vector<std::pair<std::string, std::string>> env = {
      {"HOSTCTL_ROOT", d.directory},         {"HOSTCTL_DEPLOYMENT", d.name},
      {"HOSTCTL_SERVICE", plan.name},        {"HOSTCTL_SERVICE_VERSION", std::to_string(plan.version)},
      {"HOSTCTL_HOST", host.name},
      {"HOSTCTL_BASE_DIR", host.base_dir},   {"HOSTCTL_SITE", request.site_after.value_or(d.site)},
      {"HOSTCTL_MIN_FREE_KB", std::to_string(min_free_kb)}};
  auto [primary, routes] = addresses_of(catalog, d, request.site_after.value_or(d.site));
  env.emplace_back("HOSTCTL_PRIMARY_URL", primary);
  env.emplace_back("HOSTCTL_ROUTES", routes);
  std::string secrets;
  for (const auto& p : plan.params) {
    env.emplace_back("HOSTCTL_PARAM_" + upper(p.name), param_value(catalog, d, p));
    if (p.secret) secrets += (secrets.empty() ? "" : " ") + env.back().first;
  }
  // The database, and where its dump is while a backup or restore runs (in
  // the directory, so the plan's archive of its directory holds it).
  auto db = database_of(catalog, d);
  const std::string dump = d.directory + "/.hostctl-database.sql";
  if (db) {
    for (auto& e : databases::application_env(*db)) env.push_back(e);
    env.emplace_back("HOSTCTL_DB_DUMP", dump);
    secrets += (secrets.empty() ? "" : " ") + std::string("HOSTCTL_DB_PASSWORD");
  }
  env.emplace_back(run::kSecretsVariable, secrets);
  for (const auto& e : request.extra_env) env.push_back(e);

  auto task = [&](const std::string& name, const std::string& script, int64_t timeout) {
    run::TaskSpec t;
    t.host_id = host.id;
    t.host_name = host.name;
    t.deployment_id = d.id;
    t.name = name;
    t.script = script;
    t.timeout = timeout > 0 ? timeout : plan.timeout;
    t.env = env;
    return t;
  };
  std::vector<run::TaskSpec> tasks;
  static const std::set<std::string> writes = {"install", "clone", "backup", "restore"};
  if (std::any_of(request.actions.begin(), request.actions.end(), [](const auto& a) { return writes.count(a); }))
    tasks.push_back(task("preflight", kPreflight, 60));
  bool removes = std::find(request.actions.begin(), request.actions.end(), "remove") != request.actions.end();
  // A locked copy's files are read-only: whatever the plan's remove does, it may delete them.
  if (removes) tasks.push_back(task("remove/writable", kWritable, 120));
  for (const auto& [name, script] : request.before) tasks.push_back(task(name, script, 120));
  auto add = [&](std::vector<run::TaskSpec> steps) {
    for (auto& step : steps) {
      step.deployment_id = d.id;
      tasks.push_back(std::move(step));
    }
  };
  for (const auto& action : request.actions) {
    // The database is made before the plan's install or clone needs it, and
    // dumped before its backup; a restore loads it after the plan's restore.
    if (db && (action == "install" || action == "clone")) add({databases::create_step(catalog, *db, 0)});
    if (db && action == "clone" && request.source)
      if (auto from = database_of(catalog, read_deployment(catalog, *request.source)))
        add(databases::copy_steps(catalog, *from, *db, 0));
    if (db && action == "backup") add(databases::dump_steps(catalog, *db, host, dump, 0));
    auto it = plan.actions.find(action);
    if (it != plan.actions.end()) {
      for (const auto& t : it->second) {
        auto spec = task(action + "/" + t.name, t.script.empty() ? t.run : files.at(t.script), t.timeout);
        spec.rollback = t.rollback;
        spec.env.emplace_back("HOSTCTL_ACTION", action);
        tasks.push_back(spec);
      }
    }
    if (db && action == "backup") tasks.push_back(task("database/tidy", "rm -f \"$HOSTCTL_DB_DUMP\"\n", 60));
    if (db && action == "restore") add(databases::load_steps(catalog, *db, host, dump, 0));
  }
  for (const auto& [name, script] : request.after) tasks.push_back(task(name, script, 300));
  if (db && request.database_writable) add({databases::access_step(catalog, *db, *request.database_writable, 0)});
  // Whatever the plan's remove action does, the directory goes: that is what removed means.
  if (removes) tasks.push_back(task(kRemovedStep, kRemoveDirectory, 300));
  // And its database: the catalog owns it as it owns the directory.
  if (removes && db) add({databases::drop_step(catalog, *db, 0)});
  if (request.write_manifest) {
    nlohmann::ordered_json manifest;
    manifest["hostctl_manifest"] = 1;
    manifest["deployment"] = request.name_after.value_or(d.name);
    manifest["service"] = plan.name;
    manifest["service_version"] = plan.version;
    manifest["stage"] = model::stage_name(request.stage_after.value_or(d.stage));
    std::string site = request.site_after.value_or(d.site);
    manifest["site"] = site.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(site);
    manifest["label"] = d.label;
    manifest["reserve"] = d.reserve;
    nlohmann::ordered_json params = nlohmann::ordered_json::object();
    for (const auto& p : plan.params)
      if (!p.secret) params[p.name] = d.params.value(p.name, p.default_value);
    manifest["params"] = params;
    manifest["created_at"] = d.created_at;
    if (!site.empty()) manifest["site_record"] = site_record(catalog, site);
    auto t = task("manifest", kManifest, 30);
    t.env.emplace_back("HOSTCTL_MANIFEST", manifest.dump());
    tasks.push_back(t);
  }
  return tasks;
}

bool builds(std::string_view action) {
  static const std::set<std::string_view> building = {"install", "allocate", "clone",          "restore",
                                                      "remove",  "finalize", "reserve refill", "reserve prune",
                                                      "backup verify"};
  return building.count(action) > 0;
}

run::RunSummary run_on_deployment(run::Ops& ops, const Deployment& d, const std::string& action,
                                  const ActionRequest& request) {
  run::CommandSpec spec{action, "deployment", d.name, action_tasks(ops.catalog, d, request, ops.min_free_kb)};
  int64_t id = run::begin_command(ops.catalog, [&] {
    if (builds(action)) {  // in the transaction that records the command: never PENDING without one
      catalog::Statement pending(ops.catalog.db(), "UPDATE deployment SET status = 1 WHERE id = ?");
      pending.bind(1, d.id);
      pending.exec();
    }
    return spec;
  });
  ops.say(fmt::format("{} on deployment '{}' (host '{}'): command {}", action, d.name, d.host, id));
  return run::execute(ops, id);
}

void settle(catalog::Catalog& catalog, const run::CommandView& command) {
  // Each deployment by its own tasks: a refill runs many copies as lanes of one command.
  std::map<int64_t, bool> done;
  std::set<int64_t> removing;
  for (const auto& t : command.tasks)
    if (t.deployment_id) {
      auto [it, _] = done.emplace(*t.deployment_id, true);
      it->second = it->second && t.status == run::kCompleted;
      if (t.name == kRemovedStep) removing.insert(*t.deployment_id);
    }
  if (done.empty()) return;
  catalog::Write write(catalog, "");
  for (const auto& [id, ok] : done) {
    int status = ok ? run::kCompleted : run::kFailed;
    if (removing.count(id) && ok) status = run::kRemoved;
    // A deployment removed meanwhile stays removed, whatever a late command says.
    catalog::Statement st(catalog.db(),
                          "UPDATE deployment SET status = ?1, ready_at = CASE WHEN ?1 = 5 AND ready_at IS NULL "
                          "THEN ?2 ELSE ready_at END, stage = CASE WHEN ?1 = 8 THEN 'removed' ELSE stage END, "
                          "active = CASE WHEN ?1 = 8 THEN 0 ELSE active END WHERE id = ?3 AND status != 8");
    st.bind(1, status);
    st.bind(2, now_utc());
    st.bind(3, id);
    st.exec();
  }
  write.commit();
}

Failure check_ready_copies(run::Ops& ops, const run::CommandView& command) {
  std::set<int64_t> ids;
  for (const auto& t : command.tasks)
    if (t.deployment_id) ids.insert(*t.deployment_id);
  Failure first;
  for (int64_t id : ids) {
    auto d = read_deployment(ops.catalog, id);
    if (!d.reserve || d.stage != model::Stage::Provision || d.status != run::kCompleted) continue;
    auto error = routing::backend_check(ops.catalog, id);
    if (error.empty()) continue;
    catalog::Write write(ops.catalog, fmt::format("reserve copy {} failed its check", d.name));
    catalog::Statement failed(ops.catalog.db(), "UPDATE deployment SET status = ? WHERE id = ?");
    failed.bind(1, static_cast<int>(run::kFailed));
    failed.bind(2, id);
    failed.exec();
    write.commit();
    std::string what = fmt::format("reserve copy '{}' failed its check and is marked FAILED: {}", d.name, error);
    ops.say(what);
    if (!first)
      first = Error(ErrorKind::RemoteFailed, what, "fix the plan or the web host; 'hostctl reserve prune' removes the copy");
  }
  return first;
}

run::RunSummary change_stage(run::Ops& ops, const std::string& ref, model::Stage stage) {
  auto d = get_deployment(ops.catalog, ref);
  model::check_stage_change(rule_view(d), stage);
  {
    // The action as the operator said it: lock, unlock or archive.
    std::string_view action = stage == model::Stage::Allocate ? "unlock" : model::stage_name(stage);
    catalog::Write write(ops.catalog, fmt::format("deployment {} {}", action, d.name));
    catalog::Statement st(ops.catalog.db(), "UPDATE deployment SET stage = ? WHERE id = ?");
    st.bind(1, std::string(model::stage_name(stage)));
    st.bind(2, d.id);
    st.exec();
    write.commit();
  }
  d.stage = stage;
  ActionRequest request = stage == model::Stage::Lock       ? lock_request()
                          : stage == model::Stage::Allocate ? unlock_request()
                                                            : ActionRequest{};
  request.stage_after = stage;
  return run_on_deployment(ops, d, stage == model::Stage::Allocate ? "unlock" : std::string(model::stage_name(stage)),
                           request);
}

ActionRequest lock_request() {
  ActionRequest r;
  r.stage_after = model::Stage::Lock;
  r.after = {{"lock/read-only", kReadOnly}};
  r.database_writable = false;
  return r;
}

ActionRequest unlock_request() {
  ActionRequest r;
  r.stage_after = model::Stage::Allocate;
  r.before = {{"unlock/writable", kWritable}};
  r.database_writable = true;
  return r;
}

bool hold_writes(run::Ops& ops, const Deployment& active) {
  if (active.stage == model::Stage::Lock) return false;
  ops.say(fmt::format("site '{}' is read-only until its new copy serves: '{}' is locked, its writes are refused",
                      active.site, active.name));
  auto locked = change_stage(ops, active.name, model::Stage::Lock);
  if (locked.status != run::kCompleted)
    throw Error(run::failure_kind(locked), fmt::format("could not lock '{}' for the move: {}", active.name, locked.error));
  return true;
}

void release_writes(run::Ops& ops, int64_t deployment_id) {
  auto d = read_deployment(ops.catalog, deployment_id);
  ops.say(fmt::format("site '{}' is writable again on '{}'", d.site, d.name));
  // A switch that was undone has set the stage back already; the files and database follow it here.
  if (d.stage == model::Stage::Lock) change_stage(ops, d.name, model::Stage::Allocate);
  else run_on_deployment(ops, d, "unlock", unlock_request());
}

run::RunSummary remove_deployment(run::Ops& ops, const std::string& ref, bool allow_active) {
  auto d = get_deployment(ops.catalog, ref);
  model::check_not_removed(rule_view(d), "be removed again");
  if (d.active && !allow_active)
    throw Error(ErrorKind::Refused,
                fmt::format("deployment '{}' is the active deployment of site '{}'", d.name, d.site),
                "switch the site to another deployment, or delete the site");
  catalog::Statement preview(ops.catalog.db(), "SELECT source FROM route WHERE deployment_id = ?");
  preview.bind(1, d.id);
  if (preview.executeStep())
    throw Error(ErrorKind::Refused,
                fmt::format("route '{}' previews deployment '{}'", preview.getColumn(0).getString(), d.name),
                fmt::format("hostctl route delete {}", preview.getColumn(0).getString()));
  ActionRequest request;
  request.actions = {"remove"};
  request.write_manifest = false;
  return run_on_deployment(ops, d, "remove", request);
}

std::string reveal_secret(catalog::Catalog& catalog, const std::string& ref, const std::string& name) {
  catalog::Write write(catalog, fmt::format("deployment secret {} {}", ref, name));
  auto d = get_deployment(catalog, ref);
  std::vector<std::string> names = secrets::names(catalog, "deployment", d.id);
  std::optional<std::string> value = secrets::load(catalog, "deployment", d.id, name);
  for (const auto& p : plan_of(catalog, d).plan.params) {
    if (!p.secret) continue;
    names.push_back(p.name);
    if (p.name == name) value = param_value(catalog, d, p);
  }
  if (!value)
    throw Error(ErrorKind::NotFound,
                fmt::format("deployment '{}' has no secret '{}'", d.name, name),
                names.empty() ? "it has no secrets" : fmt::format("its secrets: {}", fmt::join(names, ", ")));
  write.commit();
  return *value;
}

run::RunSummary verify_deployment(run::Ops& ops, const std::string& ref) {
  auto d = get_deployment(ops.catalog, ref);
  model::check_not_removed(rule_view(d), "be verified");
  ActionRequest request;
  request.actions = {"verify"};
  return run_on_deployment(ops, d, "verify", request);
}

}  // namespace hostctl::lifecycle

namespace hostctl::lifecycle {

DeployResult deploy_service(run::Ops& ops, const std::string& service_ref, const std::optional<std::string>& host_ref,
                            const std::optional<std::string>& client, const std::vector<std::string>& params,
                            const std::string& label, bool async, bool reserve) {
  auto service = service::get_service(ops.catalog, service_ref);
  if (reserve && (!label.empty() || client))
    throw Error(ErrorKind::Usage, "a reserve copy has no label and no client: drop --label and --client, or --reserve");
  auto values = resolve_params(service.plan, params);
  model::require(model::check_text(label, 200), "label", label);
  std::optional<int64_t> client_id;
  if (client) client_id = model::find_id(ops.catalog.db(), "client", "client", *client);
  auto host = choose_host(ops.catalog, service.plan, host_ref);
  int64_t id = 0;
  {
    catalog::Write write(ops.catalog, fmt::format("deployservice {} on {}", service.plan.name, host.name));
    id = insert_deployment(ops.catalog, service, host, values, std::nullopt, client_id, model::Stage::Provision, label,
                           std::nullopt, reserve);
    write.commit();
  }
  DeployResult out;
  out.deployment = read_deployment(ops.catalog, id);
  ActionRequest request;
  request.actions = {"install", "verify"};
  request.stage_after = model::Stage::Provision;
  if (async) {
    out.summary.command_id = run::queue_command(
        ops.catalog, {"install", "deployment", out.deployment.name,
                      action_tasks(ops.catalog, out.deployment, request, ops.min_free_kb)});
    out.summary.status = run::kInitiated;
    ops.say(fmt::format("install of '{}' queued as command {}; 'hostctl queue run tasks' runs it",
                        out.deployment.name, out.summary.command_id));
    return out;
  }
  out.summary = run_on_deployment(ops, out.deployment, "install", request);
  out.deployment = read_deployment(ops.catalog, id);
  return out;
}

}  // namespace hostctl::lifecycle
