#include "core/clock.hpp"

#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "core/error.hpp"

namespace hostctl {

int64_t now_epoch() {
  if (const char* pinned = std::getenv("HOSTCTL_NOW"); pinned && *pinned) {
    int64_t epoch = 0;
    if (!parse_utc(pinned, epoch))
      throw Error(ErrorKind::Usage, std::string("HOSTCTL_NOW is not a UTC time like 2026-01-31T23:59:00Z: '") +
                                        pinned + "'");
    return epoch;
  }
  return static_cast<int64_t>(std::time(nullptr));
}

std::string format_utc(int64_t epoch) {
  std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string now_utc() { return format_utc(now_epoch()); }

bool parse_utc(const std::string& text, int64_t& epoch) {
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &consumed) != 6 ||
      consumed != static_cast<int>(text.size()))
    return false;
  if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60)
    return false;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  epoch = static_cast<int64_t>(timegm(&tm));
  return true;
}

}  // namespace hostctl
