#include "exec/directive.hpp"
#include "run/runner.hpp"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <condition_variable>
#include <exception>
#include <thread>

#include "core/error.hpp"
#include "run/command.hpp"
#include "exec/wrapper.hpp"
#include "run/recorder.hpp"
#include "secrets/secrets.hpp"

namespace hostctl::run {
namespace {

struct Step {
  int64_t id = 0;
  std::string name, script, rollback;
  int64_t timeout = 300;
  Env env;
  std::vector<std::string> secrets;  // values never written to a log or a terminal
  int status = 0;
  std::optional<int64_t> deployment_id;
  std::optional<exec::Endpoint> copy_host;  // a file to copy here first (TaskSpec::copy_*)
  std::string copy_from, copy_to;
  // The step's own host. A lane's steps run in order, most on the lane's host;
  // a step on another (a database server's) runs on a session opened to it.
  exec::Endpoint endpoint;
  bool host_missing = false;
};

// Opens the sealed values of the variables that kSecretsVariable names, and
// returns them, to be masked in every line the task prints.
std::vector<std::string> open_secrets(catalog::Catalog& catalog, Env& env) {
  std::string names = secret_names(env);
  std::vector<std::string> values;
  for (auto& [k, v] : env) {
    if (v.empty() || !is_secret(names, k)) continue;
    if (secrets::is_sealed(v)) v = secrets::unseal(catalog, v);
    values.push_back(v);
  }
  return values;
}

// A task that prints its secret (set -x, a debug echo) must not leak it into the log.
std::string masked(std::string_view text, const std::vector<std::string>& secrets) {
  std::string out(text);
  for (const auto& secret : secrets)
    for (size_t at = 0; (at = out.find(secret, at)) != std::string::npos; at += 8) out.replace(at, secret.size(), "********");
  return out;
}

struct Lane {
  exec::Endpoint endpoint;
  bool host_missing = false;
  std::vector<Step> steps;
};

std::map<int, Lane> load_lanes(catalog::Catalog& catalog, int64_t command_id) {
  catalog::Statement q(catalog.db(),
                       "SELECT t.id, t.lane, t.name, t.script, t.rollback, t.env, t.timeout, t.status, "
                       "t.deployment_id, t.host_name, h.id, h.transport, h.address, h.port, h.login_user, "
                       "h.identity_file, c.name, c.transport, c.address, c.port, c.login_user, c.identity_file, "
                       "coalesce(t.copy_from, ''), coalesce(t.copy_to, ''), t.copy_host_id IS NOT NULL "
                       "FROM task t LEFT JOIN host h ON h.id = t.host_id LEFT JOIN host c ON c.id = t.copy_host_id "
                       "WHERE t.command_id = ? ORDER BY t.lane, t.seq");
  q.bind(1, command_id);
  std::map<int, Lane> lanes;
  while (q.executeStep()) {
    Lane& lane = lanes[q.getColumn(1).getInt()];
    Step s;
    s.id = q.getColumn(0).getInt64();
    s.name = q.getColumn(2).getString();
    s.script = q.getColumn(3).getString();
    s.rollback = q.getColumn(4).getString();
    s.env = nlohmann::json::parse(q.getColumn(5).getString()).get<Env>();
    s.secrets = open_secrets(catalog, s.env);
    s.timeout = q.getColumn(6).getInt64();
    s.status = q.getColumn(7).getInt();
    if (!q.getColumn(8).isNull()) s.deployment_id = q.getColumn(8).getInt64();
    if (q.getColumn(24).getInt() != 0) {
      // A copy whose source host was removed keeps an empty endpoint: it fails, naming that.
      s.copy_host = exec::Endpoint{q.getColumn(16).getString(), q.getColumn(17).getString(),
                                   q.getColumn(18).getString(), q.getColumn(19).getInt(),
                                   q.getColumn(20).getString(), q.getColumn(21).getString()};
      s.copy_from = q.getColumn(22).getString();
      s.copy_to = q.getColumn(23).getString();
    }
    s.endpoint.name = q.getColumn(9).getString();
    s.host_missing = q.getColumn(10).isNull();
    if (!s.host_missing) {
      s.endpoint.transport = q.getColumn(11).getString();
      s.endpoint.address = q.getColumn(12).getString();
      s.endpoint.port = q.getColumn(13).getInt();
      s.endpoint.user = q.getColumn(14).getString();
      s.endpoint.identity_file = q.getColumn(15).getString();
    }
    if (lane.steps.empty()) {
      lane.endpoint = s.endpoint;
      lane.host_missing = s.host_missing;
    }
    lane.steps.push_back(std::move(s));
  }
  return lanes;
}

std::string describe(const exec::Outcome& o, int64_t timeout) {
  if (!o.lost.empty()) return o.lost;
  if (o.cancelled) return "cancelled";
  if (o.timed_out) return fmt::format("timed out after {}s and was stopped", timeout);
  if (o.exit_code == exec::kWrapperFailed) return "the wrapper could not start the task (exit 125: no temporary file?)";
  return fmt::format("exit code {}", o.exit_code);
}

class LaneRunner {
 public:
  LaneRunner(Recorder& rec, const RunOptions& options, std::atomic<bool>& cancel, RunSummary& summary,
             std::mutex& summary_mutex)
      : rec_(rec), options_(options), cancel_(cancel), summary_(summary), summary_mutex_(summary_mutex) {}

