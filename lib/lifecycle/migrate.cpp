// Aegir's migrate, host to host: back up, install on the target, stream the
// archive between the hosts, restore, then switch (health-gated).
#include "lifecycle/migrate.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "databases/databases.hpp"
#include "lifecycle/backup.hpp"
#include "lifecycle/deployment.hpp"
#include "lifecycle/site.hpp"
#include "model/rules.hpp"
#include "run/operation.hpp"

namespace hostctl::lifecycle {

MigrateResult migrate_site(run::Ops& ops, const std::string& site_ref, const std::optional<std::string>& to_host_ref,
                           const std::optional<std::string>& to_db_host_ref) {
  if (!to_host_ref && !to_db_host_ref) throw Error(ErrorKind::Usage, "site migrate needs --to-host, --to-db-host or both");
  auto site = get_site(ops.catalog, site_ref);
  model::check_has_active(rule_view(site), site.active_deployment, "migrate");
  auto from = get_deployment(ops.catalog, site.active_deployment);
  auto service = plan_of(ops.catalog, from);  // a move, not an upgrade: the same plan version
  auto target = to_host_ref ? choose_host(ops.catalog, service.plan, to_host_ref)
                            : model::get_host(ops.catalog, std::to_string(from.host_id));
  std::optional<model::Host> db_target;
  if (to_db_host_ref) {
    if (service.plan.database.engine.empty())
      throw Error(ErrorKind::Refused, fmt::format("service '{}' has no database to move", service.plan.name));
    db_target = databases::named_server(ops.catalog, service.plan.database.engine, *to_db_host_ref);
  } else if (from.db_host_id && target.id == from.host_id) {
    db_target = model::get_host(ops.catalog, std::to_string(*from.db_host_id));
  }
  bool same_db = !db_target || (from.db_host_id && db_target->id == *from.db_host_id);
  if (target.id == from.host_id && same_db)
    throw Error(ErrorKind::Refused,
                db_target ? fmt::format("site '{}' already runs on host '{}' with its database on '{}'", site.name,
                                        target.name, db_target->name)
                          : fmt::format("site '{}' already runs on host '{}'", site.name, target.name));
  for (const char* action : {"backup", "restore", "install"})
    if (!service.plan.actions.count(action))
      throw Error(ErrorKind::Refused, fmt::format("service '{}' has no {} action to migrate with", service.plan.name, action));
  MigrateResult out;
  out.from_host = from.host;
  out.to_host = target.name;
  out.from_db_host = from.db_host;
  // Writes made after the backup would not reach the new copy: refused meanwhile.
  bool held = hold_writes(ops, from);
  auto fail = [&](const std::string& what, const run::RunSummary& s) {
    if (held) release_writes(ops, from.id);
    out.error = Error(run::failure_kind(s), what);
    out.failed = s;
    return out;
  };

  auto backup = backup_site(ops, site.name);
  if (backup.summary.status != run::kCompleted) return fail("the backup failed", backup.summary);

  int64_t id = 0;
  {
    catalog::Write write(ops.catalog, fmt::format("site migrate {} --to-host {}{}", site.name, target.name,
                                                  db_target ? " --to-db-host " + db_target->name : ""));
    id = insert_deployment(ops.catalog, service, target, from.params, site.id, site.client_id, model::Stage::Allocate,
                           fmt::format("migrated from {}", from.host), std::nullopt, false, db_target);
    write.commit();
  }
  auto to = read_deployment(ops.catalog, id);
  out.deployment = to.name;
  out.to_db_host = to.db_host;
  ActionRequest install;
  install.actions = {"install"};
  install.stage_after = model::Stage::Allocate;
  auto installed = run_on_deployment(ops, to, "install", install);
  if (installed.status != run::kCompleted) return fail("the install on the target failed", installed);

  // The archive streams from the source's session to the target's (SFTP),
  // checked by its sha256 before it takes its name; a retry copies again.
  std::string copy_path = fmt::format("{}/backups/{}", target.base_dir,
                                      backup.backup.path.substr(backup.backup.path.rfind('/') + 1));
  auto task = [&](const std::string& name, const std::string& script) {
    run::TaskSpec t;
    t.host_id = target.id;
    t.host_name = target.name;
    t.deployment_id = to.id;  // its after-run step records the copy as a backup of the new deployment
    t.name = name;
    t.timeout = 600;
    t.env = {{"HOSTCTL_BACKUP_FILE", copy_path},
             {"HOSTCTL_BACKUP_SHA256", backup.backup.sha256},
             {"HOSTCTL_BACKUP_SIZE", backup.backup.size ? std::to_string(*backup.backup.size) : ""}};
    t.script = script;
    return t;
  };
  run::TaskSpec copy = task("copy", "set -eu\n"
                                    "test \"$(sha256sum \"$HOSTCTL_BACKUP_FILE.part\" | cut -d' ' -f1)\" = \"$HOSTCTL_BACKUP_SHA256\"\n"
                                    "mv \"$HOSTCTL_BACKUP_FILE.part\" \"$HOSTCTL_BACKUP_FILE\"\n");
  copy.copy_host_id = from.host_id;
  copy.copy_from = backup.backup.path;
  copy.copy_to = copy_path + ".part";
  int64_t copy_id = run::begin_command(
      ops.catalog, {"migrate copy", "site", site.name, {task("prepare", backup_dir_script()), copy}});
  auto copied = run::execute(ops, copy_id);
  if (copied.status != run::kCompleted) return fail("copying the backup to the target failed", copied);
  auto backups = list_backups(ops.catalog, site.name);
  auto copied_backup = std::find_if(
      backups.begin(), backups.end(), [&](const Backup& b) { return b.path == copy_path && b.host_id == target.id; });
  if (copied_backup == backups.end())
    throw Error(ErrorKind::Internal, fmt::format("the copy of the backup on host '{}' was not recorded", target.name));
  auto restored = restore_from(ops, read_deployment(ops.catalog, id), *copied_backup);
  if (restored.status != run::kCompleted) return fail("the restore on the target failed", restored);

  auto switched = switch_site(ops, site.name, to.name);
  if (switched.verify.status != run::kCompleted) return fail("the migrated copy failed its verify action", switched.verify);
  out.error = switched.error;
  if (held && get_site(ops.catalog, site.name).active_deployment == from.name) release_writes(ops, from.id);
  return out;
}

}  // namespace hostctl::lifecycle
