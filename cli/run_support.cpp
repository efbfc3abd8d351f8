#include "run_support.hpp"

#include <fmt/format.h>

#include <cstdio>

#include "core/interrupt.hpp"
#include "operations/after_run.hpp"

namespace hostctl::cli {

run::RunOptions run_options(Context& ctx, bool accept_new_key) {
  run::RunOptions o;
  o.jobs = static_cast<int>(ctx.settings.integer("jobs"));
  o.connect.known_hosts = ctx.settings.get("known_hosts");
  o.connect.ssh_config = ctx.settings.get("ssh_config");
  o.connect.connect_timeout = ctx.settings.seconds("connect_timeout");
  o.connect.accept_new_key = accept_new_key;
  o.cancel = &interrupt_flag();
  // A progress line for people watching a terminal; never in pipes or logs.
  if (ctx.stderr_tty && !ctx.quiet && !ctx.verbose)
    o.progress = [](size_t done, size_t total) {
      std::fprintf(stderr, "\r\033[Khostctl: %zu/%zu done%s", done, total, done == total ? "\n" : "");
      std::fflush(stderr);
    };
  if (ctx.verbose)
    o.echo = [](const std::string& host, const std::string& task, exec::Stream s, std::string_view line) {
      std::fprintf(stderr, "%s %s%s: %.*s\n", host.c_str(), task.c_str(), s == exec::Stream::Err ? " (stderr)" : "",
                   static_cast<int>(line.size()), line.data());
    };
  return o;
}

std::optional<Error> outcome_error(Context& ctx, const run::RunSummary& summary) {
  // REMOVED: the command no longer applied and was not run (its reason was said).
  if (summary.status == run::kCompleted || summary.status == run::kRemoved) return summary.after_error;
  std::string report = run::failure_report(ctx.catalog(), summary.command_id, summary.failed_task);
  std::string hint = fmt::format("'hostctl task log {0}' shows the whole log; 'hostctl task retry {0}' resumes "
                                 "at the failed step",
                                 summary.command_id);
  if (!summary.hint.empty()) hint = summary.hint + "; " + hint;
  if (summary.cancelled) return Error(ErrorKind::Interrupted, report, hint);
  if (summary.failed > 0) return Error(ErrorKind::RemoteFailed, report, hint);
  return Error(ErrorKind::Unreachable, report, hint);
}

}  // namespace hostctl::cli

namespace hostctl::cli {

run::Ops make_ops(Context& ctx) {
  run::Ops ops{ctx.catalog(), run_options(ctx)};
  ops.after_run = &operations::after_run_table();
  ops.min_free_kb = ctx.settings.integer("min_free_kb");
  ops.say = [&ctx](const std::string& message) { ctx.info(message); };
  return ops;
}

std::optional<Error> remote_error(const std::string& error) {
  if (error.empty()) return std::nullopt;
  return Error(ErrorKind::RemoteFailed, error, "'hostctl task list' and 'hostctl task log ID' show what ran");
}

}  // namespace hostctl::cli
