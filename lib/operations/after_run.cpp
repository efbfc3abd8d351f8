#include "operations/after_run.hpp"

#include "hostops/hostops.hpp"
#include "lifecycle/backup.hpp"
#include "lifecycle/deployment.hpp"
#include "lifecycle/site.hpp"

namespace hostctl::operations {
namespace {

std::optional<Error> settle(run::Ops& ops, const run::CommandView& command) {
  lifecycle::settle(ops.catalog, command);
  return std::nullopt;
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
      {"install", {nullptr, settle}},
      {"allocate", {nullptr, lifecycle::after_allocate}},
      {"finalize", {lifecycle::finalize_stale, lifecycle::after_finalize}},
      {"clone", {nullptr, settle}},
      {"restore", {nullptr, settle}},
      {"remove", {nullptr, settle}},
      {"reserve refill", {nullptr, settle}},
      {"reserve prune", {nullptr, settle}},
      {"backup", {nullptr, lifecycle::after_backup}},
      {"backup verify", {nullptr, lifecycle::after_backup_verify}},
      {"backup delete", {nullptr, lifecycle::after_backup_delete}},
      {"enable", {nullptr, lifecycle::after_enable}},
      {"disable", {nullptr, lifecycle::after_enable}},
      {"verify", {}},
      {"lock", {}},
      {"unlock", {}},
      {"archive", {}},
      {"manifest", {}},
      {"queue cron", {}},
      {"queue stats", {}},
      {"migrate copy", {nullptr, lifecycle::after_migrate_copy}},
      {"route sync", {}},  // routing::router_synced() reads the command's own status
      {"host verify", {nullptr, record_verify}},
      {"host exec", {}},
      {"host import", {}},
  };
  return table;
}

}  // namespace hostctl::operations
