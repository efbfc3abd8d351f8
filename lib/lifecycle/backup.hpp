// Backups: archives a site's backup action writes on its host, with their
// sha256 and size recorded, checked before a restore, and verified by
// restoring into a scratch deployment. Retention keeps the newest N and drops
// those past a maximum age, but never the last good backup of a site.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "lifecycle/deployment.hpp"
#include "run/operation.hpp"
#include "run/runner.hpp"

namespace hostctl::lifecycle {

struct Backup {
  int64_t id = 0;
  std::optional<int64_t> site_id;
  std::string site;
  std::optional<int64_t> deployment_id;
  std::optional<int64_t> host_id;
  std::string host;
  std::string path;
  std::optional<int64_t> size;
  std::string sha256;
  int status = 0;
  std::string created_at;
  std::optional<int> verify_status;  // COMPLETED or FAILED once `backup verify` ran
};

Backup get_backup(catalog::Catalog& catalog, const std::string& ref);
std::vector<Backup> list_backups(catalog::Catalog& catalog, const std::optional<std::string>& site);
nlohmann::ordered_json to_json(const Backup& b);

struct BackupRun {
  Backup backup;
  run::RunSummary summary;
  std::vector<Backup> pruned;
};
BackupRun backup_site(run::Ops& ops, const std::string& site);
run::RunSummary restore_site(run::Ops& ops, const std::string& site, const std::string& backup);
run::RunSummary delete_backup(run::Ops& ops, const std::string& backup);

struct BackupCheck {
  Backup backup;
  run::RunSummary summary;  // install + restore + verify in a scratch deployment
  std::string scratch;
};
BackupCheck verify_backup(run::Ops& ops, const std::string& backup);

// Which of a site's good backups retention drops, given the newest-first
// list: beyond `keep`, or older than `max_age` seconds; never the newest, and
// never the last good one: the newest whose test restore passed, when any did.
std::vector<int64_t> backups_to_prune(const std::vector<Backup>& good_newest_first, int64_t keep, int64_t max_age,
                                      int64_t now);
std::vector<Backup> prune_backups(run::Ops& ops, int64_t site_id);

// The after-run steps of backup commands: the record follows the run (status,
// sha256, size; retention), a test restore's result is kept, a deleted file's
// record is marked removed.
std::optional<Error> after_backup(run::Ops& ops, const run::CommandView& command);
std::optional<Error> after_backup_verify(run::Ops& ops, const run::CommandView& command);
std::optional<Error> after_backup_delete(run::Ops& ops, const run::CommandView& command);
// A migrate copy that completed (first run or retry) is a backup of the new deployment on its host.
std::optional<Error> after_migrate_copy(run::Ops& ops, const run::CommandView& command);

// Restores `b` into `d` (its checksum checked first): restore and migrate.
run::RunSummary restore_from(run::Ops& ops, const Deployment& d, const Backup& b);
// The shell that makes $HOSTCTL_BACKUP_FILE's directory.
const char* backup_dir_script();

}  // namespace hostctl::lifecycle
