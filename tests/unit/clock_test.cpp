#include <catch2/catch.hpp>

#include "core/clock.hpp"

using namespace hostctl;

TEST_CASE("UTC times round-trip through format_utc and parse_utc") {
  // Every 9 days and 7 hours from 1970 to past 2100, leap years and centuries included.
  for (int64_t epoch = 0; epoch < 4200000000; epoch += 9 * 86400 + 7 * 3600 + 61) {
    int64_t back = -1;
    REQUIRE(parse_utc(format_utc(epoch), back));
    REQUIRE(back == epoch);
  }
  int64_t t = 0;
  REQUIRE(parse_utc("2024-02-29T23:59:60Z", t));  // a leap second reads as the next minute, as timegm does
  CHECK(t == 1709251200);
}

TEST_CASE("parse_utc takes only the exact shape") {
  int64_t t = 0;
  for (const char* bad : {"", "2026-01-31T23:59:00", "2026-01-31 23:59:00Z", " 2026-01-31T23:59:00Z",
                          "2026-1-31T23:59:00Z", "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z",
                          "2026-01-32T00:00:00Z", "2026-01-31T24:00:00Z", "2026-01-31T23:60:00Z",
                          "+026-01-31T23:59:00Z", "2026-01-31T23:59:00Zx"})
    CHECK_FALSE(parse_utc(bad, t));
}

TEST_CASE("parse_utc refuses days a month does not have, leap years known") {
  int64_t t = 0;
  for (const char* bad : {"2026-02-31T00:00:00Z", "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
                          "2026-06-31T00:00:00Z", "2026-09-31T00:00:00Z", "2026-11-31T00:00:00Z",
                          "1900-02-29T00:00:00Z", "2100-02-29T00:00:00Z"})
    CHECK_FALSE(parse_utc(bad, t));
  for (const char* good : {"2028-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "2026-12-31T00:00:00Z",
                           "2026-01-31T00:00:00Z", "2026-02-28T00:00:00Z"})
    CHECK(parse_utc(good, t));
}
