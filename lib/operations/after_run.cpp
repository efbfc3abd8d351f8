#include "operations/after_run.hpp"

#include <set>

#include "hostops/hostops.hpp"
#include "lifecycle/backup.hpp"
#include "lifecycle/deployment.hpp"
#include "lifecycle/site.hpp"
#include "model/host.hpp"
#include "routing/certificates.hpp"
#include "routing/routing.hpp"

namespace hostctl::operations {
namespace {

// A building action settles its deployments, then the web hosts where it did
// something serve what is now ready and stop serving what was removed (a host
// where nothing completed has nothing new to serve); a reserve copy made ready
// must then answer its plan's check.
std::optional<Error> settle_and_serve(run::Ops& ops, const run::CommandView& command) {
  lifecycle::settle(ops.catalog, command);
  std::set<std::string> hosts;
  for (const auto& task : command.tasks)
    if (task.status == run::kCompleted) hosts.insert(task.host_name);
  for (const auto& host : hosts)
    if (auto error = routing::sync_web(ops, model::get_host(ops.catalog, host).id)) return error;
  return lifecycle::check_ready_copies(ops, command);
}

std::optional<Error> record_verify(run::Ops& ops, const run::CommandView& command) {
  hostops::record_verify_results(ops.catalog, command.id);
  return std::nullopt;
}

}  // namespace

const run::AfterRunTable& after_run_table() {
  // Building actions settle their deployments' status; actions that only use
  // a deployment (verify, cron, stats, lock's manifest, ...) leave it alone.
  static const run::AfterRunTable table = {
      {"install", {nullptr, settle_and_serve}},
      {"allocate", {nullptr, lifecycle::after_allocate}},
      {"finalize", {lifecycle::finalize_stale, lifecycle::after_finalize}},
      {"clone", {nullptr, settle_and_serve}},
      {"restore", {nullptr, settle_and_serve}},
      {"remove", {nullptr, settle_and_serve}},
      {"reserve refill", {nullptr, settle_and_serve}},
      {"reserve prune", {nullptr, settle_and_serve}},
      {"backup", {nullptr, lifecycle::after_backup}},
      {"backup verify", {nullptr, lifecycle::after_backup_verify}},
      {"backup delete", {nullptr, lifecycle::after_backup_delete}},
      {"enable", {nullptr, lifecycle::after_enable}},
      {"disable", {nullptr, lifecycle::after_enable}},
      {"verify", {}},
      {"routes", {}},
      {"upgrade", {}},
      {"lock", {}},
      {"unlock", {}},
      {"archive", {}},
      {"manifest", {}},
      {"queue cron", {}},
      {"queue stats", {}},
      {"migrate copy", {nullptr, lifecycle::after_migrate_copy}},
      {"route sync", {}},  // routing::router_synced() reads the command's own status
      {"web sync", {}},
      {"cert install", {nullptr, routing::after_cert_install}},
      {"cert restore", {nullptr, routing::after_cert_restore}},
      {"host verify", {nullptr, record_verify}},
      {"host exec", {}},
      {"host import", {}},
      {"database repair", {}},
  };
  return table;
}

}  // namespace hostctl::operations
