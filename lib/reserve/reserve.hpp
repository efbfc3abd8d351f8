// The reserve (hosting_reserve, MWS preallocation): per service, ready copies
// made ahead so a new site goes live in a moment. `refill` keeps the minimum
// at any time, fills to size inside the window (which may cross midnight) and
// drops copies older than max_age there; copies count as ready only after
// their verify action passes.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "run/operation.hpp"

namespace hostctl::reserve {

// True when minute_of_day (0..1439, local time) is inside "HH:MM-HH:MM";
// an empty window is always open. A window such as 22:00-04:00 crosses midnight.
bool in_window(const std::string& window, int minute_of_day);

struct ServiceState {
  std::string service;
  int64_t size = 0, minimum = 0, max_age = 0;
  std::string window;
  bool window_open = false;
  int64_t ready = 0;     // provision, COMPLETED, unallocated
  int64_t building = 0;  // provision, still running
  std::vector<std::string> expired;  // ready but older than max_age
  std::vector<std::string> failed;   // provision copies whose install or verify failed
  std::optional<int64_t> oldest_age;
  std::optional<std::string> next_expiry;
  bool under_minimum() const { return ready < minimum; }
};

struct PlanRow {
  ServiceState state;
  int64_t make = 0;
  std::vector<std::string> remove;
  std::string reason;
};

std::vector<ServiceState> status(catalog::Catalog& catalog, const std::vector<std::string>& services);
std::vector<PlanRow> plan_refill(const std::vector<ServiceState>& states);
std::vector<PlanRow> plan_prune(const std::vector<ServiceState>& states);

struct Outcome {
  std::vector<PlanRow> plan;
  std::map<std::string, std::vector<std::string>> made, removed;  // by service
  std::vector<std::string> failed;
  bool changed() const { return !made.empty() || !removed.empty(); }
  std::optional<run::RunSummary> failure;
};
// Carries out a plan: removals, then new copies in parallel across hosts.
Outcome carry_out(run::Ops& ops, const std::vector<PlanRow>& plan);

nlohmann::ordered_json to_json(const PlanRow& row);

}  // namespace hostctl::reserve
