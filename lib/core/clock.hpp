// Time as the catalog records it. HOSTCTL_NOW (ISO-8601 UTC) pins "now" so
// windows, expiry and frequencies can be tested without waiting.
#pragma once

#include <cstdint>
#include <string>

namespace hostctl {

// Seconds since the epoch, UTC.
int64_t now_epoch();
// "2026-11-23T13:30:00Z"
std::string format_utc(int64_t epoch);
std::string now_utc();
// Parses "YYYY-MM-DDTHH:MM:SSZ"; returns false on anything else.
bool parse_utc(const std::string& text, int64_t& epoch);

}  // namespace hostctl
