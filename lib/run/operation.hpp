// One recorded operation, run one way: the first run, `task retry` and
// `queue run tasks` all go through execute(), which runs a command's tasks and
// then its after-run step, chosen by the command's action from one table.
// The table is built above this level (lib/operations) and handed in through
// Ops, so the work after a run (settle statuses, rename, record a backup,
// queue the next step) is the same whichever way the command was started.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "catalog/catalog.hpp"
#include "core/error.hpp"
#include "run/command.hpp"
#include "run/runner.hpp"

namespace hostctl::run {

struct Ops;

struct AfterRun {
  // Why the command no longer applies (say, its deployment was removed while it
  // waited in the queue); empty when it does. A stale command is not run.
  std::function<std::string(Ops&, const CommandView&)> stale;
  // The work after the tasks ran (or were cancelled before they ran); an error
  // when that work itself failed.
  std::function<std::optional<Error>(Ops&, const CommandView&)> after;
};
using AfterRunTable = std::map<std::string, AfterRun, std::less<>>;

// Where certificates come from and how HTTPS checks trust them (settings acme_*).
struct TlsSettings {
  std::string acme_directory, acme_email;
  std::string ca_bundle;   // PEM file on the control node; "" : the system's CAs
  int64_t renew_days = 30;
};

// What every recorded operation needs: the catalog, how to run commands, the
// after-run table, and a way to tell the operator what is happening (lib never
// prints itself).
struct Ops {
  catalog::Catalog& catalog;
  RunOptions run;
  int64_t min_free_kb = 10240;  // pre-flight: refuse install/clone/backup/restore below this
  TlsSettings tls{};
  std::function<void(const std::string&)> say = [](const std::string&) {};
  const AfterRunTable* after_run = nullptr;
};

// Runs a recorded command (new, claimed from the queue, or claimed for retry)
// and then its after-run step. A command that no longer applies is not run:
// its summary says REMOVED, with the reason as its error.
RunSummary execute(Ops& ops, int64_t command_id);

// task cancel: a queued command is failed at once and its after-run step runs
// (so its deployment does not stay PENDING); a running one is signalled.
int cancel(Ops& ops, int64_t command_id);

}  // namespace hostctl::run
