#pragma once

#include <string>

namespace hostctl::cli {

// A completion script for bash, zsh or fish, made from the command table.
std::string completion_script(const std::string& shell);

}  // namespace hostctl::cli
