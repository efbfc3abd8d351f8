#include "reserve/reserve.hpp"

#include <fmt/format.h>

#include <ctime>
#include <map>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "lifecycle/deployment.hpp"
#include "lifecycle/site.hpp"
#include "run/command.hpp"
#include "service/store.hpp"

namespace hostctl::reserve {
namespace {

int minute_of(const std::string& hhmm) { return std::stoi(hhmm.substr(0, 2)) * 60 + std::stoi(hhmm.substr(3, 2)); }

int local_minute_now() {
  std::time_t t = static_cast<std::time_t>(now_epoch());
  std::tm tm{};
  localtime_r(&t, &tm);
  return tm.tm_hour * 60 + tm.tm_min;
}

}  // namespace

bool in_window(const std::string& window, int minute) {
  if (window.empty()) return true;
  int start = minute_of(window.substr(0, 5)), end = minute_of(window.substr(6, 5));
  if (start < end) return minute >= start && minute < end;
  return minute >= start || minute < end;  // crosses midnight
}

std::vector<ServiceState> status(catalog::Catalog& catalog, const std::vector<std::string>& services) {
  std::vector<service::Registered> chosen;
  if (services.empty()) {
    for (auto& s : service::list_services(catalog))
      if (s.plan.reserve.size > 0 || s.plan.reserve.minimum > 0) chosen.push_back(std::move(s));
  } else {
    for (const auto& name : services) chosen.push_back(service::get_service(catalog, name));
  }
  int64_t now = now_epoch();
  int minute = local_minute_now();
  std::vector<ServiceState> out;
  for (const auto& s : chosen) {
    ServiceState st;
    st.service = s.plan.name;
    st.size = s.plan.reserve.size;
    st.minimum = s.plan.reserve.minimum;
    st.max_age = s.plan.reserve.max_age;
    st.window = s.plan.reserve.window;
    st.window_open = in_window(st.window, minute);
    // A template site's last change (its active copy made ready): copies older than it expire.
    int64_t template_changed = 0;
    if (!s.plan.reserve.from_site.empty()) {
      catalog::Statement t(catalog.db(), "SELECT d.ready_at FROM site s JOIN deployment d ON d.site_id = s.id AND "
                                        "d.active = 1 WHERE s.name = ? AND d.ready_at IS NOT NULL");
      t.bind(1, s.plan.reserve.from_site);
      if (t.executeStep()) parse_utc(t.getColumn(0).getString(), template_changed);
    }
    catalog::Statement q(catalog.db(),
                         "SELECT name, status, coalesce(ready_at, created_at), service_version FROM deployment "
                         "WHERE service_id = ? AND reserve = 1 AND stage = 'provision' AND site_id IS NULL AND "
                         "client_id IS NULL ORDER BY id");
    q.bind(1, s.id);
    while (q.executeStep()) {
      int status = q.getColumn(1).getInt();
      int64_t ready_at = 0;
      parse_utc(q.getColumn(2).getString(), ready_at);
      if (status == run::kFailed) {
        st.failed.push_back(q.getColumn(0).getString());
      } else if (status == run::kCompleted) {
        int64_t age = now - ready_at;
        // A copy of an older plan version is never handed out: it goes as expired ones do.
        if (age > st.max_age || q.getColumn(3).getInt64() != s.plan.version || ready_at < template_changed) {
          st.expired.push_back(q.getColumn(0).getString());
        } else {
          ++st.ready;
          if (!st.oldest_age || age > *st.oldest_age) {
            st.oldest_age = age;
            st.next_expiry = format_utc(ready_at + st.max_age);
          }
        }
      } else {
        ++st.building;
      }
    }
    out.push_back(std::move(st));
  }
  return out;
}

std::vector<PlanRow> plan_refill(const std::vector<ServiceState>& states) {
  std::vector<PlanRow> plan;
  for (const auto& st : states) {
    PlanRow row{st, 0, {}, ""};
    // Half-made copies (failed, or left by a killed refill) are always cleaned.
    row.remove = st.failed;
    int64_t have = st.ready + st.building;
    if (st.window_open) {
      row.remove.insert(row.remove.end(), st.expired.begin(), st.expired.end());
      row.make = std::max<int64_t>(0, st.size - have);
      row.reason = row.make ? "inside the window: fill to size" : "full";
    } else {
      // Outside the window expired copies stay: they still count toward the minimum.
      have += static_cast<int64_t>(st.expired.size());
      row.make = std::max<int64_t>(0, st.minimum - have);
      row.reason = row.make ? "below the minimum: emergency refill" : "outside the window: minimum met";
    }
    plan.push_back(row);
  }
  return plan;
}

std::vector<PlanRow> plan_prune(const std::vector<ServiceState>& states) {
  std::vector<PlanRow> plan;
  for (const auto& st : states) {
    PlanRow row{st, 0, st.failed, "expired and failed copies"};
    row.remove.insert(row.remove.end(), st.expired.begin(), st.expired.end());
    plan.push_back(row);
  }
  return plan;
}

namespace {

run::RunSummary run_and_settle(run::Ops& ops, const run::CommandSpec& spec) {
  int64_t id = run::begin_command(ops.catalog, spec);
  ops.say(fmt::format("{} of '{}' (command {})", spec.action, spec.object_name, id));
  return run::execute(ops, id);
}

// One lane per deployment, so copies are made (or removed) in parallel.
void add_lane(run::CommandSpec& spec, std::vector<run::TaskSpec> tasks, int lane) {
  for (auto& t : tasks) {
    t.lane = lane;
    spec.tasks.push_back(std::move(t));
  }
}

// The template site's active deployment, for a plan with reserve.from_site;
// refused, saying why, when it cannot be cloned into the reserve.
lifecycle::Deployment template_of(catalog::Catalog& catalog, const service::Registered& service) {
  const std::string& name = service.plan.reserve.from_site;
  auto site = lifecycle::get_site(catalog, name);
  if (site.service_id != service.id)
    throw Error(ErrorKind::Refused, fmt::format("the reserve of '{}' is filled from site '{}', which runs another "
                                                "service ({})", service.plan.name, name, site.service));
  if (site.active_deployment.empty())
    throw Error(ErrorKind::Refused, fmt::format("the reserve of '{}' is filled from site '{}', which has no active "
                                                "deployment", service.plan.name, name));
  auto d = lifecycle::get_deployment(catalog, site.active_deployment);
  if (d.service_version != service.plan.version)
    throw Error(ErrorKind::Refused,
                fmt::format("the reserve of '{}' needs version {}, and its template site '{}' runs version {}",
                            service.plan.name, service.plan.version, name, d.service_version),
                fmt::format("hostctl site upgrade {}", name));
  if (!service.plan.actions.count("clone"))
    throw Error(ErrorKind::Refused, fmt::format("service '{}' has no clone action to fill its reserve from site '{}'",
                                                service.plan.name, name));
  return d;
}

void sort_by_status(run::Ops& ops, const std::vector<int64_t>& ids, int ok_status,
                    std::map<std::string, std::vector<std::string>>& ok, std::vector<std::string>& failed) {
  for (int64_t id : ids) {
    auto d = lifecycle::read_deployment(ops.catalog, id);
    if (d.status == ok_status) ok[d.service].push_back(d.name);
    else failed.push_back(d.name);
  }
}

}  // namespace

Outcome carry_out(run::Ops& ops, const std::vector<PlanRow>& plan) {
  Outcome out;
  out.plan = plan;
  for (const auto& row : plan) {
    if (!row.remove.empty()) {
      run::CommandSpec spec{"reserve prune", "service", row.state.service, {}};
      std::vector<int64_t> ids;
      lifecycle::ActionRequest request;
      request.actions = {"remove"};
      request.write_manifest = false;
      for (const auto& name : row.remove) {
        auto d = lifecycle::get_deployment(ops.catalog, name);
        ids.push_back(d.id);
        add_lane(spec, lifecycle::action_tasks(ops.catalog, d, request, ops.min_free_kb), static_cast<int>(ids.size()) - 1);
      }
      auto summary = run_and_settle(ops, spec);
      if (summary.status != run::kCompleted || summary.after_error) out.failure = summary;
      sort_by_status(ops, ids, run::kRemoved, out.removed, out.failed);
    }
    if (row.make > 0) {
      auto service = service::get_service(ops.catalog, row.state.service);
      lifecycle::ActionRequest request;
      request.actions = {"install", "verify"};
      request.stage_after = model::Stage::Provision;
      std::vector<model::Host> hosts;
      auto params = lifecycle::resolve_params(service.plan, {});
      std::optional<lifecycle::Deployment> source;
      if (service.plan.reserve.from_site.empty()) {
        hosts = lifecycle::place_copies(ops.catalog, service.plan, row.make);
      } else {
        // hosting_reserve's way: clones of the template, on its host (the clone
        // action copies from a path there), with its content and database.
        source = template_of(ops.catalog, service);
        auto host = model::get_host(ops.catalog, std::to_string(source->host_id));
        hosts.assign(static_cast<size_t>(row.make), host);
        params = source->params;
        request = lifecycle::clone_request(*source);
        request.actions.push_back("verify");
        request.stage_after = model::Stage::Provision;
      }
      std::vector<int64_t> ids;
      {
        catalog::Write write(ops.catalog, fmt::format("reserve refill {}: {} copies", service.plan.name, hosts.size()));
        for (const auto& host : hosts)
          ids.push_back(lifecycle::insert_deployment(ops.catalog, service, host, params, std::nullopt, std::nullopt,
                                                     model::Stage::Provision, "reserve",
                                                     source ? std::optional(source->id) : std::nullopt, true));
        write.commit();
      }
      run::CommandSpec spec{"reserve refill", "service", service.plan.name, {}};
      for (size_t i = 0; i < ids.size(); ++i)
        add_lane(spec, lifecycle::action_tasks(ops.catalog, lifecycle::read_deployment(ops.catalog, ids[i]), request,
                                               ops.min_free_kb),
                 static_cast<int>(i));
      auto summary = run_and_settle(ops, spec);
      if (summary.status != run::kCompleted || summary.after_error) out.failure = summary;
      sort_by_status(ops, ids, run::kCompleted, out.made, out.failed);
    }
  }
  return out;
}

nlohmann::ordered_json to_json(const PlanRow& row) {
  const auto& st = row.state;
  nlohmann::ordered_json j;
  j["service"] = st.service;
  j["size"] = st.size;
  j["minimum"] = st.minimum;
  j["max_age"] = st.max_age;
  j["window"] = st.window;
  j["window_open"] = st.window_open;
  j["ready"] = st.ready;
  j["building"] = st.building;
  j["expired"] = st.expired;
  j["failed"] = st.failed;
  j["under_minimum"] = st.under_minimum();
  j["oldest_age"] = st.oldest_age ? nlohmann::ordered_json(*st.oldest_age) : nullptr;
  j["next_expiry"] = st.next_expiry ? nlohmann::ordered_json(*st.next_expiry) : nullptr;
  j["make"] = row.make;
  j["remove"] = row.remove;
  j["reason"] = row.reason;
  return j;
}

}  // namespace hostctl::reserve
