// queue run [tasks|cron|backup|stats|certs|all]
#include <fmt/format.h>

#include "command.hpp"
#include "queue/queue.hpp"
#include "run_support.hpp"

namespace hostctl::cli {
namespace {

Output run(Context& ctx, const Args& a) {
  std::string which = a.opt("QUEUE").value_or("all");
  std::vector<std::string> names;
  if (which == "all") names = queue::queue_names();
  else names = {which};
  for (const auto& n : names) {
    const auto& known = queue::queue_names();
    if (std::find(known.begin(), known.end(), n) == known.end())
      throw Error(ErrorKind::Usage, fmt::format("unknown queue '{}'", n), "queues: tasks, cron, backup, stats, certs, all");
  }
  bool for_cron = !ctx.stdout_tty && ctx.settings.entry("output").origin == "default" && ctx.field.empty();
  if (for_cron) ctx.quiet = true;
  auto ops = make_ops(ctx);
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  std::vector<int64_t> failed;
  for (const auto& n : names) {
    auto r = queue::run_queue(ops, n, ctx.settings.get("notify_command"));
    if (r.skipped) ctx.info(fmt::format("queue {}: still running from an earlier run; skipped", n));
    rows.push_back({{"queue", r.queue}, {"skipped", r.skipped}, {"ran", r.ran}, {"failed", r.failed}});
    failed.insert(failed.end(), r.failed.begin(), r.failed.end());
  }
  Output out{rows, {}};
  if (!failed.empty()) {
    std::string ids;
    for (auto id : failed) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
    out.error = Error(ErrorKind::RemoteFailed, fmt::format("{} queued command(s) failed: {}", failed.size(), ids),
                      "'hostctl task show ID' and 'hostctl task log ID' say why; 'hostctl task retry ID' runs one again");
  } else if (for_cron) {
    out.data = nullptr;
  }
  return out;
}

}  // namespace

void add_queue_commands(std::vector<Command>& t) {
  t.push_back({"queue run",
               "run the queues (for cron every minute): queued --async commands, site cron, scheduled backups, stats",
               {{"QUEUE", "tasks, cron, backup, stats, certs or all (default all)", false, false, Complete::None}},
               {},
               kCatalog | kMutates | kDryRun,
               run});
}

}  // namespace hostctl::cli
