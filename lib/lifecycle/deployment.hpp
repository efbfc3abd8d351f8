// Deployments: installed copies of a service on a host (omegaops
// ServiceDeployment, Atlas Instance). Stages: provision -> allocate -> lock ->
// archive -> removed.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "databases/databases.hpp"
#include "run/operation.hpp"
#include "model/host.hpp"
#include "model/rules.hpp"
#include "run/command.hpp"
#include "service/store.hpp"

namespace hostctl::lifecycle {

struct Deployment {
  int64_t id = 0;
  std::string name;
  int64_t service_id = 0;
  int64_t service_version = 0;  // the plan version it was installed with (or upgraded into)
  std::string service;
  int64_t host_id = 0;
  std::string host;
  std::optional<int64_t> site_id;
  std::string site;
  std::optional<int64_t> client_id;
  model::Stage stage = model::Stage::Provision;
  int status = 0;
  bool active = false;
  std::string label;
  std::string directory;
  nlohmann::json params;  // name -> value, as given (defaults filled in)
  std::vector<std::string> secret_params;  // shown masked, never in output
  std::string created_at, ready_at;
  std::optional<int64_t> cloned_from;
  bool reserve = false;  // a reserve copy: handed to site create, pruned when expired
  // Its own database (plans with `database:`): on that db host, named db_name.
  std::optional<int64_t> db_host_id;
  std::string db_host, db_name;
};

struct DeploymentFilter {
  std::optional<std::string> site, service, host, stage;
  bool include_removed = false;
};

Deployment get_deployment(catalog::Catalog& catalog, const std::string& ref);
// The plan a deployment runs: its service at the version it was installed with.
service::Registered plan_of(catalog::Catalog& catalog, const Deployment& d);
Deployment read_deployment(catalog::Catalog& catalog, int64_t id);
std::vector<Deployment> list_deployments(catalog::Catalog& catalog, const DeploymentFilter& filter);
nlohmann::ordered_json to_json(const Deployment& d);
// What the rules (model/rules.hpp) see of a deployment.
model::RuleDeployment rule_view(const Deployment& d);

// Checks "k=v" parameters against the plan (names, patterns, required) and fills in defaults.
nlohmann::json resolve_params(const service::Plan& plan, const std::vector<std::string>& given);

// A host for a new deployment: the named one (checked), else the least loaded
// host that has the plan's roles and room under its capacity.
model::Host choose_host(catalog::Catalog& catalog, const service::Plan& plan, const std::optional<std::string>& ref);
// Hosts for `n` new copies, spread over the least loaded fitting hosts; fewer when room runs out.
std::vector<model::Host> place_copies(catalog::Catalog& catalog, const service::Plan& plan, int64_t n);

// A deployment's parameters as the catalog keeps them: secret ones sealed (a clone's come sealed already).
nlohmann::json seal_params(catalog::Catalog& catalog, const service::Plan& plan, nlohmann::json params);

// Inserts a deployment row (status PENDING) inside an open write transaction;
// for a plan with a database, places it on `db_server` (default: the least
// loaded database server) and keeps a new password for it (sealed).
int64_t insert_deployment(catalog::Catalog& catalog, const service::Registered& service, const model::Host& host,
                          const nlohmann::json& params, std::optional<int64_t> site_id,
                          std::optional<int64_t> client_id, model::Stage stage, const std::string& label,
                          std::optional<int64_t> cloned_from = std::nullopt, bool reserve = false,
                          const std::optional<model::Host>& db_server = std::nullopt);

// The tasks that carry out `actions` on a deployment, in order: a pre-flight
// check when the actions write data, the plan's tasks, then the manifest.
struct ActionRequest {
  std::vector<std::string> actions;
  std::vector<std::pair<std::string, std::string>> extra_env;  // HOSTCTL_SOURCE_ROOT, HOSTCTL_BACKUP_FILE, ...
  std::optional<model::Stage> stage_after;                     // for the manifest; default: as it is
  std::optional<std::string> site_after;
  std::optional<std::string> name_after;  // finalize: the permanent name
  bool write_manifest = true;
  // hostctl's own steps around the plan's tasks: (name, shell)
  std::vector<std::pair<std::string, std::string>> before, after;
  // clone: the deployment copied from (its database is copied too)
  std::optional<int64_t> source;
  // lock: false, unlock: true; its database's grant follows (none: unchanged)
  std::optional<bool> database_writable;
};
// Where a deployment's database is, with its password; nullopt when it has none.
std::optional<databases::Placement> database_of(catalog::Catalog& catalog, const Deployment& d);

// The clone action from `source` (on its host; its database copied too). A
// locked source's read-only files become the owner's to write in the copy.
ActionRequest clone_request(const Deployment& source);

// What a task sees as HOSTCTL_PRIMARY_URL and HOSTCTL_ROUTES (one per line).
struct Addresses {
  std::string primary, routes;
};
Addresses addresses_of(catalog::Catalog& catalog, const Deployment& d, const std::string& site);

std::vector<run::TaskSpec> action_tasks(catalog::Catalog& catalog, const Deployment& d, const ActionRequest& request,
                                        int64_t min_free_kb);

// Whether `action` makes, changes or removes a deployment, so its outcome is
// the deployment's status. Others (cron, stats, backup, verify, enable) only
// use a deployment: their outcome is the command's, and the deployment stays
// as it was, still served and still on every schedule.
bool builds(std::string_view action);

// What a deployment's manifest keeps of its site, so `host import` can bring
// the site back whole: its client, launch state and routes.
nlohmann::ordered_json site_record(catalog::Catalog& catalog, const std::string& site);

// After a change to a site's routes, client or launch state: its record is
// due, and `queue run tasks` rewrites it (write_due_records), so the change
// itself costs no round trip to the web host.
void mark_record_due(catalog::Catalog& catalog, const std::string& site);
// After a change to a site's routes or its active deployment (route add,
// activate, deactivate, delete; launch, switch, finalize, migrate): its record
// is due, and the plan's `routes` action, when it has one, runs on the active
// deployment and on each that preview routes serve, with their new
// HOSTCTL_PRIMARY_URL and HOSTCTL_ROUTES.
Failure routes_changed(run::Ops& ops, const std::string& site);
// The plan's routes action on one deployment (nothing when the plan has none).
Failure run_routes_action(run::Ops& ops, const Deployment& d);
// Rewrites the manifest of each due site's active deployment; the ids of the
// commands that failed (the site stays due, for the next run).
std::vector<int64_t> write_due_records(run::Ops& ops);

// Records and runs one command of `action` on deployment `d` through
// run::execute; a building action marks it PENDING first.
run::RunSummary run_on_deployment(run::Ops& ops, const Deployment& d, const std::string& action,
                                  const ActionRequest& request);

// The after-run step of a building command (first run, retry or queue):
// each deployment's status from its own tasks.
void settle(catalog::Catalog& catalog, const run::CommandView& command);
// After a building command: each reserve copy it made ready is ready only once
// its plan's check answers through its backend block, as it must at handout;
// that first request also warms the web host (PHP compiles the copy), so the
// site taking it does not wait. A copy that fails is marked FAILED (reserve
// prune removes it); the first failure is returned.
Failure check_ready_copies(run::Ops& ops, const run::CommandView& command);

// What locking and unlocking do on the host: the files become read-only (the
// directory itself keeps its manifest writable), or writable again.
ActionRequest lock_request();
ActionRequest unlock_request();

// While a copy of a site's active deployment is made to replace it (migrate,
// upgrade), writes to it are refused rather than lost: hold_writes locks it
// (files and database read-only) and says so; release_writes unlocks it when
// the replacement did not happen. hold_writes is false when it was locked already.
bool hold_writes(run::Ops& ops, const Deployment& active);
void release_writes(run::Ops& ops, int64_t deployment_id);

// deployment lock|unlock|archive: the stage in the catalog (unlock: back to
// allocate) and in the host's manifest; lock makes the files read-only.
run::RunSummary change_stage(run::Ops& ops, const std::string& ref, model::Stage stage);
// deployment delete: the remove action, then stage removed / status REMOVED (kept as history).
run::RunSummary remove_deployment(run::Ops& ops, const std::string& ref, bool allow_active);
// deployment secret: one of a deployment's secrets (its database
// password, a secret parameter), for its operator; the audit trail records
// who took it. NotFound names the secrets it has.
std::string reveal_secret(catalog::Catalog& catalog, const std::string& ref, const std::string& name);

// deployment verify: the verify action; its facts and packages are recorded.
run::RunSummary verify_deployment(run::Ops& ops, const std::string& ref);

}  // namespace hostctl::lifecycle

namespace hostctl::lifecycle {

struct DeployResult {
  Deployment deployment;
  run::RunSummary summary;
};

// deployservice: a new deployment (stage provision) on a chosen host, made by
// the plan's install action and ready once its verify action passes.
// Only with `reserve` is it a reserve copy that `site create` may take.
// With `async`, the install is queued for `queue run tasks` and its command id returned in the summary.
DeployResult deploy_service(run::Ops& ops, const std::string& service, const std::optional<std::string>& host,
                            const std::optional<std::string>& client, const std::vector<std::string>& params,
                            const std::string& label, bool async = false, bool reserve = false);

}  // namespace hostctl::lifecycle
