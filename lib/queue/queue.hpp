// The queues cron drives every minute (Aegir's task, cron, backup and
// statistics queues, and certificate renewal). Each queue has its own lease, an flock beside the
// catalog: a queue still running from the last minute is skipped, not doubled.
#pragma once

#include <string>
#include <vector>

#include "run/operation.hpp"

namespace hostctl::queue {

struct Report {
  std::string queue;
  bool skipped = false;  // its lease was held by another run
  int ran = 0;           // commands (tasks), or sites (cron, backup, stats)
  std::vector<int64_t> failed;  // failed command ids
};

const std::vector<std::string>& queue_names();  // tasks, cron, backup, stats, certs

// Runs one queue under its lease. `notify_command`, when set, receives each
// failed command as JSON on stdin.
Report run_queue(run::Ops& ops, const std::string& name, const std::string& notify_command);

// Sites whose `kind` (cron, backup, stats) is due at `now`, by their service's schedule.
std::vector<int64_t> due_sites(catalog::Catalog& catalog, const std::string& kind, int64_t now);

}  // namespace hostctl::queue
