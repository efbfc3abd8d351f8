// Input rules for every value that reaches the catalog or a host. Each check
// returns an empty string when the value is fine, else why it is not; the
// require_* forms throw a Usage error naming the field and the value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace hostctl::model {

std::string check_name(std::string_view value);        // hosts, clients, services, sites
std::string check_address(std::string_view value);     // IPv4, IPv6 or DNS name
std::string check_port(std::string_view value, int& port);
std::string check_unix_user(std::string_view value);
std::string check_abs_path(std::string_view value);    // absolute, no "..", no control characters
std::string check_role(std::string_view value);
std::string check_email(std::string_view value);
std::string check_count(std::string_view value, int64_t& out);  // a whole number >= 0
std::string check_duration(std::string_view value, int64_t& seconds);  // 30s, 5m, 23h, 7d
std::string check_window(std::string_view value);      // "HH:MM-HH:MM"
std::string check_text(std::string_view value, size_t max_len);  // UTF-8, no control characters

// Prints a value in an error message: quoted, control bytes escaped, cut at 80.
std::string shown(std::string_view value);

void require(const std::string& problem, std::string_view field, std::string_view value);
inline void require_name(std::string_view field, std::string_view value) {
  require(check_name(value), field, value);
}

bool is_all_digits(std::string_view value);
bool is_valid_utf8(std::string_view value);

}  // namespace hostctl::model
