#include "lifecycle/site.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "model/lookup.hpp"
#include "model/validate.hpp"
#include "routing/routing.hpp"

namespace hostctl::lifecycle {
namespace {

constexpr const char* kSelect =
    "SELECT s.id, s.name, s.client_id, coalesce(c.name, ''), s.service_id, sv.name, s.enabled, s.launched, "
    "s.protected, s.created_at, "
    "coalesce((SELECT name FROM deployment WHERE site_id = s.id AND active = 1), ''), "
    "coalesce((SELECT source FROM route WHERE site_id = s.id AND is_primary = 1), '') "
    "FROM site s JOIN service sv ON sv.id = s.service_id LEFT JOIN client c ON c.id = s.client_id ";

Site read_row(catalog::Statement& q) {
  Site s;
  s.id = q.getColumn(0).getInt64();
  s.name = q.getColumn(1).getString();
  if (!q.getColumn(2).isNull()) s.client_id = q.getColumn(2).getInt64();
  s.client = q.getColumn(3).getString();
  s.service_id = q.getColumn(4).getInt64();
  s.service = q.getColumn(5).getString();
  s.enabled = q.getColumn(6).getInt() != 0;
  s.launched = q.getColumn(7).getInt() != 0;
  s.protected_ = q.getColumn(8).getInt() != 0;
  s.created_at = q.getColumn(9).getString();
  s.active_deployment = q.getColumn(10).getString();
  s.primary_route = q.getColumn(11).getString();
  return s;
}

Site read_site(catalog::Catalog& catalog, int64_t id) {
  catalog::Statement q(catalog.db(), std::string(kSelect) + "WHERE s.id = ?");
  q.bind(1, id);
  if (!q.executeStep()) throw Error(ErrorKind::NotFound, fmt::format("site {} not found", id));
  return read_row(q);
}

void set_site_flag(run::Ops& ops, const Site& site, const char* column, bool value, const std::string& action) {
  catalog::Write write(ops.catalog, action);
  catalog::Statement st(ops.catalog.db(), fmt::format("UPDATE site SET {} = ? WHERE id = ?", column));
  st.bind(1, value ? 1 : 0);
  st.bind(2, site.id);
  st.exec();
  write.commit();
}

std::vector<model::RuleDeployment> rule_deployments(catalog::Catalog& catalog, const Site& site) {
  std::vector<model::RuleDeployment> out;
  DeploymentFilter f;
  f.site = site.name;
  for (const auto& d : list_deployments(catalog, f)) out.push_back(rule_view(d));
  return out;
}

// Makes `to` the site's active deployment and locks `from` (or undoes that).
void move_active(run::Ops& ops, int64_t site_id, int64_t from, model::Stage from_stage, int64_t to,
                 const std::string& action) {
  catalog::Write write(ops.catalog, action);
  catalog::Statement off(ops.catalog.db(), "UPDATE deployment SET active = 0, stage = ? WHERE id = ? AND site_id = ?");
  off.bind(1, std::string(model::stage_name(from_stage)));
  off.bind(2, from);
  off.bind(3, site_id);
  off.exec();
  catalog::Statement on(ops.catalog.db(),
                        "UPDATE deployment SET active = 1, stage = 'allocate' WHERE id = ? AND site_id = ?");
  on.bind(1, to);
  on.bind(2, site_id);
  on.exec();
  write.commit();
}

Failure resync_and_check(run::Ops& ops, int64_t site_id) {
  std::set<int64_t> routers;
  auto routes = routing::routes_of_site(ops.catalog, site_id);
  for (const auto& r : routes)
    if (r.active && r.router_id) routers.insert(*r.router_id);
  for (int64_t router : routers)
    if (auto error = routing::sync_and_check(ops, router, routes)) return error;
  return std::nullopt;
}

}  // namespace

Site get_site(catalog::Catalog& catalog, const std::string& ref) {
  return read_site(catalog, model::find_id(catalog.db(), "site", "site", ref));
}

void each_site(catalog::Catalog& catalog, const std::optional<std::string>& client,
               const std::function<void(const Site&)>& f) {
  catalog::Statement q(catalog.db(), std::string(kSelect) + "WHERE (CAST(?1 AS TEXT) IS NULL OR c.name = ?1) ORDER BY s.name");
  if (client) q.bind(1, *client); else q.bind(1);
  while (q.executeStep()) f(read_row(q));
}

std::vector<Site> list_sites(catalog::Catalog& catalog, const std::optional<std::string>& client) {
  std::vector<Site> out;
  each_site(catalog, client, [&](const Site& s) { out.push_back(s); });
  return out;
}

model::RuleSite rule_view(const Site& s) { return {s.name, s.launched, s.protected_}; }

nlohmann::ordered_json to_json(const Site& s) {
  // Listings build 100,000 of these: room for every key up front, no regrowth.
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  j.get_ref<nlohmann::ordered_json::object_t&>().reserve(10);
  j["id"] = s.id;
  j["name"] = s.name;
  j["client"] = s.client_id ? nlohmann::ordered_json(s.client) : nullptr;
  j["service"] = s.service;
  j["enabled"] = s.enabled;
  j["launched"] = s.launched;
  j["protected"] = s.protected_;
  j["active_deployment"] = s.active_deployment.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(s.active_deployment);
  j["primary_route"] = s.primary_route.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(s.primary_route);
  j["created_at"] = s.created_at;
  return j;
}

namespace {

// The client's quota: one more site must fit under its max_sites. Called inside
// the caller's write transaction, so two creates cannot both take the last place.
void check_room_for_site(catalog::Catalog& catalog, int64_t client_id) {
  catalog::Statement quota(catalog.db(), "SELECT max_sites, (SELECT count(*) FROM site WHERE client_id = ?1), name "
                                        "FROM client WHERE id = ?1");
  quota.bind(1, client_id);
  quota.executeStep();
  if (!quota.getColumn(0).isNull() && quota.getColumn(1).getInt64() >= quota.getColumn(0).getInt64())
    throw Error(ErrorKind::Refused,
                fmt::format("client '{}' already has {} site(s), its maximum", quota.getColumn(2).getString(),
                            quota.getColumn(0).getInt64()),
                fmt::format("raise it ('hostctl client edit {} --max-sites N') or delete a site",
                            quota.getColumn(2).getString()));
}

// Takes the oldest ready reserve copy for `site_id` inside the caller's write
// transaction, so no copy is ever given twice.
std::optional<int64_t> claim_ready_copy(catalog::Catalog& catalog, int64_t site_id, std::optional<int64_t> client_id,
                                        const nlohmann::json& values, int64_t service_id,
                                        const std::optional<model::Host>& host) {
  catalog::Statement claim(catalog.db(),
                           std::string("UPDATE deployment SET site_id = ?1, client_id = ?2, stage = 'allocate', active = 1, "
                           "params = ?3, status = 1, reserve = 0 WHERE id = (SELECT id FROM deployment WHERE "
                           "service_id = ?4 AND reserve = 1 AND stage = 'provision' AND status = 5 AND site_id IS NULL "
                           "AND client_id IS NULL AND (CAST(?5 AS INTEGER) IS NULL OR host_id = ?5) AND service_version = "
                           "(SELECT version FROM service WHERE id = ?4) ORDER BY ready_at, id LIMIT 1") +
                               catalog.skip_locked() + ") RETURNING id");
  claim.bind(1, site_id);
  if (client_id) claim.bind(2, *client_id); else claim.bind(2);
  claim.bind(3, values.dump());  // secret parameters come sealed (seal_params)
  claim.bind(4, service_id);
  if (host) claim.bind(5, host->id); else claim.bind(5);
  if (claim.executeStep()) return claim.getColumn(0).getInt64();
  return std::nullopt;
}

// A claimed copy that failed its check at handout goes back to the reserve as
// FAILED (reserve status lists it; prune removes it), and another is taken in
// the same transaction, or a fresh install is prepared.
struct Handout {
  int64_t deployment_id = 0;
  bool from_reserve = false;
};

Handout take_or_install(catalog::Catalog& catalog, const service::Registered& service, int64_t site_id,
                        std::optional<int64_t> client_id, const nlohmann::json& values,
                        const std::optional<model::Host>& host) {
  if (auto claimed = claim_ready_copy(catalog, site_id, client_id, seal_params(catalog, service.plan, values),
                                      service.id, host))
    return {*claimed, true};
  model::Host target = host ? *host : choose_host(catalog, service.plan, std::nullopt);
  int64_t id = insert_deployment(catalog, service, target, values, site_id, client_id, model::Stage::Allocate, "");
  catalog::Statement activate(catalog.db(), "UPDATE deployment SET active = 1 WHERE id = ?");
  activate.bind(1, id);
  activate.exec();
  return {id, false};
}

}  // namespace

SiteRun create_site(run::Ops& ops, const std::string& name, const std::string& service_ref,
                    const std::optional<std::string>& client, const std::optional<std::string>& host_ref,
                    const std::vector<std::string>& params) {
  model::require_name("site name", name);
  auto service = service::get_service(ops.catalog, service_ref);
  auto values = resolve_params(service.plan, params);
  std::optional<int64_t> client_id;
  if (client) client_id = model::find_id(ops.catalog.db(), "client", "client", *client);
  std::optional<model::Host> host;
  if (host_ref) host = choose_host(ops.catalog, service.plan, host_ref);

  SiteRun out;
  Handout handout;
  int64_t site_id = 0;
  {
    auto& db = ops.catalog.db();
    catalog::Write write(ops.catalog, fmt::format("site create {} --service {}", name, service.plan.name));
    catalog::Statement exists(db, "SELECT 1 FROM site WHERE name = ?");
    exists.bind(1, name);
    if (exists.executeStep()) throw Error(ErrorKind::Refused, fmt::format("site '{}' already exists", name));
    if (client_id) check_room_for_site(ops.catalog, *client_id);
    catalog::Statement insert(db, "INSERT INTO site(name, client_id, service_id, created_at) VALUES (?, ?, ?, ?) RETURNING id");
    insert.bind(1, name);
    if (client_id) insert.bind(2, *client_id); else insert.bind(2);
    insert.bind(3, service.id);
    insert.bind(4, now_utc());
    site_id = catalog::insert_returning_id(insert);
    handout = take_or_install(ops.catalog, service, site_id, client_id, values, host);
    write.commit();
  }
  // Health check at handout: a ready copy may have broken since it was made.
  // On a web host, its plan's check through its backend block (what visitors
  // meet, no SSH round trip); elsewhere, its verify action.
  while (handout.from_reserve) {
    auto copy = read_deployment(ops.catalog, handout.deployment_id);
    bool healthy = false;
    if (!model::get_host(ops.catalog, std::to_string(copy.host_id)).web_listen.empty()) {
      healthy = routing::backend_check(ops.catalog, copy.id).empty();
    } else {
      ActionRequest check;
      check.actions = {"verify"};
      check.write_manifest = false;
      healthy = run_on_deployment(ops, copy, "verify", check).status == run::kCompleted;
    }
    if (healthy) break;
    catalog::Write write(ops.catalog, fmt::format("site create {}: ready copy {} failed its check", name, copy.name));
    catalog::Statement release(ops.catalog.db(),
                               "UPDATE deployment SET site_id = NULL, client_id = NULL, stage = 'provision', "
                               "active = 0, status = 9, reserve = 1 WHERE id = ?");
    release.bind(1, copy.id);
    release.exec();
    handout = take_or_install(ops.catalog, service, site_id, client_id, values, host);
    write.commit();
    ops.say(fmt::format("site '{}': ready copy '{}' failed its check at handout and is marked FAILED; {}", name,
                        copy.name, handout.from_reserve ? "taking the next ready copy" : "installing a fresh copy"));
  }
  out.from_reserve = handout.from_reserve;
  auto d = read_deployment(ops.catalog, handout.deployment_id);
  ops.say(out.from_reserve
              ? fmt::format("site '{}': took ready copy '{}' from the reserve of '{}'", name, d.name, service.plan.name)
              : fmt::format("site '{}': the reserve of '{}' is empty; installing a fresh copy '{}' on '{}'", name,
                            service.plan.name, d.name, d.host));
  ActionRequest request;
  // A fresh copy is verified like a reserve copy was, so its packages are known.
  request.actions = out.from_reserve ? std::vector<std::string>{"allocate"}
                                     : std::vector<std::string>{"install", "allocate", "verify"};
  request.stage_after = model::Stage::Allocate;
  request.site_after = name;
  out.summary = run_on_deployment(ops, d, out.from_reserve ? "allocate" : "install", request);
  out.deployment = read_deployment(ops.catalog, handout.deployment_id);
  out.site = get_site(ops.catalog, name);
  return out;
}

std::string permanent_name(const std::string& site, int64_t deployment_id) {
  std::string suffix = fmt::format("-d{}", deployment_id);
  return site.substr(0, 63 - suffix.size()) + suffix;
}

std::optional<Error> after_allocate(run::Ops& ops, const run::CommandView& command) {
  settle(ops.catalog, command);
  if (command.status != run::kCompleted || command.tasks.empty() || !command.tasks.front().deployment_id) return {};
  auto d = read_deployment(ops.catalog, *command.tasks.front().deployment_id);
  std::string final_name = permanent_name(d.site, d.id);
  if (!d.site_id || d.name == final_name) return {};
  // hosting_reserve's deferred rename, done in the other order: the new
  // name is made to work first; the old one is dropped only after.
  auto host = model::get_host(ops.catalog, std::to_string(d.host_id));
  ActionRequest finalize;
  finalize.actions = {"finalize"};
  finalize.site_after = d.site;
  finalize.stage_after = model::Stage::Allocate;
  finalize.name_after = final_name;
  finalize.extra_env = {{"HOSTCTL_NEW_ROOT", host.base_dir + "/" + final_name}, {"HOSTCTL_NEW_NAME", final_name}};
  finalize.after = {{"finalize/link",
                     "ln -sfn \"$HOSTCTL_ROOT\" \"$HOSTCTL_NEW_ROOT.tmp\" && mv -T \"$HOSTCTL_NEW_ROOT.tmp\" "
                     "\"$HOSTCTL_NEW_ROOT\""}};
  int64_t id = run::queue_command(ops.catalog, {"finalize", "site", d.site,
                                                action_tasks(ops.catalog, d, finalize, ops.min_free_kb)});
  ops.say(fmt::format("site '{}': its permanent name '{}' is queued (command {}; 'hostctl queue run tasks')", d.site,
                      final_name, id));
  return {};
}

std::string finalize_stale(run::Ops& ops, const run::CommandView& command) {
  if (command.tasks.empty() || !command.tasks.front().deployment_id) return "it names no deployment";
  catalog::Statement q(ops.catalog.db(),
                       "SELECT d.name, d.status, coalesce(s.name, '') FROM deployment d LEFT JOIN site s "
                       "ON s.id = d.site_id WHERE d.id = ?");
  q.bind(1, *command.tasks.front().deployment_id);
  if (!q.executeStep()) return "its deployment is gone from the catalog";
  if (q.getColumn(1).getInt() == run::kRemoved)
    return fmt::format("deployment '{}' was removed", q.getColumn(0).getString());
  if (q.getColumn(2).getString() != command.object_name)
    return fmt::format("deployment '{}' no longer belongs to site '{}'", q.getColumn(0).getString(),
                       command.object_name);
  return {};
}

std::optional<Error> after_finalize(run::Ops& ops, const run::CommandView& command) {
  settle(ops.catalog, command);
  if (!finalize_stale(ops, command).empty()) return {};
  auto d = read_deployment(ops.catalog, *command.tasks.front().deployment_id);
  if (command.status != run::kCompleted)
    return Error(ErrorKind::RemoteFailed, fmt::format("finalize of site '{}' failed; it stays served as '{}'",
                                                      command.object_name, d.name));
  std::string final_name = permanent_name(command.object_name, d.id);
  if (d.name == final_name) return {};
  auto rename = [&](const std::string& name, const std::string& action) {
    catalog::Write write(ops.catalog, action);
    catalog::Statement st(ops.catalog.db(), "UPDATE deployment SET name = ? WHERE id = ?");
    st.bind(1, name);
    st.bind(2, d.id);
    st.exec();
    write.commit();
  };
  rename(final_name, fmt::format("finalize {}: {} -> {}", command.object_name, d.name, final_name));
  if (!d.site_id) return {};
  if (auto error = resync_and_check(ops, *d.site_id)) {
    rename(d.name, "finalize undone");
    auto undo = resync_and_check(ops, *d.site_id);
    return reworded(*error, fmt::format("finalize of site '{}': {}; kept the name '{}'{}", command.object_name,
                                        error->what(), d.name,
                                        undo ? std::string("; restoring it also failed: ") + undo->what() : ""));
  }
  return routes_changed(ops, command.object_name);
}

SiteRun clone_site(run::Ops& ops, const std::string& site_ref, const std::optional<std::string>& from,
                   const std::string& label, std::optional<int64_t> version) {
  auto site = get_site(ops.catalog, site_ref);
  model::require(model::check_text(label, 200), "label", label);
  Deployment source;
  if (from) {
    source = get_deployment(ops.catalog, *from);
    if (source.site_id != site.id)
      throw Error(ErrorKind::Refused, fmt::format("deployment '{}' does not belong to site '{}'", source.name, site.name));
  } else {
    model::check_has_active(rule_view(site), site.active_deployment, "clone");
    source = get_deployment(ops.catalog, site.active_deployment);
  }
  model::check_not_removed(rule_view(source), "be cloned");
  // A clone runs its source's plan version, unless it is an upgrade's new copy.
  auto service = version ? service::get_service_version(ops.catalog, site.service_id, *version) : plan_of(ops.catalog, source);
  if (!service.plan.actions.count("clone"))
    throw Error(ErrorKind::Refused, fmt::format("service '{}' has no clone action", service.plan.name));
  // The clone action copies from $HOSTCTL_SOURCE_ROOT, a path on the source's own host.
  auto host = model::get_host(ops.catalog, std::to_string(source.host_id));
  int64_t id = 0;
  {
    catalog::Write write(ops.catalog, fmt::format("site clone {} from {}", site.name, source.name));
    id = insert_deployment(ops.catalog, service, host, source.params, site.id, site.client_id, model::Stage::Allocate,
                           label,
                           source.id);
    write.commit();
  }
  SiteRun out;
  out.deployment = read_deployment(ops.catalog, id);
  ops.say(fmt::format("site '{}': cloning '{}' into '{}'", site.name, source.name, out.deployment.name));
  // A clone is its source's copy: allocate is not run again on it.
  ActionRequest request = clone_request(source);
  request.stage_after = model::Stage::Allocate;
  out.summary = run_on_deployment(ops, out.deployment, "clone", request);
  out.deployment = read_deployment(ops.catalog, id);
  out.site = get_site(ops.catalog, site.name);
  return out;
}

SiteRun set_enabled(run::Ops& ops, const std::string& site_ref, bool enabled) {
  auto site = get_site(ops.catalog, site_ref);
  if (!enabled) model::check_unprotected(rule_view(site), "disable");
  model::check_has_active(rule_view(site), site.active_deployment, enabled ? "enable" : "disable");
  SiteRun out;
  out.deployment = get_deployment(ops.catalog, site.active_deployment);
  ActionRequest request;
  request.actions = {enabled ? "enable" : "disable"};
  out.summary = run_on_deployment(ops, out.deployment, enabled ? "enable" : "disable", request);
  out.site = get_site(ops.catalog, site.name);
  out.deployment = read_deployment(ops.catalog, out.deployment.id);
  return out;
}

std::optional<Error> after_enable(run::Ops& ops, const run::CommandView& command) {
  if (command.status != run::kCompleted || command.tasks.empty() || !command.tasks.front().deployment_id) return {};
  auto d = read_deployment(ops.catalog, *command.tasks.front().deployment_id);
  if (!d.site_id) return {};
  set_site_flag(ops, read_site(ops.catalog, *d.site_id), "enabled", command.action == "enable",
                fmt::format("site {} {}", command.action, d.site));
  // The routers serve the site again, or its "disabled" page (503), and are checked for it.
  return resync_and_check(ops, *d.site_id);
}

SwitchResult switch_site(run::Ops& ops, const std::string& site_ref, const std::string& to_ref) {
  auto site = get_site(ops.catalog, site_ref);
  auto to = get_deployment(ops.catalog, to_ref);
  model::check_switch(rule_view(site), rule_deployments(ops.catalog, site), to.name);
  SwitchResult out;
  // Health gate, first part: the new copy must pass its own verify action.
  ActionRequest verify;
  verify.actions = {"verify"};
  out.verify = run_on_deployment(ops, to, "verify", verify);
  if (out.verify.status != run::kCompleted) {
    out.error = Error(run::failure_kind(out.verify),
                      fmt::format("deployment '{}' failed its verify action; the site was not switched", to.name));
    out.site = get_site(ops.catalog, site.name);
    return out;
  }
  // Second part, before any router is touched: the copy answers through its
  // own backend block on its web host.
  if (auto error = routing::backend_check(ops.catalog, to.id); !error.empty()) {
    out.error = Error(ErrorKind::RemoteFailed,
                      fmt::format("deployment '{}' does not answer through its backend block: {}; the site was not "
                                  "switched", to.name, error),
                      "'hostctl host verify --repair' rewrites a web host's backend blocks");
    out.site = get_site(ops.catalog, site.name);
    return out;
  }
  // A copy frozen earlier (the one a rollback returns to) is writable again,
  // and learns the site's addresses before it gets its traffic (an
  // application redirects requests for any other home URL to its own).
  if (to.stage == model::Stage::Lock) run_on_deployment(ops, read_deployment(ops.catalog, to.id), "unlock", unlock_request());
  if (auto error = run_routes_action(ops, to)) {
    out.error = reworded(*error, std::string(error->what()) + "; the site was not switched");
    out.site = get_site(ops.catalog, site.name);
    return out;
  }
  std::optional<Deployment> from;
  if (!site.active_deployment.empty()) from = get_deployment(ops.catalog, site.active_deployment);
  if (from)
    move_active(ops, site.id, from->id, model::Stage::Lock, to.id, fmt::format("site switch {} --to {}", site.name, to.name));
  else
    move_active(ops, site.id, 0, model::Stage::Lock, to.id, fmt::format("site switch {} --to {}", site.name, to.name));
  // Third part: the routes, served from the new copy, must answer.
  if (auto error = resync_and_check(ops, site.id)) {
    ops.say(std::string("switching back: ") + error->what());
    if (from) move_active(ops, site.id, to.id, to.stage, from->id, "site switch undone");
    auto undo = resync_and_check(ops, site.id);
    out.error = reworded(*error, std::string(error->what()) +
                                     (undo ? std::string("; switching back also failed: ") + undo->what() : "; switched back"));
    out.site = get_site(ops.catalog, site.name);
    return out;
  }
  // The locked copy's manifest follows its new stage.
  if (from) run_on_deployment(ops, read_deployment(ops.catalog, from->id), "lock", lock_request());
  out.error = routes_changed(ops, site.name);
  out.site = get_site(ops.catalog, site.name);
  return out;
}

UpgradeResult upgrade_site(run::Ops& ops, const std::string& site_ref, std::optional<int64_t> to_version) {
  auto site = get_site(ops.catalog, site_ref);
  model::check_has_active(rule_view(site), site.active_deployment, "upgrade");
  auto active = get_deployment(ops.catalog, site.active_deployment);
  UpgradeResult out;
  out.from_version = active.service_version;
  out.to_version = to_version.value_or(service::get_service(ops.catalog, std::to_string(site.service_id)).plan.version);
  auto target = service::get_service_version(ops.catalog, site.service_id, out.to_version);
  if (out.to_version == active.service_version)
    throw Error(ErrorKind::Refused, fmt::format("site '{}' already runs version {} of service '{}'", site.name,
                                                out.to_version, target.plan.name),
                "register a new version with 'hostctl createservice FILE --replace'");
  if (!target.plan.actions.count("clone"))
    throw Error(ErrorKind::Refused, fmt::format("version {} of service '{}' has no clone action to upgrade with",
                                                out.to_version, target.plan.name));
  // Writes made after the copy would not reach it: refused until the switch.
  bool held = hold_writes(ops, active);
  auto release = [&] {
    if (held && get_site(ops.catalog, site.name).active_deployment == active.name) release_writes(ops, active.id);
  };
  out.clone = clone_site(ops, site.name, std::nullopt, fmt::format("upgrade to v{}", out.to_version), out.to_version);
  out.site = out.clone.site;
  if (out.clone.summary.status != run::kCompleted) {
    release();
    out.error = Error(run::failure_kind(out.clone.summary),
                      fmt::format("copying site '{}' into version {} failed: {}; it still runs '{}'", site.name,
                                  out.to_version, out.clone.summary.error, active.name));
    return out;
  }
  // The new version's own schema update, on the copy, before anything is switched.
  if (target.plan.actions.count("upgrade")) {
    ActionRequest upgrade;
    upgrade.actions = {"upgrade"};
    out.upgrade = run_on_deployment(ops, out.clone.deployment, "upgrade", upgrade);
    if (out.upgrade.status != run::kCompleted) {
      release();
      out.error = Error(run::failure_kind(out.upgrade),
                        fmt::format("the upgrade action failed on '{}': {}; site '{}' still runs '{}'",
                                    out.clone.deployment.name, out.upgrade.error, site.name, active.name),
                        fmt::format("'hostctl task log {}' shows why; delete the copy or fix and 'hostctl site switch'",
                                    out.upgrade.command_id));
      return out;
    }
  }
  auto switched = switch_site(ops, site.name, out.clone.deployment.name);
  release();
  out.site = get_site(ops.catalog, site.name);
  out.error = switched.error;
  if (switched.verify.status != run::kCompleted && !out.error)
    out.error = Error(run::failure_kind(switched.verify),
                      fmt::format("the upgraded copy '{}' failed its verify action; site '{}' still runs '{}'",
                                  out.clone.deployment.name, site.name, active.name));
  return out;
}

Failure add_preview(run::Ops& ops, const std::string& site, const std::string& deployment, const std::string& source) {
  routing::RouteInput in;
  in.source = source;
  in.site = site;
  in.preview = deployment;
  Failure cert_error;
  auto route = routing::add_route(ops, in, cert_error);
  auto change = routing::set_active(ops, {route.id}, true);
  if (change.error) return change.error;
  return routes_changed(ops, site);
}

RefreshResult refresh_test(run::Ops& ops, const std::string& site_ref) {
  auto site = get_site(ops.catalog, site_ref);
  model::check_has_active(rule_view(site), site.active_deployment, "refresh a test copy from");
  RefreshResult out;
  std::map<int64_t, std::vector<routing::Route>> previews;  // by the deployment they serve
  for (const auto& r : routing::routes_of_site(ops.catalog, site.id))
    if (r.preview_id) previews[*r.preview_id].push_back(r);
  if (previews.empty())
    throw Error(ErrorKind::Refused, fmt::format("site '{}' has no test copy (no preview route)", site.name),
                fmt::format("hostctl site clone {} --label test --preview test.DOMAIN", site.name));
  for (const auto& [old_id, routes] : previews) {
    auto old = read_deployment(ops.catalog, old_id);
    // A fresh copy of production (files and database) takes the old test copy's routes, then the old one goes.
    auto copy = clone_site(ops, site.name, std::nullopt, old.label);
    if (copy.summary.status != run::kCompleted) {
      out.error = Error(run::failure_kind(copy.summary),
                        fmt::format("copying production into a new test copy failed: {}; '{}' still serves {}",
                                    copy.summary.error, old.name, routes.front().source));
      return out;
    }
    {
      catalog::Write write(ops.catalog, fmt::format("site refresh-test {}: {} -> {}", site.name, old.name,
                                                    copy.deployment.name));
      catalog::Statement move(ops.catalog.db(), "UPDATE route SET deployment_id = ? WHERE deployment_id = ?");
      move.bind(1, copy.deployment.id);
      move.bind(2, old_id);
      move.exec();
      write.commit();
    }
    if (auto error = resync_and_check(ops, site.id)) {
      out.error = error;
      return out;
    }
    out.refreshed.push_back(copy.deployment.name);
    auto removed = remove_deployment(ops, old.name, false);
    if (removed.status != run::kCompleted)
      out.error = Error(run::failure_kind(removed), fmt::format("the old test copy '{}' was not removed: {}", old.name,
                                                                removed.error));
  }
  if (auto error = routes_changed(ops, site.name); error && !out.error) out.error = error;
  out.site = get_site(ops.catalog, site.name);
  return out;
}

LaunchResult launch_site(run::Ops& ops, const std::string& site_ref) {
  auto site = get_site(ops.catalog, site_ref);
  auto site_routes = routing::routes_of_site(ops.catalog, site.id);
  std::vector<model::RuleRoute> routes;
  for (const auto& r : site_routes) routes.push_back(routing::rule_view(r));
  LaunchResult out;
  out.activated = model::check_launch(rule_view(site), routes);
  std::vector<int64_t> to_activate;
  for (const auto& r : site_routes)
    if (std::find(out.activated.begin(), out.activated.end(), r.source) != out.activated.end()) to_activate.push_back(r.id);
  if (!to_activate.empty()) {
    auto change = routing::set_active(ops, to_activate, true);
    if (change.error) {
      out.error = change.error;
      out.site = get_site(ops.catalog, site.name);
      return out;
    }
  }
  set_site_flag(ops, site, "launched", true, "site launch " + site.name);
  out.error = routes_changed(ops, site.name);
  out.site = get_site(ops.catalog, site.name);
  return out;
}

Site set_protected(run::Ops& ops, const std::string& site_ref, bool on) {
  auto site = get_site(ops.catalog, site_ref);
  set_site_flag(ops, site, "protected", on, fmt::format("site {} {}", on ? "protect" : "unprotect", site.name));
  return get_site(ops.catalog, site.name);
}

Site transfer_site(run::Ops& ops, const std::string& site_ref, const std::string& client_ref) {
  auto site = get_site(ops.catalog, site_ref);
  int64_t client_id = model::find_id(ops.catalog.db(), "client", "client", client_ref);
  if (site.client_id == client_id) return site;
  {
    catalog::Write write(ops.catalog, fmt::format("site transfer {} --client {}", site.name, client_ref));
    check_room_for_site(ops.catalog, client_id);
    catalog::Statement owner(ops.catalog.db(), "UPDATE site SET client_id = ? WHERE id = ?");
    owner.bind(1, client_id);
    owner.bind(2, site.id);
    owner.exec();
    // Its live copies; removed ones keep the owner they had.
    catalog::Statement copies(ops.catalog.db(),
                              "UPDATE deployment SET client_id = ? WHERE site_id = ? AND stage != 'removed'");
    copies.bind(1, client_id);
    copies.bind(2, site.id);
    copies.exec();
    write.commit();
  }
  mark_record_due(ops.catalog, site.name);  // the manifests name the owner
  return get_site(ops.catalog, site.name);
}

model::Client edit_client(run::Ops& ops, const std::string& client_ref, const std::optional<std::string>& email,
                          const std::optional<std::string>& max_sites) {
  auto client = model::edit_client(ops.catalog, client_ref, email, max_sites);
  // The manifests of its sites name its e-mail and quota.
  for (const auto& s : list_sites(ops.catalog, client.name)) mark_record_due(ops.catalog, s.name);
  return client;
}

DeleteResult delete_site(run::Ops& ops, const std::string& site_ref) {
  auto site = get_site(ops.catalog, site_ref);
  model::check_unprotected(rule_view(site), "delete");
  DeleteResult out;
  out.site = site;
  // Rule 7: the routes go first, so no router serves a site being taken apart.
  std::set<int64_t> routers;
  for (const auto& r : routing::routes_of_site(ops.catalog, site.id))
    if (r.active && r.router_id) routers.insert(*r.router_id);
  {
    catalog::Write write(ops.catalog, "site delete " + site.name + ": routes");
    catalog::Statement del(ops.catalog.db(), "DELETE FROM route WHERE site_id = ?");
    del.bind(1, site.id);
    del.exec();
    write.commit();
  }
  for (int64_t router : routers)
    if (auto error = routing::sync_router(ops, router)) {
      out.error = error;
      return out;
    }
  DeploymentFilter f;
  f.site = site.name;
  for (const auto& d : list_deployments(ops.catalog, f)) {
    auto summary = remove_deployment(ops, d.name, true);
    if (summary.status != run::kCompleted) {
      out.error = Error(run::failure_kind(summary), fmt::format("removing deployment '{}' failed: {}", d.name, summary.error));
      return out;
    }
    out.removed.push_back(d.name);
  }
  catalog::Write write(ops.catalog, "site delete " + site.name);
  catalog::Statement del(ops.catalog.db(), "DELETE FROM site WHERE id = ?");
  del.bind(1, site.id);
  del.exec();
  write.commit();
  return out;
}

}  // namespace hostctl::lifecycle
