// Sites: what a client buys. A site has deployments (one active) and routes.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "lifecycle/deployment.hpp"
#include "lifecycle/ops.hpp"
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
std::vector<Site> list_sites(catalog::Catalog& catalog, const std::optional<std::string>& client);
nlohmann::ordered_json to_json(const Site& s);
model::RuleSite rule_view(const Site& s);

struct SiteRun {
  Site site;
  Deployment deployment;
  run::RunSummary summary;
  bool from_reserve = false;
};

SiteRun create_site(Ops& ops, const std::string& name, const std::string& service,
                    const std::optional<std::string>& client, const std::optional<std::string>& host,
                    const std::vector<std::string>& params);
SiteRun clone_site(Ops& ops, const std::string& site, const std::optional<std::string>& from,
                   const std::string& label);
SiteRun set_enabled(Ops& ops, const std::string& site, bool enabled);

struct SwitchResult {
  Site site;
  std::string error;  // empty on success; else why the switch was undone
  run::RunSummary verify;
};
SwitchResult switch_site(Ops& ops, const std::string& site, const std::string& to);

struct LaunchResult {
  Site site;
  std::vector<std::string> activated;
  std::string error;
};
LaunchResult launch_site(Ops& ops, const std::string& site);

Site set_protected(Ops& ops, const std::string& site, bool on);

// The permanent name a reserve copy gets once given to `site`.
std::string permanent_name(const std::string& site, int64_t deployment_id);
// After a recorded command ran, whoever ran it (the tasks queue, `task retry`):
// its deployments are settled and a finalize moves to the permanent name.
// Returns what failed beyond the run itself, or "".
std::string finish_run(Ops& ops, int64_t command_id);

// After a queued finalize command ran: if it completed, the catalog and the
// routers move to the permanent name (checked over HTTP), else nothing
// changes and the site stays served under the reserve name. "" on success.
std::string finish_finalize(Ops& ops, int64_t command_id);

struct DeleteResult {
  Site site;
  std::vector<std::string> removed;  // deployments
  std::string error;
};
DeleteResult delete_site(Ops& ops, const std::string& site);

}  // namespace hostctl::lifecycle
