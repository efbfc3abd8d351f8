// Runs a recorded command: its lanes in parallel (at most `jobs` at once), the
// tasks of a lane in order on one session to its host. Each task is recorded
// as started before it runs and finished after; output lines stream into the
// task log; @hostctl directives are recorded. A failed task stops its lane and
// runs the rollbacks of the lane's earlier tasks, newest first.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "catalog/catalog.hpp"
#include "core/error.hpp"
#include "exec/session.hpp"

namespace hostctl::run {

struct RunOptions {
  int jobs = 8;
  exec::ConnectOptions connect;
  // Opens a session to a host; empty means exec::connect (libssh or local).
  // Unit tests put a recording executor here.
  std::function<std::unique_ptr<exec::Session>(const exec::Endpoint&, const exec::ConnectOptions&)> connector;
  const std::atomic<bool>* cancel = nullptr;
  // Sees each output line as it arrives (for --verbose); may be empty.
  std::function<void(const std::string& host, const std::string& task, exec::Stream, std::string_view)> echo;
  // Told each time a lane (a host's or a copy's work) ends: lanes done, lanes in all.
  std::function<void(size_t done, size_t total)> progress;
  // Told what a host is doing, for a live display: a task starting (step
  // empty), each "@hostctl progress N/M" it prints (step "N/M"), and its lane
  // ending (task empty).
  std::function<void(const std::string& host, const std::string& task, const std::string& step)> activity;
};

struct RunSummary {
  int64_t command_id = 0;
  int status = 0;        // COMPLETED or FAILED
  bool cancelled = false;
  int completed = 0;     // tasks
  int failed = 0;        // tasks that ran and failed
  int unreachable = 0;   // lanes whose host could not be reached or trusted
  std::string error;     // the first failure, in words
  std::string hint;      // what to do about it, when known
  bool retryable = true; // false when a host's key or credentials must be fixed first
  int64_t failed_task = 0;
  // The after-run step's own failure (run::execute), e.g. a rename undone.
  std::optional<Error> after_error;
};

// What kind of failure a failed run is: interrupted (cancelled), a task that
// ran and failed, or a host that could not be reached or trusted.
ErrorKind failure_kind(const RunSummary& summary);

RunSummary run_command(catalog::Catalog& catalog, int64_t command_id, const RunOptions& options);

}  // namespace hostctl::run
