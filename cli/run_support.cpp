#include "run_support.hpp"

#include <fmt/format.h>

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <memory>
#include <mutex>

#include "core/interrupt.hpp"
#include "operations/after_run.hpp"
#include "render.hpp"

namespace hostctl::cli {
namespace {

// One line on stderr, redrawn in place: lanes done, then what each busy host
// is doing and how far its task says it is ("web1: install/fetch 3/10").
class ProgressLine {
 public:
  void lanes(size_t done, size_t total) {
    std::lock_guard lock(mutex_);
    done_ = done;
    total_ = total;
    draw();
    if (done == total && total > 0) std::fputc('\n', stderr);
  }

  void activity(const std::string& host, const std::string& task, const std::string& step) {
    std::lock_guard lock(mutex_);
    if (task.empty()) hosts_.erase(host);
    else hosts_[host] = step.empty() ? task : task + " " + step;
    draw();
  }

 private:
  void draw() {
    std::string text = fmt::format("hostctl: {}/{} done", done_, total_);
    for (const auto& [host, doing] : hosts_) text += fmt::format(" · {}: {}", host, doing);
    winsize ws{};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1) text = shorten(text, ws.ws_col - 1);
    std::fprintf(stderr, "\r\033[K%s", text.c_str());
    std::fflush(stderr);
  }

  std::mutex mutex_;
  std::map<std::string, std::string> hosts_;
  size_t done_ = 0, total_ = 0;
};

}  // namespace

run::RunOptions run_options(Context& ctx, bool accept_new_key) {
  run::RunOptions o;
  o.jobs = static_cast<int>(ctx.settings.integer("jobs"));
  o.connect.known_hosts = ctx.settings.get("known_hosts");
  o.connect.ssh_config = ctx.settings.get("ssh_config");
  o.connect.connect_timeout = ctx.settings.seconds("connect_timeout");
  o.connect.accept_new_key = accept_new_key;
  o.cancel = &interrupt_flag();
  // A progress line for people watching a terminal; never in pipes or logs.
  if (ctx.stderr_tty && !ctx.quiet && !ctx.verbose) {
    auto line = std::make_shared<ProgressLine>();
    o.progress = [line](size_t done, size_t total) { line->lanes(done, total); };
    o.activity = [line](const std::string& host, const std::string& task, const std::string& step) {
      line->activity(host, task, step);
    };
  }
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
  // A retry helps only once what stopped it can change by itself (not a host key).
  std::string hint = summary.retryable ? fmt::format("'hostctl task log {0}' shows the whole log; 'hostctl task "
                                                     "retry {0}' resumes at the failed step",
                                                     summary.command_id)
                                       : fmt::format("'hostctl task log {}' shows the whole log", summary.command_id);
  if (!summary.hint.empty()) hint = summary.hint + "; " + hint;
  return Error(run::failure_kind(summary), report, hint);
}

}  // namespace hostctl::cli

namespace hostctl::cli {

run::Ops make_ops(Context& ctx) {
  run::Ops ops{ctx.catalog(), run_options(ctx)};
  ops.after_run = &operations::after_run_table();
  ops.min_free_kb = ctx.settings.integer("min_free_kb");
  ops.tls = {ctx.settings.get("acme_directory"), ctx.settings.get("acme_email"), ctx.settings.get("acme_ca_bundle"),
             ctx.settings.integer("acme_renew_days")};
  ops.say = [&ctx](const std::string& message) { ctx.info(message); };
  return ops;
}

std::optional<Error> remote_error(const Failure& error) {
  if (!error || !error->hint().empty()) return error;
  return Error(error->kind(), error->what(), "'hostctl task list' and 'hostctl task log ID' show what ran");
}

}  // namespace hostctl::cli
