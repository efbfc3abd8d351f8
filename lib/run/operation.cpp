#include "run/operation.hpp"

#include <fmt/format.h>


namespace hostctl::run {
namespace {

// Every action has its row, even an empty one: a forgotten row is a bug, not "nothing to do".
const AfterRun* step_for(const Ops& ops, const std::string& action) {
  if (!ops.after_run) throw Error(ErrorKind::Internal, "no after-run table was given to run commands with");
  auto it = ops.after_run->find(action);
  if (it == ops.after_run->end())
    throw Error(ErrorKind::Internal, fmt::format("no after-run step is defined for action '{}'", action));
  return &it->second;
}

std::optional<Error> after(Ops& ops, const AfterRun* step, int64_t command_id) {
  if (!step->after) return std::nullopt;
  return step->after(ops, get_command(ops.catalog, command_id));
}

}  // namespace

RunSummary execute(Ops& ops, int64_t command_id) {
  auto command = get_command(ops.catalog, command_id);
  const AfterRun* step = step_for(ops, command.action);
  if (step->stale) {
    if (auto why = step->stale(ops, command); !why.empty()) {
      retire(ops.catalog, command_id, why);
      RunSummary out;
      out.command_id = command_id;
      out.status = kRemoved;
      out.error = why;
      return out;
    }
  }
  RunSummary out = run_command(ops.catalog, command_id, ops.run);
  out.after_error = after(ops, step, command_id);
  return out;
}

int cancel(Ops& ops, int64_t command_id) {
  int status = request_cancel(ops.catalog, command_id);
  // A queued command never ran: its after-run step settles what it would have made.
  if (status == kFailed) {
    auto command = get_command(ops.catalog, command_id);
    (void)after(ops, step_for(ops, command.action), command_id);
  }
  return status;
}

}  // namespace hostctl::run
