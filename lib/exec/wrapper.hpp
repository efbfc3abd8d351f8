// The wrapper protocol. The command line run on a host is a constant; the
// task arrives on stdin as `export NAME='value'` lines followed by its shell
// text, is written to a private temporary file and run under timeout(1), in
// its own process group, with stdin from /dev/null. Nothing from the catalog
// is ever placed in a command line, and every value is single-quoted.
#pragma once

#include <string>

#include "exec/session.hpp"

namespace hostctl::exec {

// The constant remote command.
const std::string& wrapper_command();
// What is written to the wrapper's stdin for `job`.
std::string wrapper_payload(const Job& job);
// 'text' with embedded quotes escaped, safe as one shell word.
std::string shell_quote(const std::string& text);
// True for names such as HOSTCTL_ROOT.
bool valid_env_name(const std::string& name);

// The wrapper's own failure before the task ran (cannot make the temp file).
constexpr int kWrapperFailed = 125;
// First stderr line of the wrapper: the task's process group, for cancel.
constexpr std::string_view kPgidPrefix = "@hostctl-pgid ";
// What timeout(1) returns when it had to stop the task.
constexpr int kTimedOut = 124;

}  // namespace hostctl::exec