  void run(Lane& lane) {
    if (lane.host_missing) return fail_lane(lane, "its host was removed from the catalog", "", false);
    Sessions sessions;
    try {
      sessions[lane.endpoint.name] = open(lane.endpoint);
    } catch (const Error& e) {
      return fail_lane(lane, e.what(), e.hint(), e.retryable());
    }
    for (size_t i = 0; i < lane.steps.size(); ++i) {
      Step& step = lane.steps[i];
      if (step.status == kCompleted) continue;
      if (cancel_) {
        rec_.note(step.id, "hostctl: not started: the command was cancelled");
        return;
      }
      rec_.task_started(step.id);
      tell(step, "");
      exec::Session* session = nullptr;
      try {
        session = &session_for(sessions, step);
      } catch (const Error& e) {
        rec_.note(step.id, std::string("hostctl: ") + e.what());
        rec_.task_finished(step.id, kFailed, std::nullopt, e.what());
        record_failure(step, e.what(), true);
        return;
      }
      auto sink = [&](exec::Stream s, std::string_view raw) {
        std::string text = masked(raw, step.secrets);
        rec_.line(step.id, step.deployment_id, s, text);
        if (options_.echo) options_.echo(step.endpoint.name, step.name, s, text);
        if (options_.activity && s == exec::Stream::Out && text.rfind("@hostctl progress ", 0) == 0) {
          std::string problem;
          if (auto d = exec::parse_directive(text, problem)) tell(step, d->value);
        }
      };
      if (step.copy_host) {
        if (auto failed = copy_in(*session, step)) {
          rec_.task_finished(step.id, kFailed, std::nullopt, failed->what());
          record_failure(step, failed->what(), failed->kind() == ErrorKind::Unreachable);
          return;
        }
      }
      exec::Outcome o = session->run({step.script, step.env, step.timeout}, sink, cancel_);
      bool ok = o.exit_code == 0 && o.lost.empty() && !o.cancelled && !o.timed_out;
      std::string error = ok ? "" : describe(o, step.timeout);
      rec_.task_finished(step.id, ok ? kCompleted : kFailed,
                         o.exit_code >= 0 ? std::optional<int>(o.exit_code) : std::nullopt, error);
      if (ok) {
        step.status = kCompleted;
        count(&RunSummary::completed);
        continue;
      }
      record_failure(step, error, !o.lost.empty());
      if (o.lost.empty()) roll_back(sessions, lane, i);
      return;
    }
  }

 private:
  using Sessions = std::map<std::string, std::unique_ptr<exec::Session>>;

  void tell(const Step& step, const std::string& progress) {
    if (options_.activity) options_.activity(step.endpoint.name, step.name, progress);
  }

  std::unique_ptr<exec::Session> open(const exec::Endpoint& endpoint) {
    return options_.connector ? options_.connector(endpoint, options_.connect)
                              : exec::connect(endpoint, options_.connect);
  }

