// Runs a recorded command: its lanes in parallel (at most `jobs` at once), the
// tasks of a lane in order on one session to its host. Each task is recorded
// as started before it runs and finished after; output lines stream into the
// task log; @hostctl directives are recorded. A failed task stops its lane and
// runs the rollbacks of the lane's earlier tasks, newest first.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "catalog/catalog.hpp"
#include "exec/session.hpp"

namespace hostctl::run {

struct RunOptions {
  int jobs = 8;
  exec::ConnectOptions connect;
  const std::atomic<bool>* cancel = nullptr;
  // Sees each output line as it arrives (for --verbose); may be empty.
  std::function<void(const std::string& host, const std::string& task, exec::Stream, std::string_view)> echo;
  // Told each time a lane (a host's or a copy's work) ends: lanes done, lanes in all.
  std::function<void(size_t done, size_t total)> progress;
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
  int64_t failed_task = 0;
};

RunSummary run_command(catalog::Catalog& catalog, int64_t command_id, const RunOptions& options);

}  // namespace hostctl::run
