// The queues cron drives every minute (Aegir's task, cron, backup and
// statistics queues, and certificate renewal). Each queue but tasks has its
// own lease (catalog::Lock): a queue still running from the last minute, here
// or on another node, is skipped, not doubled. The tasks queue has workers on
// as many nodes as run it: each queued command is claimed by one.
#pragma once

#include <string>
#include <vector>

#include "run/operation.hpp"

namespace hostctl::queue {

struct Report {
  std::string queue;
  bool skipped = false;  // its lease was held by another run (never for tasks)
  int ran = 0;           // commands (tasks), or sites (cron, backup, stats)
  std::vector<int64_t> failed;  // failed command ids
};

const std::vector<std::string>& queue_names();  // tasks, cron, backup, stats, certs

// Runs one queue (under its lease, but for tasks). `notify_command`, when set, receives each
// failed command as JSON on stdin.
Report run_queue(run::Ops& ops, const std::string& name, const std::string& notify_command);

// Sites whose `kind` (cron, backup, stats) is due at `now`, by their service's schedule.
std::vector<int64_t> due_sites(catalog::Catalog& catalog, const std::string& kind, int64_t now);

}  // namespace hostctl::queue
