#include "lifecycle/backup.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "lifecycle/deployment.hpp"
#include "lifecycle/site.hpp"
#include "run/operation.hpp"
#include "model/validate.hpp"

namespace hostctl::lifecycle {
namespace {

constexpr const char* kSelect =
    "SELECT b.id, b.site_id, b.site_name, b.deployment_id, b.host_id, coalesce(h.name, ''), b.path, b.size, "
    "coalesce(b.sha256, ''), b.status, b.created_at, b.verify_status FROM backup b LEFT JOIN host h ON h.id = b.host_id ";

Backup read_row(catalog::Statement& q) {
  Backup b;
  b.id = q.getColumn(0).getInt64();
  if (!q.getColumn(1).isNull()) b.site_id = q.getColumn(1).getInt64();
  b.site = q.getColumn(2).getString();
  if (!q.getColumn(3).isNull()) b.deployment_id = q.getColumn(3).getInt64();
  if (!q.getColumn(4).isNull()) b.host_id = q.getColumn(4).getInt64();
  b.host = q.getColumn(5).getString();
  b.path = q.getColumn(6).getString();
  if (!q.getColumn(7).isNull()) b.size = q.getColumn(7).getInt64();
  b.sha256 = q.getColumn(8).getString();
  b.status = q.getColumn(9).getInt();
  b.created_at = q.getColumn(10).getString();
  if (!q.getColumn(11).isNull()) b.verify_status = q.getColumn(11).getInt();
  return b;
}

Backup read_backup(catalog::Catalog& catalog, int64_t id) {
  catalog::Statement q(catalog.db(), std::string(kSelect) + "WHERE b.id = ?");
  q.bind(1, id);
  if (!q.executeStep())
    throw Error(ErrorKind::NotFound, fmt::format("backup {} not found", id), "'hostctl backup list' shows them");
  return read_row(q);
}

constexpr const char* kPrepare = R"sh(mkdir -p "$(dirname "$HOSTCTL_BACKUP_FILE")")sh";
constexpr const char* kChecksum = R"sh(set -eu
test -s "$HOSTCTL_BACKUP_FILE" || { echo "the backup action wrote no $HOSTCTL_BACKUP_FILE" >&2; exit 3; }
echo "@hostctl set backup_sha256=$(sha256sum "$HOSTCTL_BACKUP_FILE" | cut -d' ' -f1)"
echo "@hostctl set backup_size=$(wc -c < "$HOSTCTL_BACKUP_FILE" | tr -d ' ')"
)sh";
constexpr const char* kCheck = R"sh(set -eu
test -f "$HOSTCTL_BACKUP_FILE" || { echo "backup file $HOSTCTL_BACKUP_FILE is missing" >&2; exit 3; }
sum=$(sha256sum "$HOSTCTL_BACKUP_FILE" | cut -d' ' -f1)
size=$(wc -c < "$HOSTCTL_BACKUP_FILE" | tr -d ' ')
if [ "$sum" != "$HOSTCTL_BACKUP_SHA256" ] || [ "$size" != "$HOSTCTL_BACKUP_SIZE" ]; then
  echo "backup $HOSTCTL_BACKUP_FILE does not match its record: sha256 $sum size $size" >&2
  exit 3
fi
echo "checksum ok: $sum ($size bytes)"
)sh";

int64_t insert_backup(catalog::Catalog& catalog, int64_t site_id, const std::string& site, int64_t deployment_id,
                      int64_t host_id, const std::string& path, int status, std::optional<int64_t> size,
                      const std::string& sha256) {
  catalog::Statement st(catalog.db(),
                        "INSERT INTO backup(site_id, site_name, deployment_id, host_id, path, size, sha256, status, "
                        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
  st.bind(1, site_id);
  st.bind(2, site);
  st.bind(3, deployment_id);
  st.bind(4, host_id);
  st.bind(5, path);
  if (size) st.bind(6, *size); else st.bind(6);
  if (sha256.empty()) st.bind(7); else st.bind(7, sha256);
  st.bind(8, status);
  st.bind(9, now_utc());
  return catalog::insert_returning_id(st);
}

std::string directive_value(catalog::Catalog& catalog, int64_t command_id, const std::string& key) {
  catalog::Statement q(catalog.db(),
                       "SELECT d.value FROM directive d JOIN task t ON t.id = d.task_id WHERE t.command_id = ? "
                       "AND d.kind = 'set' AND d.key = ? ORDER BY t.id DESC LIMIT 1");
  q.bind(1, command_id);
  q.bind(2, key);
  return q.executeStep() ? q.getColumn(0).getString() : "";
}

void require_good(const Backup& b) {
  if (b.status != run::kCompleted)
    throw Error(ErrorKind::Refused,
                fmt::format("backup {} is {}; only a completed backup can be used", b.id, run::status_name(b.status)));
}

bool shares_file(catalog::Catalog& catalog, const Backup& b) {
  catalog::Statement q(catalog.db(),
                       "SELECT 1 FROM backup WHERE path = ? AND host_id IS NOT DISTINCT FROM ? AND id != ? AND status IN (0, 1, 5)");
  q.bind(1, b.path);
  if (b.host_id) q.bind(2, *b.host_id); else q.bind(2);
  q.bind(3, b.id);
  return q.executeStep();
}

std::vector<std::pair<std::string, std::string>> backup_env(const Backup& b) {
  return {{"HOSTCTL_BACKUP_FILE", b.path},
          {"HOSTCTL_BACKUP_ID", std::to_string(b.id)},
          {"HOSTCTL_BACKUP_SHA256", b.sha256},
          {"HOSTCTL_BACKUP_SIZE", b.size ? std::to_string(*b.size) : ""}};
}

}  // namespace

