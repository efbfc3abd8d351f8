#include "queue/queue.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <map>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/process.hpp"
#include "lifecycle/backup.hpp"
#include "lifecycle/deployment.hpp"
#include "lifecycle/site.hpp"
#include "routing/certificates.hpp"
#include "run/command.hpp"
#include "run/operation.hpp"

namespace hostctl::queue {
namespace {

int64_t interval_of(const service::Schedule& s, const std::string& kind) {
  return kind == "cron" ? s.cron : kind == "backup" ? s.backup : s.stats;
}

void mark_ran(catalog::Catalog& catalog, const std::vector<int64_t>& sites, const std::string& kind) {
  catalog::Write write(catalog, "");
  for (int64_t site : sites) {
    catalog::Statement st(catalog.db(), "INSERT INTO schedule_run(site_id, kind, last_at) VALUES (?, ?, ?) "
                                       "ON CONFLICT (site_id, kind) DO UPDATE SET last_at = excluded.last_at");
    st.bind(1, site);
    st.bind(2, kind);
    st.bind(3, now_utc());
    st.exec();
  }
  write.commit();
}

// The command as `task show -o json` gives it, and a "failures" list that a
// pager can read without the catalog: each failed step with its site,
// deployment, host, exit code and last log lines.
nlohmann::ordered_json notice(catalog::Catalog& catalog, int64_t command_id) {
  auto command = run::get_command(catalog, command_id);
  auto j = run::to_json(command, true);
  j["failures"] = nlohmann::ordered_json::array();
  for (const auto& t : command.tasks) {
    if (t.status != run::kFailed) continue;
    nlohmann::ordered_json f;
    std::string site, deployment;
    if (t.deployment_id) {
      catalog::Statement q(catalog.db(), "SELECT d.name, coalesce(s.name, '') FROM deployment d "
                                        "LEFT JOIN site s ON s.id = d.site_id WHERE d.id = ?");
      q.bind(1, *t.deployment_id);
      if (q.executeStep()) {
        deployment = q.getColumn(0).getString();
        site = q.getColumn(1).getString();
      }
    }
    f["site"] = site.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(site);
    f["deployment"] = deployment.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(deployment);
    f["host"] = t.host_name;
    f["step"] = t.name;
    f["exit_code"] = t.exit_code ? nlohmann::ordered_json(*t.exit_code) : nullptr;
    f["error"] = t.error;
    f["log"] = run::tail_of_task(catalog, t.id, 10);
    j["failures"].push_back(f);
  }
  return j;
}

void notify(const std::string& notify_command, catalog::Catalog& catalog, int64_t command_id) {
  if (notify_command.empty()) return;
  std::string json = notice(catalog, command_id).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  // The operator's own command from their configuration, run like cron would.
  if (FILE* pipe = ::popen(notify_command.c_str(), "w")) {
    std::fwrite(json.data(), 1, json.size(), pipe);
    ::pclose(pipe);
  }
}

// Runs `action` on the active deployments of `sites`, one lane each, in one command.
void run_site_action(run::Ops& ops, const std::vector<int64_t>& sites, const std::string& action,
                     Report& report) {
  run::CommandSpec spec{"queue " + action, "queue", action, {}};
  lifecycle::ActionRequest request;
  request.actions = {action};
  request.write_manifest = false;
  int lane = 0;
  for (int64_t site_id : sites) {
    auto site = lifecycle::get_site(ops.catalog, std::to_string(site_id));
    auto tasks = lifecycle::action_tasks(ops.catalog, lifecycle::get_deployment(ops.catalog, site.active_deployment),
                                         request, ops.min_free_kb);
    for (auto& t : tasks) {
      t.lane = lane;
      spec.tasks.push_back(t);
    }
    ++lane;
  }
  report.ran = lane;
  if (spec.tasks.empty()) return;
  auto summary = run::execute(ops, run::begin_command(ops.catalog, spec));
  if (summary.status != run::kCompleted) report.failed.push_back(summary.command_id);
}

}  // namespace

const std::vector<std::string>& queue_names() {
  static const std::vector<std::string> names = {"tasks", "cron", "backup", "stats", "certs"};
  return names;
}

std::vector<int64_t> due_sites(catalog::Catalog& catalog, const std::string& kind, int64_t now) {
  std::vector<int64_t> due;
  catalog::Statement q(catalog.db(),
                       "SELECT s.id, s.service_id, r.last_at FROM site s JOIN deployment d ON d.site_id = s.id AND "
                       "d.active = 1 AND d.status = 5 LEFT JOIN schedule_run r ON r.site_id = s.id AND r.kind = ? "
                       "WHERE s.enabled = 1 ORDER BY s.id");
  q.bind(1, kind);
  std::map<int64_t, service::Schedule> schedules;
  while (q.executeStep()) {
    int64_t service_id = q.getColumn(1).getInt64();
    if (!schedules.count(service_id))
      schedules[service_id] = service::get_service(catalog, std::to_string(service_id)).plan.schedule;
    int64_t every = interval_of(schedules[service_id], kind);
    if (every <= 0) continue;
    int64_t last = 0;
    if (!q.getColumn(2).isNull()) parse_utc(q.getColumn(2).getString(), last);
    if (q.getColumn(2).isNull() || now - last >= every) due.push_back(q.getColumn(0).getInt64());
  }
  return due;
}

Report run_queue(run::Ops& ops, const std::string& name, const std::string& notify_command) {
  Report report;
  report.queue = name;
  auto holder = [&](const std::string& what) {
    return fmt::format("queue {} run by pid {} on node {}", what, self_process().pid, ops.catalog.actor().node);
  };
  // Queued commands are claimed one at a time (passing over rows another
  // worker holds), so workers on any number of nodes drain the tasks queue
  // together; every other queue picks its sites first, and runs under a lease.
  catalog::Lock lease(ops.catalog, "queue-" + name);
  if (name != "tasks" && !lease.try_acquire(holder(name))) {
    report.skipped = true;
    return report;
  }
  run::reconcile_interrupted(ops.catalog);
  if (name == "tasks") {
    // Commands queued with --async, oldest first; at most 100 a run so a minute's cron ends.
    for (int i = 0; i < 100; ++i) {
      auto id = run::claim_queued(ops.catalog);
      if (!id) break;
      auto summary = run::execute(ops, *id);
      if (summary.status == run::kRemoved) ops.say(fmt::format("command {} was not run: {}", *id, summary.error));
      if (summary.after_error) ops.say(summary.after_error->what());
      ++report.ran;
      if (summary.status == run::kFailed || summary.after_error) report.failed.push_back(*id);
    }
    // Then the sites' records that changes left behind, so a lost catalog can
    // be rebuilt: one worker at a time writes them.
    if (lease.try_acquire(holder("tasks (site records)")))
      for (int64_t id : lifecycle::write_due_records(ops)) report.failed.push_back(id);
  } else if (name == "backup") {
    auto sites = due_sites(ops.catalog, "backup", now_epoch());
    for (int64_t site : sites) {
      auto r = lifecycle::backup_site(ops, std::to_string(site));
      ++report.ran;
      if (r.summary.status != run::kCompleted) report.failed.push_back(r.summary.command_id);
    }
    mark_ran(ops.catalog, sites, "backup");
  } else if (name == "cron" || name == "stats") {
    auto sites = due_sites(ops.catalog, name, now_epoch());
    run_site_action(ops, sites, name, report);
    mark_ran(ops.catalog, sites, name);
  } else if (name == "certs") {
    auto failed = routing::renew_due(ops, report.ran);
    report.failed.insert(report.failed.end(), failed.begin(), failed.end());
  } else {
    throw Error(ErrorKind::Usage, fmt::format("unknown queue '{}'", name),
                "queues: tasks, cron, backup, stats, certs, all");
  }
  for (int64_t id : report.failed) notify(notify_command, ops.catalog, id);
  return report;
}

}  // namespace hostctl::queue
