// Parameter patterns: POSIX extended regular expressions (as `grep -E`) that a
// whole value must match. glibc matches them without exponential backtracking;
// the limits in check_pattern keep compiling and matching bounded too.
#pragma once

#include <string>
#include <string_view>

namespace hostctl::model {

std::string check_pattern(std::string_view pattern);  // "" when usable, else why not

// `pattern` must have passed check_pattern.
bool matches_pattern(const std::string& value, const std::string& pattern);

}  // namespace hostctl::model
