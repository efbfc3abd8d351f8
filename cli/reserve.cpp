// reserve refill|status|prune
#include <fmt/format.h>
#include <unistd.h>

#include "command.hpp"
#include "core/clock.hpp"
#include "core/process.hpp"
#include "model/validate.hpp"
#include "reserve/reserve.hpp"
#include "run_support.hpp"

namespace hostctl::cli {
namespace {

nlohmann::ordered_json rows_of(const std::vector<reserve::PlanRow>& plan, const reserve::Outcome* done) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& row : plan) {
    auto j = reserve::to_json(row);
    if (done) {
      auto of = [&](const std::map<std::string, std::vector<std::string>>& by) {
        auto it = by.find(row.state.service);
        return it == by.end() ? std::vector<std::string>{} : it->second;
      };
      j["made"] = of(done->made);
      j["removed"] = of(done->removed);
    }
    rows.push_back(std::move(j));
  }
  return rows;
}

const std::vector<std::string> kColumns = {"service", "ready", "building", "minimum", "size", "window", "window_open",
                                           "make", "remove", "reason"};

// One refill at a time per catalog, among every node that shares it; freed if the holder dies.
std::unique_ptr<catalog::Lock> take_lock(Context& ctx, const Args& a, const std::string& what) {
  auto lock = std::make_unique<catalog::Lock>(ctx.catalog(), "reserve");
  auto me = self_process();
  std::string holder = fmt::format("user {}, pid {} on node {}, since {}", ctx.actor().user, me.pid, ctx.actor().node, now_utc());
  bool ok = lock->try_acquire(holder);
  if (!ok && a.flag("wait")) {
    double seconds = 3600;
    if (auto v = a.opt("wait")) {
      int64_t n = 0;
      model::require(model::check_count(*v, n), "--wait seconds", *v);
      seconds = static_cast<double>(n);
    }
    ctx.info(fmt::format("waiting for the reserve lock, held by {}", lock->holder()));
    ok = lock->acquire_within(holder, seconds);
  }
  if (!ok)
    throw Error(ErrorKind::Busy, fmt::format("{} is already running ({})", what, lock->holder()),
                "add --wait[=SECONDS] to wait for it");
  return lock;
}

Output run_plan(Context& ctx, const Args& a, bool prune) {
  auto services = a.all("SERVICE");
  // For cron: nothing at all on success unless a person is looking or asked for a format.
  bool for_cron = !ctx.stdout_tty && ctx.settings.entry("output").origin == "default" && ctx.field.empty();
  if (for_cron) ctx.quiet = true;
  if (ctx.dry_run) {
    auto states = reserve::status(ctx.catalog(), services);
    return {rows_of(prune ? reserve::plan_prune(states) : reserve::plan_refill(states), nullptr), kColumns};
  }
  auto lock = take_lock(ctx, a, prune ? "reserve prune" : "reserve refill");
  run::reconcile_interrupted(ctx.catalog());  // a killed holder's half-made copies show as FAILED
  auto states = reserve::status(ctx.catalog(), services);
  auto plan = prune ? reserve::plan_prune(states) : reserve::plan_refill(states);
  auto ops = make_ops(ctx);
  auto done = reserve::carry_out(ops, plan);
  if (!done.changed()) ctx.info("nothing changed");
  for (const auto& [service, names] : done.made)
    ctx.info(fmt::format("made {} ready cop{} of '{}': {}", names.size(), names.size() == 1 ? "y" : "ies", service,
                         fmt::join(names, ", ")));
  for (const auto& [service, names] : done.removed)
    ctx.info(fmt::format("removed {} cop{} of '{}': {}", names.size(), names.size() == 1 ? "y" : "ies", service,
                         fmt::join(names, ", ")));
  // What was done, and the reserve it left: the plan alone would show the state before.
  Output out{rows_of(plan, &done), {"service", "reason", "made", "removed", "ready_after", "minimum", "size"}};
  for (auto& row : out.data) {
    auto after = reserve::status(ctx.catalog(), {row["service"].get<std::string>()});
    row["ready_after"] = after.empty() ? 0 : after.front().ready;
  }
  if (done.failure) out.error = outcome_error(ctx, *done.failure);
  if (!out.error && for_cron) out.data = nullptr;
  return out;
}

Output refill(Context& ctx, const Args& a) { return run_plan(ctx, a, false); }
Output prune(Context& ctx, const Args& a) { return run_plan(ctx, a, true); }

Output status(Context& ctx, const Args& a) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& st : reserve::status(ctx.catalog(), a.all("SERVICE"))) {
    auto j = reserve::to_json({st, 0, {}, ""});
    for (const char* k : {"make", "remove", "reason"}) j.erase(k);
    rows.push_back(std::move(j));
  }
  return {rows, {"service", "ready", "building", "minimum", "size", "under_minimum", "oldest_age", "next_expiry",
                 "window", "window_open"}};
}

}  // namespace

void add_reserve_commands(std::vector<Command>& t) {
  const Pos services{"SERVICE", "services (default: every service with a reserve)", false, true, Complete::Service};
  const Opt wait{"wait", "", "wait for a running refill, at most SECONDS (default 3600)", Opt::Optional, "SECONDS"};
  t.push_back({"reserve refill",
               "keep each reserve: the minimum at any time, full size inside the window, expired copies dropped there",
               {services}, {wait}, kCatalog | kMutates | kDryRun, refill});
  t.push_back({"reserve status", "ready copies per service, their ages, the next expiry, and whether under minimum",
               {services}, {}, kCatalog, status});
  t.push_back({"reserve prune", "remove expired and failed reserve copies now, whatever the time", {services}, {wait},
               kCatalog | kMutates | kDryRun, prune});
}

}  // namespace hostctl::cli
