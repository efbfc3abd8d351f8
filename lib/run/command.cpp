#include "run/command.hpp"

#include <fmt/format.h>
#include <signal.h>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/process.hpp"
#include "secrets/secrets.hpp"

namespace hostctl::run {

const char* status_name(int status) {
  switch (status) {
    case kInitiated: return "INITIATED";
    case kPending: return "PENDING";
    case kCompleted: return "COMPLETED";
    case kRemoved: return "REMOVED";
    case kFailed: return "FAILED";
  }
  return "UNKNOWN";
}

std::string secret_names(const Env& env) {
  for (const auto& [k, v] : env)
    if (k == kSecretsVariable) return " " + v + " ";
  return "";
}

namespace {

// A task's variables as the catalog keeps them: the secrets sealed (secrets/),
// opened again only by the runner, for the session that hands them over.
Env sealed_env(catalog::Catalog& catalog, Env env) {
  std::string names = secret_names(env);
  for (auto& [k, v] : env)
    if (!v.empty() && is_secret(names, k)) v = secrets::seal(catalog, v);
  return env;
}

// Leases are read and written on the catalog's clock, which every node shares.
std::string lease_end(catalog::Catalog& catalog) { return format_utc(catalog.clock() + catalog.actor().lease_seconds); }

// The command is this process's, on this node, for one lease (renew_lease keeps it).
void own(catalog::Catalog& catalog, int64_t command_id) {
  ProcessRef me = self_process();
  catalog::Statement st(catalog.db(),
                        "UPDATE command SET status = 1, interrupted = 0, cancel_requested = 0, pid = ?, "
                        "pid_start = ?, node = ?, lease_until = ?, started_at = ?, finished_at = NULL, error = NULL "
                        "WHERE id = ?");
  st.bind(1, static_cast<int64_t>(me.pid));
  st.bind(2, me.start);
  st.bind(3, catalog.actor().node);
  st.bind(4, lease_end(catalog));
  st.bind(5, now_utc());
  st.bind(6, command_id);
  st.exec();
}

// A command of this node (or of before nodes were recorded) is alive while its
// process is; another node's, while its lease holds: its pids mean nothing here.
bool owner_alive(catalog::Catalog& catalog, catalog::Statement& q, int first_column, const std::string& now) {
  ProcessRef owner{static_cast<long>(q.getColumn(first_column).getInt64()), q.getColumn(first_column + 1).getInt64()};
  std::string node = q.getColumn(first_column + 2).getString();
  if (node.empty() || node == catalog.actor().node) return process_alive(owner);
  return q.getColumn(first_column + 3).getString() >= now;
}

std::vector<int64_t> dead_pending(catalog::Catalog& catalog) {
  std::vector<int64_t> dead;
  catalog::Statement q(catalog.db(),
                       "SELECT id, pid, pid_start, node, coalesce(lease_until, '') FROM command WHERE status = 1");
  std::string now = format_utc(catalog.clock());
  while (q.executeStep())
    if (!owner_alive(catalog, q, 1, now)) dead.push_back(q.getColumn(0).getInt64());
  return dead;
}

// Fails the commands whose owner died; the caller holds a write transaction.
int reconcile_locked(catalog::Catalog& catalog) {
  auto& db = catalog.db();
  auto dead = dead_pending(catalog);
  for (int64_t id : dead) {
    catalog::Statement tasks(db,
                             "UPDATE task SET status = 9, error = 'interrupted: the hostctl process running it "
                             "died', finished_at = ? WHERE command_id = ? AND status = 1");
    tasks.bind(1, now_utc());
    tasks.bind(2, id);
    tasks.exec();
    catalog::Statement deployments(db,
                                   "UPDATE deployment SET status = 9 WHERE status = 1 AND id IN "
                                   "(SELECT deployment_id FROM task WHERE command_id = ?)");
    deployments.bind(1, id);
    deployments.exec();
    catalog::Statement cmd(db,
                           "UPDATE command SET status = 9, interrupted = 1, error = 'interrupted: the hostctl "
                           "process running it died', finished_at = ? WHERE id = ?");
    cmd.bind(1, now_utc());
    cmd.bind(2, id);
    cmd.exec();
  }
  return static_cast<int>(dead.size());
}

TaskView read_task(catalog::Statement& q) {
  TaskView t;
  t.id = q.getColumn(0).getInt64();
  t.seq = q.getColumn(1).getInt64();
  t.lane = q.getColumn(2).getInt64();
  t.host_name = q.getColumn(3).getString();
  if (!q.getColumn(4).isNull()) t.deployment_id = q.getColumn(4).getInt64();
  t.name = q.getColumn(5).getString();
  t.status = q.getColumn(6).getInt();
  if (!q.getColumn(7).isNull()) t.exit_code = q.getColumn(7).getInt();
  t.error = q.getColumn(8).getString();
  t.progress = q.getColumn(9).getString();
  t.started_at = q.getColumn(10).getString();
  t.finished_at = q.getColumn(11).getString();
  return t;
}

CommandView read_command(catalog::Connection& db, catalog::Statement& q, bool with_tasks) {
  CommandView c;
  c.id = q.getColumn(0).getInt64();
  c.action = q.getColumn(1).getString();
  c.object_type = q.getColumn(2).getString();
  c.object_name = q.getColumn(3).getString();
  c.status = q.getColumn(4).getInt();
  c.interrupted = q.getColumn(5).getInt() != 0;
  c.user = q.getColumn(6).getString();
  c.argv = q.getColumn(7).getString();
  c.error = q.getColumn(8).getString();
  c.created_at = q.getColumn(9).getString();
  c.started_at = q.getColumn(10).getString();
  c.finished_at = q.getColumn(11).getString();
  c.node = q.getColumn(12).getString();
  if (with_tasks) {
    catalog::Statement t(db,
                         "SELECT id, seq, lane, host_name, deployment_id, name, status, exit_code, "
                         "coalesce(error, ''), coalesce(progress, ''), coalesce(started_at, ''), "
                         "coalesce(finished_at, '') FROM task WHERE command_id = ? ORDER BY seq");
    t.bind(1, c.id);
    while (t.executeStep()) c.tasks.push_back(read_task(t));
  }
  return c;
}

constexpr const char* kCommandColumns =
    "SELECT id, action, object_type, object_name, status, interrupted, actor, argv, coalesce(error, ''), "
    "created_at, coalesce(started_at, ''), coalesce(finished_at, ''), node FROM command ";

}  // namespace

namespace {

// Inserts the command (INITIATED) and its tasks; the caller holds the write transaction.
int64_t insert_command(catalog::Catalog& catalog, const CommandSpec& spec) {
  auto& db = catalog.db();
  reconcile_locked(catalog);
  catalog::Statement busy(db,
                          "SELECT id, actor, node, coalesce(pid, 0) FROM command WHERE action = ? AND object_type = ? "
                          "AND object_name = ? AND status IN (0, 1)");
  busy.bind(1, spec.action);
  busy.bind(2, spec.object_type);
  busy.bind(3, spec.object_name);
  if (busy.executeStep())
    throw Error(ErrorKind::Busy,
                fmt::format("'{}' is already running on {} '{}' (command {}, started by {} on node {}, pid {})",
                            spec.action, spec.object_type, spec.object_name, busy.getColumn(0).getInt64(),
                            busy.getColumn(1).getString(), busy.getColumn(2).getString(), busy.getColumn(3).getInt64()),
                fmt::format("wait for it ('hostctl task log {} --follow') or stop it ('hostctl task cancel {}')",
                            busy.getColumn(0).getInt64(), busy.getColumn(0).getInt64()));
  catalog::Statement insert(db,
                            "INSERT INTO command(action, object_type, object_name, status, actor, argv, created_at, node) "
                            "VALUES (?, ?, ?, 0, ?, ?, ?, ?) RETURNING id");
  insert.bind(1, spec.action);
  insert.bind(2, spec.object_type);
  insert.bind(3, spec.object_name);
  insert.bind(4, catalog.actor().user);
  insert.bind(5, catalog.actor().argv);
  insert.bind(6, now_utc());
  insert.bind(7, catalog.actor().node);
  int64_t id = catalog::insert_returning_id(insert);
  int seq = 0;
  for (const TaskSpec& t : spec.tasks) {
    catalog::Statement task(db,
                            "INSERT INTO task(command_id, seq, lane, host_id, host_name, deployment_id, name, script, "
                            "rollback, env, timeout, copy_host_id, copy_from, copy_to) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    task.bind(1, id);
    task.bind(2, ++seq);
    task.bind(3, t.lane);
    task.bind(4, t.host_id);
    task.bind(5, t.host_name);
    if (t.deployment_id) task.bind(6, *t.deployment_id); else task.bind(6);
    task.bind(7, t.name);
    task.bind(8, t.script);
    task.bind(9, t.rollback);
    task.bind(10, nlohmann::json(sealed_env(catalog, t.env)).dump());
    task.bind(11, t.timeout);
    if (t.copy_host_id) {
      task.bind(12, *t.copy_host_id);
      task.bind(13, t.copy_from);
      task.bind(14, t.copy_to);
    } else {
      task.bind(12);
      task.bind(13);
      task.bind(14);
    }
    task.exec();
  }
  return id;
}

}  // namespace

int64_t begin_command(catalog::Catalog& catalog, const CommandSpec& spec) {
  return begin_command(catalog, [&] { return spec; });
}

int64_t begin_command(catalog::Catalog& catalog, const std::function<CommandSpec()>& make_spec) {
  catalog::Write write(catalog, "");
  CommandSpec spec = make_spec();
  int64_t id = insert_command(catalog, spec);
  own(catalog, id);
  write.set_action(fmt::format("{} {}", spec.action, spec.object_name));
  write.commit();
  return id;
}

int64_t queue_command(catalog::Catalog& catalog, const CommandSpec& spec) {
  catalog::Write write(catalog, fmt::format("{} {} (queued)", spec.action, spec.object_name));
  int64_t id = insert_command(catalog, spec);
  write.commit();
  return id;
}

std::optional<int64_t> claim_queued(catalog::Catalog& catalog) {
  catalog::Write write(catalog, "");
  catalog::Statement q(catalog.db(),
                       std::string("SELECT id FROM command WHERE status = 0 ORDER BY id LIMIT 1") + catalog.skip_locked());
  if (!q.executeStep()) return std::nullopt;
  int64_t id = q.getColumn(0).getInt64();
  q.reset();
  own(catalog, id);
  write.commit();
  return id;
}

int count_interrupted(catalog::Catalog& catalog) { return static_cast<int>(dead_pending(catalog).size()); }

void renew_lease(catalog::Catalog& catalog, int64_t command_id) {
  catalog::Write write(catalog, "");
  catalog::Statement st(catalog.db(), "UPDATE command SET lease_until = ? WHERE id = ? AND status = 1");
  st.bind(1, lease_end(catalog));
  st.bind(2, command_id);
  st.exec();
  write.commit();
}

int reconcile_interrupted(catalog::Catalog& catalog) {
  catalog::Write write(catalog, "");
  int n = reconcile_locked(catalog);
  write.commit();
  return n;
}

void claim_for_retry(catalog::Catalog& catalog, int64_t command_id) {
  auto& db = catalog.db();
  catalog::Write write(catalog, fmt::format("task retry {}", command_id));
  reconcile_locked(catalog);
  catalog::Statement q(db, "SELECT status, action, object_type, object_name FROM command WHERE id = ?");
  q.bind(1, command_id);
  if (!q.executeStep()) throw Error(ErrorKind::NotFound, fmt::format("command {} not found", command_id));
  int status = q.getColumn(0).getInt();
  if (status == kPending)
    throw Error(ErrorKind::Busy, fmt::format("command {} is still running", command_id),
                fmt::format("'hostctl task cancel {}' stops it", command_id));
  if (status != kFailed)
    throw Error(ErrorKind::Refused, fmt::format("command {} is {}; only a FAILED command can be retried", command_id,
                                                status_name(status)));
  catalog::Statement other(db,
                           "SELECT id FROM command WHERE action = ? AND object_type = ? AND object_name = ? AND "
                           "status IN (0, 1) AND id != ?");
  other.bind(1, q.getColumn(1).getString());
  other.bind(2, q.getColumn(2).getString());
  other.bind(3, q.getColumn(3).getString());
  other.bind(4, command_id);
  if (other.executeStep())
    throw Error(ErrorKind::Busy, fmt::format("command {} is already running the same action on the same object",
                                             other.getColumn(0).getInt64()));
  catalog::Statement reset(db,
                           "UPDATE task SET status = 0, exit_code = NULL, error = NULL, started_at = NULL, "
                           "finished_at = NULL WHERE command_id = ? AND status != 5");
  reset.bind(1, command_id);
  reset.exec();
  own(catalog, command_id);
  write.commit();
}

void retire(catalog::Catalog& catalog, int64_t command_id, const std::string& why) {
  catalog::Write write(catalog, fmt::format("command {} retired: {}", command_id, why));
  for (const char* sql : {"UPDATE task SET status = 8, error = ?1, finished_at = ?2 WHERE command_id = ?3 AND status != 5",
                          "UPDATE command SET status = 8, error = ?1, finished_at = ?2 WHERE id = ?3"}) {
    catalog::Statement st(catalog.db(), sql);
    st.bind(1, why);
    st.bind(2, now_utc());
    st.bind(3, command_id);
    st.exec();
  }
  write.commit();
}

int request_cancel(catalog::Catalog& catalog, int64_t command_id) {
  auto& db = catalog.db();
  catalog::Write write(catalog, fmt::format("task cancel {}", command_id));
  reconcile_locked(catalog);
  catalog::Statement q(db, "SELECT status, pid, pid_start, node FROM command WHERE id = ?");
  q.bind(1, command_id);
  if (!q.executeStep()) throw Error(ErrorKind::NotFound, fmt::format("command {} not found", command_id));
  int status = q.getColumn(0).getInt();
  ProcessRef owner{static_cast<long>(q.getColumn(1).getInt64()), q.getColumn(2).getInt64()};
  std::string node = q.getColumn(3).getString();
  if (status == kCompleted || status == kFailed || status == kRemoved)
    throw Error(ErrorKind::Refused,
                fmt::format("command {} has already ended ({})", command_id, status_name(status)));
  if (status == kInitiated) {
    catalog::Statement fail(db,
                            "UPDATE command SET status = 9, error = ?, finished_at = ? WHERE id = ?");
    fail.bind(1, fmt::format("cancelled by {} before it ran", catalog.actor().user));
    fail.bind(2, now_utc());
    fail.bind(3, command_id);
    fail.exec();
    write.commit();
    return kFailed;
  }
  catalog::Statement flag(db, "UPDATE command SET cancel_requested = 1 WHERE id = ?");
  flag.bind(1, command_id);
  flag.exec();
  write.commit();
  // The owner stops its remote work and records the outcome itself: told at
  // once when it runs on this node; on another, its node sees the flag (within
  // a second) and a pid here is not its process.
  if ((node.empty() || node == catalog.actor().node) && process_alive(owner))
    ::kill(static_cast<pid_t>(owner.pid), SIGTERM);
  return kPending;
}

std::string command_env(catalog::Catalog& catalog, int64_t command_id, const std::string& name) {
  catalog::Statement q(catalog.db(), "SELECT env FROM task WHERE command_id = ? ORDER BY seq");
  q.bind(1, command_id);
  while (q.executeStep()) {
    auto env = nlohmann::json::parse(q.getColumn(0).getString(), nullptr, false);
    if (!env.is_array()) continue;
    for (const auto& pair : env)
      if (pair.is_array() && pair.size() == 2 && pair[0] == name && pair[1].is_string()) return pair[1].get<std::string>();
  }
  return {};
}

CommandView get_command(catalog::Catalog& catalog, int64_t command_id) {
  catalog::Statement q(catalog.db(), std::string(kCommandColumns) + "WHERE id = ?");
  q.bind(1, command_id);
  if (!q.executeStep())
    throw Error(ErrorKind::NotFound, fmt::format("command {} not found", command_id),
                "'hostctl task list' shows the commands");
  return read_command(catalog.db(), q, true);
}

std::vector<CommandView> list_commands(catalog::Catalog& catalog, const ListFilter& filter) {
  std::string sql = kCommandColumns;
  sql += "WHERE (CAST(?1 AS INTEGER) IS NULL OR status = ?1) AND (CAST(?2 AS TEXT) IS NULL OR action = ?2) ORDER BY id DESC LIMIT ?3";
  catalog::Statement q(catalog.db(), sql);
  if (filter.status) q.bind(1, *filter.status); else q.bind(1);
  if (filter.action) q.bind(2, *filter.action); else q.bind(2);
  q.bind(3, filter.limit);
  std::vector<CommandView> out;
  while (q.executeStep()) out.push_back(read_command(catalog.db(), q, false));
  return out;
}

std::vector<LogLine> command_log(catalog::Catalog& catalog, int64_t command_id, int64_t after_id,
                                 std::optional<int64_t> task_id) {
  catalog::Statement q(catalog.db(),
                       "SELECT l.id, l.task_id, l.at, l.stream, l.line, t.host_name, t.name FROM task_log l "
                       "JOIN task t ON t.id = l.task_id WHERE t.command_id = ?1 AND l.id > ?2 "
                       "AND (CAST(?3 AS INTEGER) IS NULL OR t.id = ?3) ORDER BY l.id");
  q.bind(1, command_id);
  q.bind(2, after_id);
  if (task_id) q.bind(3, *task_id); else q.bind(3);
  std::vector<LogLine> out;
  while (q.executeStep())
    out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getInt64(), q.getColumn(2).getString(),
                   q.getColumn(3).getString(), q.getColumn(4).getString(), q.getColumn(5).getString(),
                   q.getColumn(6).getString()});
  return out;
}