  // The session to the step's host, opened the first time a step needs it.
  exec::Session& session_for(Sessions& sessions, const Step& step) {
    if (step.host_missing) throw Error(ErrorKind::Unreachable, "its host was removed from the catalog");
    auto& session = sessions[step.endpoint.name];
    if (!session) session = open(step.endpoint);
    return *session;
  }

  // Streams the step's file from its source host into this lane's host, chunk
  // by chunk through both open sessions; nothing passes through the catalog.
  Failure copy_in(exec::Session& session, const Step& step) {
    try {
      if (step.copy_host->name.empty())
        return Error(ErrorKind::Unreachable, "the host to copy from was removed from the catalog");
      auto source = open(*step.copy_host);
      auto reader = source->open_file(step.copy_from);
      int64_t bytes = session.write_file(step.copy_to, *reader, cancel_);
      rec_.note(step.id, fmt::format("hostctl: copied {} bytes from {}:{} to {}:{}", bytes, step.copy_host->name,
                                     step.copy_from, step.endpoint.name, step.copy_to));
      return std::nullopt;
    } catch (const Error& e) {
      rec_.note(step.id, std::string("hostctl: copy failed: ") + e.what());
      return e;
    }
  }

  void count(int RunSummary::*field) {
    std::lock_guard lock(summary_mutex_);
    ++(summary_.*field);
  }

  void record_failure(const Step& step, const std::string& error, bool unreachable) {
    std::lock_guard lock(summary_mutex_);
    ++(unreachable ? summary_.unreachable : summary_.failed);
    if (summary_.error.empty()) {
      summary_.error = fmt::format("task '{}' on host '{}' failed: {}", step.name, step.endpoint.name, error);
      summary_.failed_task = step.id;
    }
  }

  // The lane's host could not be reached or trusted: none of its steps ran.
  void fail_lane(Lane& lane, const std::string& why, const std::string& hint, bool retryable) {
    for (Step& step : lane.steps) {
      if (step.status == kCompleted) continue;
      rec_.note(step.id, "hostctl: " + why);
      rec_.task_finished(step.id, kFailed, std::nullopt, why);
    }
    std::lock_guard lock(summary_mutex_);
    ++summary_.unreachable;
    summary_.retryable = summary_.retryable && retryable;
    if (summary_.error.empty() && !lane.steps.empty()) {
      summary_.error = fmt::format("host '{}': {}", lane.endpoint.name, why);
      summary_.hint = hint;
      summary_.failed_task = lane.steps.front().id;
    }
  }

  // Undoes the lane's completed steps before `failed`, newest first. An undone
  // step goes back to INITIATED so that a retry does it again.
  void roll_back(Sessions& sessions, Lane& lane, size_t failed) {
    std::atomic<bool> never{false};
    for (size_t j = failed; j-- > 0;) {
      Step& step = lane.steps[j];
      if (step.status != kCompleted || step.rollback.empty()) continue;
      rec_.note(step.id, fmt::format("hostctl: rolling back '{}' because '{}' failed", step.name,
                                     lane.steps[failed].name));
      auto sink = [&](exec::Stream s, std::string_view text) {
        rec_.line(step.id, std::nullopt, s, masked(text, step.secrets));
      };
      auto found = sessions.find(step.endpoint.name);
      if (found == sessions.end()) continue;  // never opened: the step did not run here
      exec::Outcome o = found->second->run({step.rollback, step.env, step.timeout}, sink, never);
      if (o.exit_code == 0 && o.lost.empty()) {
        rec_.note(step.id, "hostctl: rolled back");
        rec_.task_reset(step.id);
        step.status = kInitiated;
      } else {
        rec_.note(step.id, "hostctl: rollback failed: " + describe(o, step.timeout));
      }
    }
  }

