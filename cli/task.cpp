// task list|show|log|retry|cancel: the commands hostctl ran, with their tasks and logs.
#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "command.hpp"
#include "core/interrupt.hpp"
#include "lifecycle/site.hpp"
#include "model/validate.hpp"
#include "run_support.hpp"

namespace hostctl::cli {
namespace {

int64_t command_id(const Args& a) {
  const std::string& ref = a.get("ID");
  if (!model::is_all_digits(ref) || ref.size() > 15) model::require("must be a command number", "command id", ref);
  return std::stoll(ref);
}

std::optional<int> status_filter(const Args& a) {
  if (a.flag("failed")) return run::kFailed;
  auto name = a.opt("status");
  if (!name) return std::nullopt;
  for (int s : {run::kInitiated, run::kPending, run::kCompleted, run::kRemoved, run::kFailed}) {
    std::string upper = *name;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    if (upper == run::status_name(s) || *name == std::to_string(s)) return s;
  }
  model::require("must be INITIATED, PENDING, COMPLETED, REMOVED or FAILED (or 0, 1, 5, 8, 9)", "status", *name);
  return std::nullopt;
}

Output list(Context& ctx, const Args& a) {
  run::reconcile_interrupted(ctx.catalog());
  run::ListFilter filter;
  filter.status = status_filter(a);
  filter.action = a.opt("action");
  if (auto limit = a.opt("limit")) {
    int64_t n = 0;
    model::require(model::check_count(*limit, n), "limit", *limit);
    filter.limit = static_cast<int>(std::min<int64_t>(n, 1000000));
  }
  return listing(run::list_commands(ctx.catalog(), filter), [](const run::CommandView& c) { return run::to_json(c, false); },
                 {"id", "action", "object", "status_name", "user", "node", "created_at", "error"});
}

Output show(Context& ctx, const Args& a) {
  run::reconcile_interrupted(ctx.catalog());
  auto command = run::get_command(ctx.catalog(), command_id(a));
  return {run::to_json(command, true), {"seq", "host", "name", "status_name", "progress", "exit_code", "error"}};
}

std::string log_text(const run::LogLine& l) {
  return fmt::format("{} {} {}{}: {}\n", l.at, l.host_name, l.task_name, l.stream == "out" ? "" : " (" + l.stream + ")",
                     l.line);
}

nlohmann::ordered_json log_json(const run::LogLine& l) {
  return {{"id", l.id}, {"task_id", l.task_id}, {"host", l.host_name}, {"task", l.task_name},
          {"at", l.at}, {"stream", l.stream},   {"line", l.line}};
}

// Calls `each` with every log line of the command, in order; with --follow it
// keeps reading until the command has ended and its last line is read.
void read_log(Context& ctx, int64_t id, std::optional<int64_t> task, bool follow,
              const std::function<void(const run::LogLine&)>& each) {
  int64_t last = 0;
  while (true) {
    for (const auto& l : run::command_log(ctx.catalog(), id, last, task)) {
      last = l.id;
      each(l);
    }
    if (!follow || interrupt_flag()) return;
    std::fflush(stdout);
    run::reconcile_interrupted(ctx.catalog());
    int status = run::get_command(ctx.catalog(), id).status;
    if (status != run::kPending && status != run::kInitiated) {
      if (run::command_log(ctx.catalog(), id, last, task).empty()) return;
      continue;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

Output log(Context& ctx, const Args& a) {
  int64_t id = command_id(a);
  run::get_command(ctx.catalog(), id);  // not found before anything else
  std::optional<int64_t> task;
  if (auto t = a.opt("task")) {
    if (!model::is_all_digits(*t) || t->size() > 15) model::require("must be a task number", "task id", *t);
    task = std::stoll(*t);
  }
  bool follow = a.flag("follow");
  // A log is lines, as tail prints them: written as they are read.
  if (ctx.output() == "table" && ctx.field.empty()) {
    read_log(ctx, id, task, follow, [](const run::LogLine& l) {
      std::string line = log_text(l);
      std::fwrite(line.data(), 1, line.size(), stdout);
    });
    return {};
  }
  Output out;
  out.rows = [&ctx, id, task, follow](const RowSink& sink) {
    read_log(ctx, id, task, follow, [&](const run::LogLine& l) { sink(log_json(l)); });
  };
  return out;
}

Output retry(Context& ctx, const Args& a) {
  int64_t id = command_id(a);
  run::claim_for_retry(ctx.catalog(), id);
  auto command = run::get_command(ctx.catalog(), id);
  ctx.info(fmt::format("retrying command {} ({} {}) from its first unfinished step", id, command.action,
                       command.object_name));
  auto ops = make_ops(ctx);
  auto summary = run::execute(ops, id);
  if (summary.status == run::kRemoved) ctx.info(fmt::format("command {} was not run: {}", id, summary.error));
  return {run::to_json(run::get_command(ctx.catalog(), id), true), {}, {}, outcome_error(ctx, summary)};
}

Output cancel(Context& ctx, const Args& a) {
  int64_t id = command_id(a);
  auto ops = make_ops(ctx);
  int status = run::cancel(ops, id);
  if (status == run::kPending) {
    // Wait a little for the owner to record the outcome, so scripts see it.
    for (int i = 0; i < 100 && run::get_command(ctx.catalog(), id).status == run::kPending; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      run::reconcile_interrupted(ctx.catalog());
    }
  }
  auto command = run::get_command(ctx.catalog(), id);
  ctx.info(fmt::format("command {} is {}", id, run::status_name(command.status)));
  return {run::to_json(command, true), {}};
}

}  // namespace

void add_task_commands(std::vector<Command>& t) {
  const Pos id{"ID", "command number", true, false, Complete::Task};
  t.push_back({"task list",
               "list commands, newest first",
               {},
               {{"failed", "", "only FAILED commands", Opt::Flag},
                {"status", "", "only commands with this status", Opt::Value, "STATUS"},
                {"action", "", "only commands of this action (\"host exec\")", Opt::Value, "ACTION"},
                {"limit", "n", "at most N commands (default 50)", Opt::Value, "N"}},
               kCatalog,
               list});
  t.push_back({"task show", "show a command and its tasks", {id}, {}, kCatalog, show});
  t.push_back({"task log",
               "print a command's log",
               {id},
               {{"follow", "f", "keep printing until the command ends", Opt::Flag},
                {"task", "", "only this task's lines", Opt::Value, "TASK"}},
               kCatalog,
               log});
  t.push_back({"task retry", "run a FAILED command again from its first unfinished step", {id}, {},
               kCatalog | kMutates | kDryRun, retry});
  t.push_back({"task cancel", "stop a queued or running command", {id}, {}, kCatalog | kMutates, cancel});
}

}  // namespace hostctl::cli
