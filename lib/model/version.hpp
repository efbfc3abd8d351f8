// Package versions ordered as dpkg orders them (deb-version(7)):
// [epoch:]upstream[-revision]; the epoch compares as a number, then the
// upstream version, then the revision, each with dpkg's rule (runs of digits
// as numbers; other runs character by character, letters before the rest,
// '~' before everything, even the end).
#pragma once

#include <string>
#include <string_view>

namespace hostctl::model {

// Empty when `v` is a version dpkg accepts; otherwise what is wrong with it.
std::string version_problem(std::string_view v);

// <0, 0 or >0 as a is older than, the same as, or newer than b. A version
// dpkg would refuse compares as a whole, by the same rule.
int compare_versions(std::string_view a, std::string_view b);

}  // namespace hostctl::model