  Recorder& rec_;
  const RunOptions& options_;
  std::atomic<bool>& cancel_;
  RunSummary& summary_;
  std::mutex& summary_mutex_;
};

}  // namespace

ErrorKind failure_kind(const RunSummary& summary) {
  if (summary.cancelled) return ErrorKind::Interrupted;
  return summary.failed > 0 ? ErrorKind::RemoteFailed : ErrorKind::Unreachable;
}

RunSummary run_command(catalog::Catalog& catalog, int64_t command_id, const RunOptions& options) {
  RunSummary summary;
  summary.command_id = command_id;
  std::map<int, Lane> lanes = load_lanes(catalog, command_id);
  Recorder rec(catalog);
  if (catalog.dry_run()) {
    // Nothing runs on a host. Each step is recorded as done (inside the dry
    // run's transaction), so what follows plans as if it had worked.
    for (auto& [_, lane] : lanes)
      for (Step& s : lane.steps) {
        if (s.status == kCompleted) continue;
        rec.note(s.id, "dry run: not run");
        rec.task_finished(s.id, kCompleted, 0, "");
        s.status = kCompleted;
        catalog.note_dry_run_change(fmt::format("would run on {}: {}", s.endpoint.name, s.name));
      }
    rec.command_finished(command_id, kCompleted, "");
    summary.status = kCompleted;
    return summary;
  }
  std::atomic<bool> cancel{false};
  std::mutex summary_mutex;
  LaneRunner runner(rec, options, cancel, summary, summary_mutex);

  std::vector<Lane*> queue;
  for (auto& [_, lane] : lanes) queue.push_back(&lane);
  std::atomic<size_t> next{0};
  bool done = false;
  std::mutex done_mutex;
  std::condition_variable done_cv;
  // Forwards an outside cancel (signal, 'task cancel') to the lanes; woken at once when the lanes end.
  // An exception in a lane (the catalog busy past its limit, say) must not end
  // the process with threads still running: the first is kept, every lane is
  // stopped and joined, then it is thrown here.
  std::exception_ptr thrown;
  std::mutex thrown_mutex;
  auto keep = [&](std::exception_ptr e) {
    std::lock_guard lock(thrown_mutex);
    if (!thrown) thrown = e;
    cancel = true;
  };
  // It also renews this node's lease on the command every third of a lease,
  // so other nodes know it is alive.
  const auto renew_every = std::chrono::seconds(std::max<int64_t>(catalog.actor().lease_seconds / 3, 1));
  std::thread watcher([&] {
    int ticks = 0;
    auto renewed = std::chrono::steady_clock::now();
    std::unique_lock lock(done_mutex);
    while (!done_cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return done; })) {
      try {
        if ((options.cancel && options.cancel->load()) || (++ticks % 10 == 0 && rec.cancel_requested(command_id)))
          cancel = true;
        if (std::chrono::steady_clock::now() - renewed >= renew_every) {
          rec.renew_lease(command_id);
          renewed = std::chrono::steady_clock::now();
        }
      } catch (...) {
        // A busy catalog only delays noticing a 'task cancel' (a signal still
        // gets through) or a renewal (tried again at the next tick).
      }
    }
  });
  std::atomic<size_t> finished{0};
  std::mutex progress_mutex;
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < queue.size();) {
      try {
        runner.run(*queue[i]);
      } catch (...) {
        keep(std::current_exception());
      }
      size_t n = ++finished;
      if (options.activity) options.activity(queue[i]->endpoint.name, "", "");
      if (options.progress) {
        std::lock_guard lock(progress_mutex);
        options.progress(n, queue.size());
      }
    }
  };
  if (options.progress && !queue.empty()) options.progress(0, queue.size());
  size_t n = std::min<size_t>(std::max(options.jobs, 1), queue.size());
  std::vector<std::thread> threads;
  for (size_t i = 1; i < n; ++i) threads.emplace_back(worker);
  if (n > 0) worker();
  for (auto& t : threads) t.join();
  {
    std::lock_guard lock(done_mutex);
    done = true;
  }
  done_cv.notify_all();
  watcher.join();
  if (thrown) std::rethrow_exception(thrown);

  summary.cancelled = cancel.load();
  bool all_done = true;
  for (auto& [_, lane] : lanes)
    for (const Step& s : lane.steps) all_done = all_done && s.status == kCompleted;
  summary.status = all_done && !summary.cancelled ? kCompleted : kFailed;
  if (summary.cancelled && summary.error.empty()) summary.error = "cancelled";
  else if (summary.cancelled) summary.error = "cancelled; " + summary.error;
  rec.command_finished(command_id, summary.status, summary.status == kCompleted ? "" : summary.error);
  return summary;
}

}  // namespace hostctl::run