Backup get_backup(catalog::Catalog& catalog, const std::string& ref) {
  if (!model::is_all_digits(ref) || ref.size() > 15) model::require("must be a backup number", "backup id", ref);
  return read_backup(catalog, std::stoll(ref));
}

std::vector<Backup> list_backups(catalog::Catalog& catalog, const std::optional<std::string>& site) {
  catalog::Statement q(catalog.db(), std::string(kSelect) + "WHERE (CAST(?1 AS TEXT) IS NULL OR b.site_name = ?1) ORDER BY b.id DESC");
  if (site) q.bind(1, *site); else q.bind(1);
  std::vector<Backup> out;
  while (q.executeStep()) out.push_back(read_row(q));
  return out;
}

nlohmann::ordered_json to_json(const Backup& b) {
  nlohmann::ordered_json j;
  j["id"] = b.id;
  j["site"] = b.site;
  j["host"] = b.host;
  j["path"] = b.path;
  j["size"] = b.size ? nlohmann::ordered_json(*b.size) : nullptr;
  j["sha256"] = b.sha256;
  j["status"] = b.status;
  j["status_name"] = run::status_name(b.status);
  j["created_at"] = b.created_at;
  j["verify_status"] = b.verify_status ? nlohmann::ordered_json(*b.verify_status) : nullptr;
  return j;
}

BackupRun backup_site(run::Ops& ops, const std::string& site_ref) {
  auto site = get_site(ops.catalog, site_ref);
  model::check_has_active(rule_view(site), site.active_deployment, "back up");
  auto d = get_deployment(ops.catalog, site.active_deployment);
  auto service = plan_of(ops.catalog, d);
  if (!service.plan.actions.count("backup"))
    throw Error(ErrorKind::Refused, fmt::format("service '{}' has no backup action", service.plan.name));
  auto host = model::get_host(ops.catalog, std::to_string(d.host_id));
  std::string stamp = now_utc();
  stamp.erase(std::remove_if(stamp.begin(), stamp.end(), [](char c) { return c == '-' || c == ':'; }), stamp.end());
  int64_t id = 0;
  std::string path;
  {
    catalog::Write write(ops.catalog, "site backup " + site.name);
    id = insert_backup(ops.catalog, site.id, site.name, d.id, host.id, "", run::kPending, std::nullopt, "");
    // The record's id in the name: two backups in one second never share a file.
    path = fmt::format("{}/backups/{}-{}-b{}.tar.gz", host.base_dir, site.name, stamp, id);
    catalog::Statement st(ops.catalog.db(), "UPDATE backup SET path = ? WHERE id = ?");
    st.bind(1, path);
    st.bind(2, id);
    st.exec();
    write.commit();
  }
  std::set<int64_t> good_before;
  for (const auto& b : list_backups(ops.catalog, site.name))
    if (b.status == run::kCompleted) good_before.insert(b.id);
  ActionRequest request;
  request.actions = {"backup"};
  request.extra_env = {{"HOSTCTL_BACKUP_FILE", path}, {"HOSTCTL_BACKUP_ID", std::to_string(id)}};
  request.before = {{"prepare", kPrepare}};
  request.after = {{"checksum", kChecksum}};
  BackupRun out;
  out.summary = run_on_deployment(ops, d, "backup", request);
  for (const auto& b : list_backups(ops.catalog, site.name))
    if (b.status == run::kRemoved && good_before.count(b.id)) out.pruned.push_back(b);
  out.backup = read_backup(ops.catalog, id);
  return out;
}

