#include <catch2/catch.hpp>

#include "reserve/reserve.hpp"

using namespace hostctl::reserve;

namespace {
int at(int h, int m) { return h * 60 + m; }

ServiceState state(int64_t ready, bool open, std::vector<std::string> expired = {}, std::vector<std::string> failed = {}) {
  ServiceState s;
  s.service = "svc";
  s.size = 5;
  s.minimum = 2;
  s.max_age = 23 * 3600;
  s.window = "01:00-05:00";
  s.window_open = open;
  s.ready = ready;
  s.expired = std::move(expired);
  s.failed = std::move(failed);
  return s;
}
}  // namespace

TEST_CASE("windows, including ones that cross midnight") {
  CHECK(in_window("", at(13, 0)));
  CHECK(in_window("01:00-05:00", at(1, 0)));
  CHECK(in_window("01:00-05:00", at(4, 59)));
  CHECK_FALSE(in_window("01:00-05:00", at(5, 0)));
  CHECK_FALSE(in_window("01:00-05:00", at(0, 59)));
  CHECK(in_window("22:00-04:00", at(23, 30)));
  CHECK(in_window("22:00-04:00", at(0, 0)));
  CHECK(in_window("22:00-04:00", at(3, 59)));
  CHECK_FALSE(in_window("22:00-04:00", at(4, 0)));
  CHECK_FALSE(in_window("22:00-04:00", at(12, 0)));
}

TEST_CASE("below the minimum, copies are made whatever the time") {
  auto plan = plan_refill({state(0, false)});
  CHECK(plan[0].make == 2);
  CHECK(plan[0].reason == "below the minimum: emergency refill");
}

TEST_CASE("inside the window the reserve fills to size and expired copies go") {
  auto plan = plan_refill({state(2, true, {"old-1"})});
  CHECK(plan[0].make == 3);
  CHECK(plan[0].remove == std::vector<std::string>{"old-1"});
}

TEST_CASE("outside the window only the minimum counts, and expired copies stay") {
  auto plan = plan_refill({state(1, false, {"old-1"})});
  CHECK(plan[0].make == 0);
  CHECK(plan[0].remove.empty());
  CHECK(plan_refill({state(3, false)})[0].make == 0);
}

TEST_CASE("failed copies are always cleaned") {
  auto plan = plan_refill({state(2, false, {}, {"broken-1"})});
  CHECK(plan[0].remove == std::vector<std::string>{"broken-1"});
  CHECK(plan_prune({state(2, false, {"old"}, {"broken"})})[0].remove == std::vector<std::string>{"broken", "old"});
}

TEST_CASE("a full reserve needs nothing") {
  auto plan = plan_refill({state(5, true)});
  CHECK(plan[0].make == 0);
  CHECK(plan[0].remove.empty());
}