std::vector<std::string> tail_of_task(catalog::Catalog& catalog, int64_t task_id, int n) {
  catalog::Statement q(catalog.db(),
                       "SELECT line FROM (SELECT id, line FROM task_log WHERE task_id = ? ORDER BY id DESC LIMIT ?) tail "
                       "ORDER BY id");
  q.bind(1, task_id);
  q.bind(2, n);
  std::vector<std::string> out;
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}

std::string failure_report(catalog::Catalog& catalog, int64_t command_id, int64_t failed_task, int lines) {
  auto command = get_command(catalog, command_id);
  std::string text = fmt::format("command {} ({} {}) failed: {}", command.id, command.action, command.object_name,
                                 command.error);
  if (failed_task > 0) {
    auto tail = tail_of_task(catalog, failed_task, lines);
    if (!tail.empty()) {
      text += fmt::format("\nlast lines of its log (hostctl task log {}):", command_id);
      for (const auto& l : tail) text += "\n  " + l;
    }
  }
  return text;
}

nlohmann::ordered_json to_json(const TaskView& t) {
  nlohmann::ordered_json j;
  j["id"] = t.id;
  j["seq"] = t.seq;
  j["lane"] = t.lane;
  j["host"] = t.host_name;
  j["deployment_id"] = t.deployment_id ? nlohmann::ordered_json(*t.deployment_id) : nullptr;
  j["name"] = t.name;
  j["status"] = t.status;
  j["status_name"] = status_name(t.status);
  j["exit_code"] = t.exit_code ? nlohmann::ordered_json(*t.exit_code) : nullptr;
  j["error"] = t.error;
  j["progress"] = t.progress;
  j["started_at"] = t.started_at;
  j["finished_at"] = t.finished_at;
  return j;
}

nlohmann::ordered_json to_json(const CommandView& c, bool with_tasks) {
  nlohmann::ordered_json j;
  j["id"] = c.id;
  j["action"] = c.action;
  j["object_type"] = c.object_type;
  j["object"] = c.object_name;
  j["status"] = c.status;
  j["status_name"] = c.interrupted ? "INTERRUPTED" : status_name(c.status);
  j["interrupted"] = c.interrupted;
  j["user"] = c.user;
  j["node"] = c.node;
  j["argv"] = nlohmann::json::parse(c.argv, nullptr, false).is_discarded() ? nlohmann::ordered_json(c.argv)
                                                                          : nlohmann::ordered_json::parse(c.argv);
  j["error"] = c.error;
  j["created_at"] = c.created_at;
  j["started_at"] = c.started_at;
  j["finished_at"] = c.finished_at;
  if (with_tasks) {
    j["tasks"] = nlohmann::ordered_json::array();
    for (const auto& t : c.tasks) j["tasks"].push_back(to_json(t));
  }
  return j;
}

}  // namespace hostctl::run
