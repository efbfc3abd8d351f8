#include "lifecycle/inventory.hpp"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "databases/databases.hpp"
#include "hostops/hostops.hpp"
#include "lifecycle/deployment.hpp"
#include "model/host.hpp"
#include "model/validate.hpp"
#include "routing/certificates.hpp"
#include "routing/routing.hpp"

namespace hostctl::lifecycle {
namespace {

// A link is a deployment's permanent name, not a deployment of its own.
constexpr const char* kScan = R"sh(for f in "$HOSTCTL_BASE_DIR"/*/.hostctl-manifest.json; do
  [ -L "$(dirname "$f")" ] && continue
  [ -f "$f" ] && printf '@hostctl-manifest %s %s\n' "$(dirname "$f")" "$(cat "$f")"
done
exit 0
)sh";

struct Found {
  std::map<std::string, std::pair<std::string, nlohmann::json>> manifests;  // deployment -> (dir, manifest)
  std::set<std::string> dirs;
  std::map<std::string, std::string> router_files, web_files, php_files;  // name -> content
  std::set<std::pair<std::string, std::string>> certificates;   // (domain, serial)
};

// Parses the @hostctl-manifest / -dir / -router-* lines of one task's log.
Found parse_found(catalog::Catalog& catalog, int64_t command_id, int64_t task_id) {
  Found f;
  for (const auto& l : run::command_log(catalog, command_id, 0, task_id)) {
    if (l.stream != "out") continue;
    const std::string& line = l.line;
    auto rest = [&](const char* prefix) { return line.substr(std::string(prefix).size()); };
    if (line.rfind("@hostctl-manifest ", 0) == 0) {
      std::string text = rest("@hostctl-manifest ");
      auto space = text.find(' ');
      if (space == std::string::npos) continue;
      auto manifest = nlohmann::json::parse(text.substr(space + 1), nullptr, false);
      if (manifest.is_discarded() || !manifest.contains("deployment") || !manifest["deployment"].is_string()) continue;
      f.manifests[manifest["deployment"].get<std::string>()] = {text.substr(0, space), manifest};
    } else if (line.rfind("@hostctl-dir ", 0) == 0) {
      f.dirs.insert(rest("@hostctl-dir "));
    } else if (line.rfind("@hostctl-cert ", 0) == 0) {
      std::string text = rest("@hostctl-cert ");
      auto space = text.find(' ');
      if (space != std::string::npos) f.certificates.insert({text.substr(0, space), text.substr(space + 1)});
    } else {
      for (auto [kind, files] :
           {std::pair{"router", &f.router_files}, std::pair{"web", &f.web_files}, std::pair{"php", &f.php_files}}) {
        std::string file = fmt::format("@hostctl-{}-file ", kind), text = fmt::format("@hostctl-{}-line ", kind);
        if (line.rfind(file, 0) == 0) {
          (*files)[line.substr(file.size())];
        } else if (line.rfind(text, 0) == 0) {
          std::string rest_of = line.substr(text.size());
          auto space = rest_of.find(' ');
          (*files)[rest_of.substr(0, space)] += (space == std::string::npos ? "" : rest_of.substr(space + 1)) + "\n";
        }
      }
    }
  }
  return f;
}

// A record queue run tasks is about to rewrite is pending work, not drift.
bool record_due(catalog::Catalog& catalog, const std::string& site) {
  catalog::Statement q(catalog.db(),
                       "SELECT 1 FROM site_record_due r JOIN site s ON s.id = r.site_id WHERE s.name = ?");
  q.bind(1, site);
  return q.executeStep();
}

std::string str(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

// The site as its active copy's manifest recorded it: a site made by this
// import gets its client (made when missing) and flags; every recorded route
// not in the catalog comes back inactive, and those that were active are
// returned to be activated once the rows are committed.
std::vector<std::string> restore_site(catalog::Connection& db, int64_t site_id, bool made_now, const nlohmann::json& record,
                                      ImportResult& out) {
  std::vector<std::string> to_activate;
  if (!record.is_object()) return to_activate;
  auto flag = [&](const char* key) { return record.contains(key) && record[key].is_boolean() && record[key].get<bool>(); };
  const nlohmann::json client = record.value("client", nlohmann::json());
  if (made_now && client.is_object() && client.value("name", nlohmann::json()).is_string() &&
      model::check_name(client["name"].get<std::string>()).empty()) {
    std::string name = client["name"].get<std::string>();
    catalog::Statement find(db, "SELECT id FROM client WHERE name = ?");
    find.bind(1, name);
    int64_t client_id = 0;
    if (find.executeStep()) {
      client_id = find.getColumn(0).getInt64();
    } else {
      catalog::Statement add(db, "INSERT INTO client(name, email, max_sites, created_at) VALUES (?, ?, ?, ?) RETURNING id");
      add.bind(1, name);
      add.bind(2, client.value("email", nlohmann::json()).is_string() ? client["email"].get<std::string>() : "");
      if (client.value("max_sites", nlohmann::json()).is_number_unsigned()) add.bind(3, client["max_sites"].get<int64_t>());
      else add.bind(3);
      add.bind(4, now_utc());
      client_id = catalog::insert_returning_id(add);
      out.clients.push_back(name);
    }
    catalog::Statement set(db, "UPDATE site SET client_id = ? WHERE id = ?");
    set.bind(1, client_id);
    set.bind(2, site_id);
    set.exec();
  }
  if (made_now) {
    catalog::Statement flags(db, "UPDATE site SET launched = ?, enabled = ?, protected = ? WHERE id = ?");
    flags.bind(1, flag("launched") ? 1 : 0);
    flags.bind(2, record.contains("enabled") && !flag("enabled") ? 0 : 1);
    flags.bind(3, flag("protected") ? 1 : 0);
    flags.bind(4, site_id);
    flags.exec();
  }
  const nlohmann::json routes = record.value("routes", nlohmann::json::array());
  for (const auto& r : routes.is_array() ? routes : nlohmann::json::array()) {
    if (!r.is_object()) continue;
    std::string source = str(r, "source"), router = str(r, "router");
    auto skip = [&](const std::string& why) { out.skipped.push_back(fmt::format("route {}: {}", source, why)); };
    if (!routing::check_source(source).empty()) { skip("not a valid route source"); continue; }
    catalog::Statement known(db, "SELECT 1 FROM route WHERE source = ?");
    known.bind(1, source);
    if (known.executeStep()) { skip("already in the catalog"); continue; }
    catalog::Statement host(db, "SELECT h.id FROM host h JOIN host_role r ON r.host_id = h.id AND r.role = 'router' "
                               "WHERE h.name = ?");
    host.bind(1, router);
    if (!host.executeStep()) { skip(fmt::format("router '{}' is not registered", router)); continue; }
    bool primary = r.value("primary", false) == true;
    catalog::Statement has_primary(db, "SELECT 1 FROM route WHERE site_id = ? AND is_primary = 1");
    has_primary.bind(1, site_id);
    std::string tls = str(r, "tls");
    routing::insert_route(db, {source, site_id, host.getColumn(0).getInt64(), primary && !has_primary.executeStep(),
                               r.value("active_on_launch", false) == true, r.value("redirect", false) == true,
                               tls == "acme" || tls == "manual" ? tls : "", std::nullopt});
    out.routes.push_back(source);
    if (r.value("active", false) == true) to_activate.push_back(source);
  }
  return to_activate;
}

}  // namespace

ImportResult import_host(run::Ops& ops, const std::string& host_ref) {
  auto host = model::get_host(ops.catalog, host_ref);
  run::TaskSpec t;
  t.host_id = host.id;
  t.host_name = host.name;
  t.name = "scan";
  t.script = kScan;
  t.timeout = 120;
  t.env = {{"HOSTCTL_BASE_DIR", host.base_dir}};
  int64_t id = run::begin_command(ops.catalog, {"host import", "host", host.name, {t}});
  ImportResult out;
  out.summary = run::execute(ops, id);
  if (out.summary.status != run::kCompleted) return out;
  auto command = run::get_command(ops.catalog, id);
  Found found = parse_found(ops.catalog, id, command.tasks.front().id);

  auto& db = ops.catalog.db();
  std::vector<std::string> to_activate;
  catalog::Write write(ops.catalog, "host import " + host.name);
  for (const auto& [name, entry] : found.manifests) {
    const auto& [dir, m] = entry;
    auto skip = [&out, &name = name](const std::string& why) { out.skipped.push_back(name + ": " + why); };
    if (!model::check_name(name).empty()) { skip("not a valid deployment name"); continue; }
    catalog::Statement known(db, "SELECT 1 FROM deployment WHERE name = ?");
    known.bind(1, name);
    if (known.executeStep()) { skip("already in the catalog"); continue; }
    std::string service_name = str(m, "service"), stage = str(m, "stage"), site = str(m, "site");
    catalog::Statement svc(db, "SELECT id FROM service WHERE name = ?");
    svc.bind(1, service_name);
    if (!svc.executeStep()) { skip(fmt::format("service '{}' is not registered (createservice it first)", service_name)); continue; }
    int64_t service_id = svc.getColumn(0).getInt64();
    auto parsed = model::parse_stage(stage);
    if (!parsed || *parsed == model::Stage::Removed) { skip("unknown stage"); continue; }
    if (model::check_abs_path(dir) != "") { skip("unusable directory"); continue; }
    std::optional<int64_t> site_id;
    bool active = false;
    if (!site.empty()) {
      if (!model::check_name(site).empty()) { skip("invalid site name"); continue; }
      catalog::Statement s(db, "SELECT id FROM site WHERE name = ?");
      s.bind(1, site);
      if (s.executeStep()) {
        site_id = s.getColumn(0).getInt64();
      } else {
        catalog::Statement add(db, "INSERT INTO site(name, service_id, created_at) VALUES (?, ?, ?) RETURNING id");
        add.bind(1, site);
        add.bind(2, service_id);
        add.bind(3, now_utc());
        site_id = catalog::insert_returning_id(add);
        out.sites.push_back(site);
      }
      catalog::Statement has_active(db, "SELECT 1 FROM deployment WHERE site_id = ? AND active = 1");
      has_active.bind(1, *site_id);
      active = *parsed == model::Stage::Allocate && !has_active.executeStep();
    }
    nlohmann::json params = m.contains("params") && m["params"].is_object() ? m["params"] : nlohmann::json::object();
    catalog::Statement ins(db,
                           "INSERT INTO deployment(name, service_id, host_id, site_id, stage, status, active, label, "
                           "directory, params, created_at, ready_at, reserve, service_version) "
                           "VALUES (?, ?, ?, ?, ?, 5, ?, ?, ?, ?, ?, ?, ?, coalesce((SELECT version FROM service_version "
                           "WHERE service_id = ?2 AND version = ?13), (SELECT version FROM service WHERE id = ?2)))");
    ins.bind(1, name);
    ins.bind(2, service_id);
    ins.bind(3, host.id);
    if (site_id) ins.bind(4, *site_id); else ins.bind(4);
    ins.bind(5, stage);
    ins.bind(6, active ? 1 : 0);
    ins.bind(7, str(m, "label"));
    ins.bind(8, dir);
    ins.bind(9, params.dump());
    std::string created = str(m, "created_at");
    ins.bind(10, created.empty() ? now_utc() : created);
    ins.bind(11, now_utc());
    // A reserve copy stays one; a deployment given to a site never is.
    bool reserve = m.contains("reserve") && m["reserve"].is_boolean() && m["reserve"].get<bool>();
    ins.bind(12, !site_id && reserve ? 1 : 0);
    // The version its manifest names, when the catalog has it; else the newest.
    ins.bind(13, m.value("service_version", int64_t{0}));
    ins.exec();
    out.registered.push_back(name);
    if (active) {
      bool made_now = std::find(out.sites.begin(), out.sites.end(), site) != out.sites.end();
      for (auto& source : restore_site(db, *site_id, made_now, m.value("site_record", nlohmann::json()), out))
        to_activate.push_back(source);
    }
  }
  write.commit();
  // The host serves what it holds under the new catalog's ids (its backend
  // blocks are named by them), then the routes that were served are served
  // again: each router synced and checked.
  if (!out.registered.empty())
    if (auto error = routing::sync_web(ops, host.id)) {
      out.route_error = error;
      return out;
    }
  std::vector<int64_t> ids;
  for (const auto& source : to_activate) ids.push_back(routing::get_route(ops.catalog, source).id);
  if (!ids.empty()) out.route_error = routing::set_active(ops, ids, true).error;
  return out;
}

// Drift between the files hostctl would write to a directory it owns and those there.
void compare_files(std::vector<Drift>& out, const std::string& host, const std::string& kind,
                   const std::map<std::string, std::string>& expected, const std::map<std::string, std::string>& found) {
  bool router = kind == "router";
  for (const auto& [name, body] : expected) {
    auto it = found.find(name);
    if (it == found.end())
      out.push_back({host, kind + "-file-missing", name,
                     router ? "an active route's server block is not on the router"
                            : fmt::format("a ready deployment's {} is not on the web host",
                                          kind == "php" ? "php-fpm pool" : "backend block")});
    else if (it->second != body)
      out.push_back({host, kind + "-file-differs", name, "the file was changed on the host"});
  }
  for (const auto& [name, _] : found)
    if (!expected.count(name))
      out.push_back({host, kind + "-file-extra", name,
                     router ? "no active route needs this file" : "no ready deployment needs this file"});
}

namespace {

constexpr const char* kDatabaseList = "database/list";

// Drift between a database server's hostctl databases and the deployments placed on it.
void compare_databases(catalog::Catalog& catalog, std::vector<Drift>& out, const model::Host& host,
                       int64_t task_id) {
  std::set<std::string> found;
  catalog::Statement fact(catalog.db(), "SELECT value FROM directive WHERE task_id = ? AND kind = 'set' AND key = 'databases'");
  fact.bind(1, task_id);
  if (fact.executeStep()) {
    std::istringstream names(fact.getColumn(0).getString());
    for (std::string name; names >> name;) found.insert(name);
  }
  std::set<std::string> owned;
  catalog::Statement live(catalog.db(), "SELECT name, db_name FROM deployment WHERE db_host_id = ? AND stage != 'removed' ORDER BY name");
  live.bind(1, host.id);
  while (live.executeStep()) {
    std::string name = live.getColumn(0).getString(), db = live.getColumn(1).getString();
    owned.insert(db);
    if (!found.count(db))
      out.push_back({host.name, "database-missing", name, fmt::format("its database {} is not on the server", db)});
  }
  for (const auto& db : found) {
    if (owned.count(db)) continue;
    catalog::Statement removed(catalog.db(), "SELECT 1 FROM deployment WHERE db_name = ? AND db_host_id = ?");
    removed.bind(1, db);
    removed.bind(2, host.id);
    out.push_back({host.name, "database-extra", db,
                   removed.executeStep() ? "its deployment was removed; --repair drops it"
                                         : "no deployment in the catalog owns it (left alone)"});
  }
}

}  // namespace

run::CommandSpec verify_spec(catalog::Catalog& catalog, const std::vector<model::Host>& hosts, int64_t timeout) {
  auto spec = hostops::verify_spec(hosts, timeout);
  std::vector<run::TaskSpec> tasks;
  for (auto& t : spec.tasks) {
    tasks.push_back(t);
    auto host = std::find_if(hosts.begin(), hosts.end(), [&](const model::Host& h) { return h.id == t.host_id; });
    if (host != hosts.end() && !host->db_engine.empty()) tasks.push_back(databases::list_step(catalog, *host, t.lane));
  }
  spec.tasks = tasks;
  return spec;
}

std::vector<Drift> drift_of(catalog::Catalog& catalog, int64_t command_id) {
  std::vector<Drift> out;
  auto command = run::get_command(catalog, command_id);
  for (const auto& t : command.tasks) {
    if (t.status != run::kCompleted) continue;
    if (t.name == kDatabaseList) {
      compare_databases(catalog, out, model::get_host(catalog, t.host_name), t.id);
      continue;
    }
    auto host = model::get_host(catalog, t.host_name);
    Found found = parse_found(catalog, command_id, t.id);
    DeploymentFilter f;
    f.host = host.name;
    std::set<std::string> known;
    for (const auto& d : list_deployments(catalog, f)) {
      known.insert(d.name);
      auto it = found.manifests.find(d.name);
      // An install that never completed is not believed to be on the host:
      // its absence is no drift (task retry or deployment delete settle it).
      if (it == found.manifests.end() && d.ready_at.empty() && d.status != run::kCompleted) continue;
      if (it == found.manifests.end()) {
        bool dir = found.dirs.count(d.directory) > 0;
        out.push_back({host.name, dir ? "manifest-missing" : "missing-on-host", d.name,
                       dir ? "its directory has no manifest" : fmt::format("{} is not on the host", d.directory)});
        continue;
      }
      const auto& m = it->second.second;
      if (str(m, "stage") != model::stage_name(d.stage))
        out.push_back({host.name, "stage", d.name,
                       fmt::format("host says {}, catalog says {}", str(m, "stage"), model::stage_name(d.stage))});
      if (str(m, "site") != d.site)
        out.push_back({host.name, "site", d.name, fmt::format("host says '{}', catalog says '{}'", str(m, "site"), d.site)});
      else if (d.active && !d.site.empty() && !record_due(catalog, d.site) &&
               nlohmann::json::parse(site_record(catalog, d.site).dump()) != m.value("site_record", nlohmann::json()))
        out.push_back({host.name, "manifest-stale", d.name,
                       "its record of the site's client, launch state or routes is out of date"});
    }
    for (const auto& [name, _] : found.manifests)
      if (!known.count(name)) {
        catalog::Statement removed(catalog.db(), "SELECT 1 FROM deployment WHERE name = ?");
        removed.bind(1, name);
        out.push_back({host.name, "unknown-on-host", name,
                       removed.executeStep() ? "removed in the catalog but still on the host"
                                             : "not in the catalog; 'hostctl host import' registers it"});
      }
    if (std::find(host.roles.begin(), host.roles.end(), "router") != host.roles.end()) {
      compare_files(out, host.name, "router", routing::router_files(catalog, host.id), found.router_files);
      for (const auto& c : routing::list_certificates(catalog))
        if (c.router_id == host.id && !found.certificates.count({c.domain, c.serial}))
          out.push_back({host.name, "certificate-missing", c.domain,
                         fmt::format("certificate {} (.crt and .key) is not on the router", c.serial)});
    }
    if (!host.web_listen.empty()) {
      compare_files(out, host.name, "web", routing::web_files(catalog, host.id), found.web_files);
      compare_files(out, host.name, "php", routing::php_files(catalog, host.id), found.php_files);
    }
  }
  return out;
}

namespace {

// The database of a deployment the catalog removed: still the catalog's to drop.
bool removed_database(catalog::Catalog& catalog, const Drift& d) {
  catalog::Statement q(catalog.db(), "SELECT 1 FROM deployment d JOIN host h ON h.id = d.db_host_id "
                                    "WHERE d.db_name = ? AND h.name = ? AND d.stage = 'removed'");
  q.bind(1, d.object);
  q.bind(2, d.host);
  return q.executeStep();
}

Failure repair_database(run::Ops& ops, const Drift& d) {
  auto server = model::get_host(ops.catalog, d.host);
  run::TaskSpec step;
  std::string object;
  if (d.kind == "database-missing") {
    auto deployment = get_deployment(ops.catalog, d.object);
    step = databases::create_step(ops.catalog, *database_of(ops.catalog, deployment), 0);
    object = deployment.name;
  } else {
    step = databases::drop_step(ops.catalog, {server, d.object, ""}, 0);
    object = d.object;
  }
  auto summary = run::execute(ops, run::begin_command(ops.catalog, {"database repair", "database", object, {step}}));
  if (summary.status == run::kCompleted) return std::nullopt;
  return Error(run::failure_kind(summary), summary.error);
}

}  // namespace

std::vector<Drift> repair(run::Ops& ops, const std::vector<Drift>& drift) {
  std::vector<Drift> left;
  std::set<std::string> routers, web_hosts, manifests;
  std::vector<Drift> certificates, databases;
  for (const auto& d : drift) {
    if (d.kind.rfind("router-file", 0) == 0) routers.insert(d.host);
    else if (d.kind == "certificate-missing") certificates.push_back(d);
    else if (d.kind.rfind("web-file", 0) == 0 || d.kind.rfind("php-file", 0) == 0) web_hosts.insert(d.host);
    else if (d.kind == "stage" || d.kind == "site" || d.kind == "manifest-missing" || d.kind == "manifest-stale")
      manifests.insert(d.object);
    else if (d.kind == "database-missing" || (d.kind == "database-extra" && removed_database(ops.catalog, d)))
      databases.push_back(d);
    else left.push_back(d);
  }
  for (const auto& d : databases)
    if (auto error = repair_database(ops, d)) left.push_back({d.host, d.kind, d.object, error->what()});
  // Backends first: a router repaired next proxies to them.
  for (const auto& host : web_hosts)
    if (auto error = routing::sync_web(ops, model::get_host(ops.catalog, host).id))
      left.push_back({host, "web", host, error->what()});
  // A router's server blocks name its certificates: those go back first, then
  // the router is synced once (nginx refuses while any named one is missing).
  for (const auto& d : certificates) {
    if (auto error = routing::restore_certificate(ops, model::get_host(ops.catalog, d.host).id, d.object))
      left.push_back({d.host, d.kind, d.object, error->what()});
    routers.insert(d.host);
  }
  // Repaired means served: the reload is waited for and every route checked over HTTP.
  for (const auto& host : routers)
    if (auto error = routing::sync_and_check(ops, model::get_host(ops.catalog, host).id))
      left.push_back({host, "router", host, error->what()});
  for (const auto& name : manifests) {
    ActionRequest request;
    auto summary = run_on_deployment(ops, get_deployment(ops.catalog, name), "manifest", request);
    if (summary.status != run::kCompleted) left.push_back({"", "manifest", name, summary.error});
  }
  return left;
}

}  // namespace hostctl::lifecycle
