#pragma once

#include <optional>
#include <string>
#include <vector>

namespace hostctl::cli {

// When the command word is not hostctl's own: runs hostctl-WORD from PATH
// (git and kubectl plugins), or fails with "did you mean". nullopt: a known command.
std::optional<int> run_plugin_if_unknown(const std::vector<std::string>& argv);

}  // namespace hostctl::cli
