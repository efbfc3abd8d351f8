// Commands and tasks in the catalog: every change is a command; a command has
// tasks (one script on one host). Tasks of one lane run in order on one
// session; lanes run in parallel.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "catalog/catalog.hpp"

namespace hostctl::run {

enum Status : int { kInitiated = 0, kPending = 1, kCompleted = 5, kRemoved = 8, kFailed = 9 };
const char* status_name(int status);

// A task's variable listing (space-separated) the names of the variables that
// hold secrets; the runner masks their values in every output line.
// The catalog keeps their values sealed (secrets/seal).
inline constexpr const char* kSecretsVariable = "HOSTCTL_SECRETS";
using Env = std::vector<std::pair<std::string, std::string>>;
// The names kSecretsVariable lists in `env`, with spaces around each (" A B ").
std::string secret_names(const Env& env);
inline bool is_secret(const std::string& names, const std::string& variable) {
  return names.find(" " + variable + " ") != std::string::npos;
}

struct TaskSpec {
  int lane = 0;
  int64_t host_id = 0;
  std::string host_name;
  std::optional<int64_t> deployment_id;
  std::string name;
  std::string script;
  std::string rollback;
  int64_t timeout = 300;
  Env env;
  // Before its script, the task copies copy_from on host copy_host_id to
  // copy_to on its own host, through the sessions hostctl holds (SFTP).
  std::optional<int64_t> copy_host_id;
  std::string copy_from, copy_to;
};

struct CommandSpec {
  std::string action;       // "host exec"
  std::string object_type;  // "host"
  std::string object_name;  // "web1", or "web1,web2" for fan-out
  std::vector<TaskSpec> tasks;
};

struct TaskView {
  int64_t id = 0, seq = 0, lane = 0;
  std::string host_name, name;
  std::optional<int64_t> deployment_id;
  int status = 0;
  std::optional<int> exit_code;
  std::string error, progress, started_at, finished_at;
};

struct CommandView {
  int64_t id = 0;
  std::string action, object_type, object_name;
  int status = 0;
  bool interrupted = false;
  std::string user, argv, error, created_at, started_at, finished_at;
  std::string node;  // the control node that runs (or ran) it; "" before nodes were recorded
  std::vector<TaskView> tasks;
};

// Records a new command, owned by this process, with its tasks. Busy (exit 7)
// when the same action already runs on the same object.
int64_t begin_command(catalog::Catalog& catalog, const CommandSpec& spec);
// The same, with the spec made inside the transaction that records it, so what
// it reads from the catalog cannot change before the command holds its slot.
int64_t begin_command(catalog::Catalog& catalog, const std::function<CommandSpec()>& make_spec);

// Records a command to be run later by `queue run tasks` (status INITIATED, no owner).
int64_t queue_command(catalog::Catalog& catalog, const CommandSpec& spec);
// Takes the oldest queued command for this process; nullopt when none is left.
std::optional<int64_t> claim_queued(catalog::Catalog& catalog);

// How many commands are PENDING but their owner is gone: on this control node
// its process died; on another node its lease ran out without renewal.
int count_interrupted(catalog::Catalog& catalog);
// Marks those commands as FAILED and interrupted, and their running tasks as
// FAILED. Returns how many it found.
int reconcile_interrupted(catalog::Catalog& catalog);
// Extends this node's claim on a running command by one lease (node_lease);
// the runner renews it every third of a lease.
void renew_lease(catalog::Catalog& catalog, int64_t command_id);

// Takes a FAILED command back for this process, keeping its completed tasks.
void claim_for_retry(catalog::Catalog& catalog, int64_t command_id);

// Ends a command that no longer applies without running it: it and its
// unfinished tasks become REMOVED, with the reason as their error.
void retire(catalog::Catalog& catalog, int64_t command_id, const std::string& why);

// Asks for a command to stop. A queued one is failed at once; for a running
// one the owning process is signalled. Returns the new status.
int request_cancel(catalog::Catalog& catalog, int64_t command_id);

CommandView get_command(catalog::Catalog& catalog, int64_t command_id);

struct ListFilter {
  std::optional<int> status;
  std::optional<std::string> action;
  int limit = 50;
};
std::vector<CommandView> list_commands(catalog::Catalog& catalog, const ListFilter& filter);

struct LogLine {
  int64_t id = 0, task_id = 0;
  std::string at, stream, line, host_name, task_name;
};
// Log lines of a command after `after_id`, oldest first.
std::vector<LogLine> command_log(catalog::Catalog& catalog, int64_t command_id, int64_t after_id,
                                 std::optional<int64_t> task_id = std::nullopt);
// The last `n` lines of one task's log.
std::vector<std::string> tail_of_task(catalog::Catalog& catalog, int64_t task_id, int n);

// The value of an input variable of a command's tasks (the first task that has
// it), or "" when none has it.
std::string command_env(catalog::Catalog& catalog, int64_t command_id, const std::string& name);

// The failing step, its exit code and the last lines of its log, for an error message.
std::string failure_report(catalog::Catalog& catalog, int64_t command_id, int64_t failed_task, int lines = 10);

nlohmann::ordered_json to_json(const CommandView& command, bool with_tasks);
nlohmann::ordered_json to_json(const TaskView& task);

}  // namespace hostctl::run
