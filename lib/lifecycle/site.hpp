// Sites: what a client buys. A site has deployments (one active) and routes.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lifecycle/deployment.hpp"
#include "model/client.hpp"
#include "run/operation.hpp"
#include "model/rules.hpp"

namespace hostctl::lifecycle {

struct Site {
  int64_t id = 0;
  std::string name;
  std::optional<int64_t> client_id;
  std::string client;
  int64_t service_id = 0;
  std::string service;
  bool enabled = true, launched = false, protected_ = false;
  std::string created_at;
  std::string active_deployment;
  std::string primary_route;
};

Site get_site(catalog::Catalog& catalog, const std::string& ref);
// Each site in name order, read one at a time (a listing of 100,000 is never held).
void each_site(catalog::Catalog& catalog, const std::optional<std::string>& client,
               const std::function<void(const Site&)>& f);
std::vector<Site> list_sites(catalog::Catalog& catalog, const std::optional<std::string>& client);
nlohmann::ordered_json to_json(const Site& s);
model::RuleSite rule_view(const Site& s);

struct SiteRun {
  Site site;
  Deployment deployment;
  run::RunSummary summary;
  bool from_reserve = false;
};

SiteRun create_site(run::Ops& ops, const std::string& name, const std::string& service,
                    const std::optional<std::string>& client, const std::optional<std::string>& host,
                    const std::vector<std::string>& params);
SiteRun clone_site(run::Ops& ops, const std::string& site, const std::optional<std::string>& from,
                   const std::string& label,
                   std::optional<int64_t> version = std::nullopt);
SiteRun set_enabled(run::Ops& ops, const std::string& site, bool enabled);

struct SwitchResult {
  Site site;
  Failure error;  // why the switch was undone, or its routes action failed after it
  run::RunSummary verify;
};
SwitchResult switch_site(run::Ops& ops, const std::string& site, const std::string& to);

// site upgrade: clones the active deployment into another version of its
// plan (default: the newest), runs that version's `upgrade` action on the
// copy, then switches to it through the health check, locking the old copy;
// `site switch` back is the rollback.
struct UpgradeResult {
  Site site;
  int64_t from_version = 0, to_version = 0;
  SiteRun clone;
  run::RunSummary upgrade;
  Failure error;
};
UpgradeResult upgrade_site(run::Ops& ops, const std::string& site, std::optional<int64_t> to_version);

// A preview route SOURCE for `deployment`, a copy of the site beside its
// active one (MWS's test service), added and activated.
Failure add_preview(run::Ops& ops, const std::string& site, const std::string& deployment, const std::string& source);

// site refresh-test: production's files and database copied into the test
// copy again: a new clone of the active deployment takes the preview routes of
// the old test copy, which is then removed.
struct RefreshResult {
  Site site;
  std::vector<std::string> refreshed;  // the new test copies
  Failure error;
};
RefreshResult refresh_test(run::Ops& ops, const std::string& site);

struct LaunchResult {
  Site site;
  std::vector<std::string> activated;
  Failure error;
};
LaunchResult launch_site(run::Ops& ops, const std::string& site);

Site set_protected(run::Ops& ops, const std::string& site, bool on);
// Moves a site (and its live deployments) to another client, within that
// client's quota; its manifests are rewritten by the next `queue run tasks`.
Site transfer_site(run::Ops& ops, const std::string& site, const std::string& client);
// model::edit_client, and the manifests of the client's sites marked for rewriting.
model::Client edit_client(run::Ops& ops, const std::string& client, const std::optional<std::string>& email,
                          const std::optional<std::string>& max_sites);

// The permanent name a reserve copy gets once given to `site`.
std::string permanent_name(const std::string& site, int64_t deployment_id);
// After-run steps (lib/operations' table). An allocate from the reserve
// queues the finalize that gives the copy its permanent name; a finalize moves
// the catalog and the routers to that name (checked over HTTP) or, when it
// failed, leaves the site served under the reserve name; a finalize whose
// deployment was removed or given away meanwhile is stale and not run.
std::optional<Error> after_allocate(run::Ops& ops, const run::CommandView& command);
std::string finalize_stale(run::Ops& ops, const run::CommandView& command);
std::optional<Error> after_finalize(run::Ops& ops, const run::CommandView& command);
// enable/disable: the site's flag follows a completed run.
std::optional<Error> after_enable(run::Ops& ops, const run::CommandView& command);

struct DeleteResult {
  Site site;
  std::vector<std::string> removed;  // deployments
  Failure error;
};
DeleteResult delete_site(run::Ops& ops, const std::string& site);

}  // namespace hostctl::lifecycle