std::optional<Error> after_backup(run::Ops& ops, const run::CommandView& command) {
  std::string id = run::command_env(ops.catalog, command.id, "HOSTCTL_BACKUP_ID");
  if (!model::is_all_digits(id) || id.empty()) return {};
  auto b = read_backup(ops.catalog, std::stoll(id));
  bool ok = command.status == run::kCompleted;
  {
    catalog::Write write(ops.catalog, "");
    catalog::Statement st(ops.catalog.db(), "UPDATE backup SET status = ?, sha256 = ?, size = ? WHERE id = ?");
    st.bind(1, ok ? run::kCompleted : run::kFailed);
    std::string sha = directive_value(ops.catalog, command.id, "backup_sha256");
    std::string size = directive_value(ops.catalog, command.id, "backup_size");
    if (ok) st.bind(2, sha); else st.bind(2);
    if (ok && model::is_all_digits(size)) st.bind(3, static_cast<int64_t>(std::stoll(size))); else st.bind(3);
    st.bind(4, b.id);
    st.exec();
    write.commit();
  }
  if (ok && b.site_id) prune_backups(ops, *b.site_id);
  return {};
}

run::RunSummary restore_site(run::Ops& ops, const std::string& site_ref, const std::string& backup_ref) {
  auto site = get_site(ops.catalog, site_ref);
  auto b = get_backup(ops.catalog, backup_ref);
  require_good(b);
  if (b.site_id != site.id)
    throw Error(ErrorKind::Refused, fmt::format("backup {} belongs to site '{}', not '{}'", b.id, b.site, site.name));
  model::check_has_active(rule_view(site), site.active_deployment, "restore into");
  auto d = get_deployment(ops.catalog, site.active_deployment);
  if (b.host_id != d.host_id)
    throw Error(ErrorKind::Refused, fmt::format("backup {} is on host '{}', the site runs on '{}'", b.id, b.host, d.host));
  return restore_from(ops, d, b);
}

run::RunSummary restore_from(run::Ops& ops, const Deployment& d, const Backup& b) {
  ActionRequest request;
  request.actions = {"restore"};
  // The restored data holds the addresses of its day: the routes action tells it today's.
  if (plan_of(ops.catalog, d).plan.actions.count("routes")) request.actions.push_back("routes");
  request.extra_env = backup_env(b);
  request.before = {{"checksum", kCheck}};
  return run_on_deployment(ops, d, "restore", request);
}

const char* backup_dir_script() { return kPrepare; }

std::optional<Error> after_migrate_copy(run::Ops& ops, const run::CommandView& command) {
  if (command.status != run::kCompleted || command.tasks.empty() || !command.tasks.back().deployment_id) return {};
  auto to = read_deployment(ops.catalog, *command.tasks.back().deployment_id);
  if (!to.site_id) return {};
  std::string path = run::command_env(ops.catalog, command.id, "HOSTCTL_BACKUP_FILE");
  std::string size = run::command_env(ops.catalog, command.id, "HOSTCTL_BACKUP_SIZE");
  catalog::Write write(ops.catalog, "");
  catalog::Statement known(ops.catalog.db(), "SELECT 1 FROM backup WHERE path = ? AND host_id = ? AND status = 5");
  known.bind(1, path);
  known.bind(2, to.host_id);
  if (known.executeStep()) return {};  // a retry of a copy already recorded
  insert_backup(ops.catalog, *to.site_id, to.site, to.id, to.host_id, path, run::kCompleted,
                model::is_all_digits(size) && !size.empty() ? std::optional<int64_t>(std::stoll(size)) : std::nullopt,
                run::command_env(ops.catalog, command.id, "HOSTCTL_BACKUP_SHA256"));
  write.commit();
  return {};
}

run::RunSummary delete_backup(run::Ops& ops, const std::string& backup_ref) {
  auto b = get_backup(ops.catalog, backup_ref);
  if (b.status == run::kRemoved) throw Error(ErrorKind::Refused, fmt::format("backup {} is already deleted", b.id));
  if (!b.host_id) throw Error(ErrorKind::Refused, fmt::format("backup {}'s host is gone", b.id));
  auto host = model::get_host(ops.catalog, std::to_string(*b.host_id));
  run::TaskSpec t;
  t.host_id = host.id;
  t.host_name = host.name;
  t.name = "delete";
  // Another live record naming the same file (one made before names carried
  // the record's id) keeps the file: only this record goes.
  t.script = shares_file(ops.catalog, b) ? "echo \"kept $HOSTCTL_BACKUP_FILE: another backup record uses it\""
                                         : "rm -f \"$HOSTCTL_BACKUP_FILE\"";
  t.timeout = 60;
  t.env = {{"HOSTCTL_BACKUP_FILE", b.path}, {"HOSTCTL_BACKUP_ID", std::to_string(b.id)}};
  int64_t id = run::begin_command(ops.catalog, {"backup delete", "backup", std::to_string(b.id), {t}});
  return run::execute(ops, id);
}

