// The back-end protocol: a task's output line "@hostctl KEY ..." is a directive.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hostctl::exec {

struct Directive {
  enum class Kind { Set, Package, Usage, Progress } kind;
  std::string key;    // fact key, package name, usage metric
  std::string value;  // fact value, package version, usage amount, "N/M"
};

// nullopt when `line` is not a directive; a malformed directive sets `error`.
std::optional<Directive> parse_directive(std::string_view line, std::string& error);

}  // namespace hostctl::exec