std::optional<Error> after_backup_delete(run::Ops& ops, const run::CommandView& command) {
  if (command.status != run::kCompleted) return {};
  catalog::Write write(ops.catalog, fmt::format("backup delete {}", command.object_name));
  catalog::Statement st(ops.catalog.db(), "UPDATE backup SET status = 8 WHERE id = ?");
  st.bind(1, static_cast<int64_t>(std::stoll(command.object_name)));
  st.exec();
  write.commit();
  return {};
}

BackupCheck verify_backup(run::Ops& ops, const std::string& backup_ref) {
  BackupCheck out;
  out.backup = get_backup(ops.catalog, backup_ref);
  require_good(out.backup);
  if (!out.backup.site_id || !out.backup.host_id)
    throw Error(ErrorKind::Refused, fmt::format("backup {}'s site or host is gone", out.backup.id));
  auto site = get_site(ops.catalog, std::to_string(*out.backup.site_id));
  // The scratch copy runs the plan version that made the backup, when that is known.
  auto service = out.backup.deployment_id
                     ? plan_of(ops.catalog, read_deployment(ops.catalog, *out.backup.deployment_id))
                     : service::get_service(ops.catalog, std::to_string(site.service_id));
  auto host = model::get_host(ops.catalog, std::to_string(*out.backup.host_id));
  int64_t id = 0;
  {
    // Stage archive: a scratch copy is never served nor taken from the reserve.
    catalog::Write write(ops.catalog, fmt::format("backup verify {}", out.backup.id));
    id = insert_deployment(ops.catalog, service, host, resolve_params(service.plan, {}), std::nullopt, std::nullopt,
                           model::Stage::Archive, fmt::format("scratch: verify backup {}", out.backup.id));
    write.commit();
  }
  auto scratch = read_deployment(ops.catalog, id);
  out.scratch = scratch.name;
  ActionRequest request;
  request.actions = {"install", "restore", "verify"};
  request.extra_env = backup_env(out.backup);
  request.before = {{"checksum", kCheck}};
  request.write_manifest = false;
  out.summary = run_on_deployment(ops, scratch, "backup verify", request);
  out.backup = read_backup(ops.catalog, out.backup.id);
  return out;
}

std::optional<Error> after_backup_verify(run::Ops& ops, const run::CommandView& command) {
  settle(ops.catalog, command);
  std::string id = run::command_env(ops.catalog, command.id, "HOSTCTL_BACKUP_ID");
  if (!id.empty() && model::is_all_digits(id)) {
    catalog::Write write(ops.catalog, "");
    catalog::Statement st(ops.catalog.db(), "UPDATE backup SET verify_status = ?, verified_at = ? WHERE id = ?");
    st.bind(1, command.status == run::kCompleted ? run::kCompleted : run::kFailed);
    st.bind(2, now_utc());
    st.bind(3, static_cast<int64_t>(std::stoll(id)));
    st.exec();
    write.commit();
  }
  // The scratch copy goes, whatever the outcome: it was never served.
  auto scratch = read_deployment(ops.catalog, *command.tasks.front().deployment_id);
  if (scratch.status == run::kRemoved) return {};
  auto removed = remove_deployment(ops, scratch.name, false);
  if (removed.status != run::kCompleted)
    return Error(ErrorKind::RemoteFailed, fmt::format("removing scratch deployment '{}' failed: {}", scratch.name,
                                                      removed.error));
  return {};
}

std::vector<int64_t> backups_to_prune(const std::vector<Backup>& good, int64_t keep, int64_t max_age, int64_t now) {
  std::vector<int64_t> drop;
  auto proven = std::find_if(good.begin(), good.end(),
                             [](const Backup& b) { return b.verify_status == run::kCompleted; });
  for (size_t i = 1; i < good.size(); ++i) {  // i = 0, the newest good backup, always stays
    if (proven != good.end() && good[i].id == proven->id) continue;
    int64_t created = 0;
    parse_utc(good[i].created_at, created);
    if (static_cast<int64_t>(i) >= keep || now - created > max_age) drop.push_back(good[i].id);
  }
  return drop;
}

std::vector<Backup> prune_backups(run::Ops& ops, int64_t site_id) {
  auto site = get_site(ops.catalog, std::to_string(site_id));
  auto plan = service::get_service(ops.catalog, std::to_string(site.service_id)).plan;
  std::vector<Backup> good;
  for (const auto& b : list_backups(ops.catalog, site.name))
    if (b.status == run::kCompleted && b.site_id == site_id) good.push_back(b);
  std::vector<Backup> pruned;
  for (int64_t id : backups_to_prune(good, plan.schedule.keep_backups, plan.schedule.backup_max_age, now_epoch())) {
    auto summary = delete_backup(ops, std::to_string(id));
    if (summary.status == run::kCompleted) pruned.push_back(read_backup(ops.catalog, id));
  }
  return pruned;
}

}  // namespace hostctl::lifecycle
