#include "exec/wrapper.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace hostctl::exec {

const std::string& wrapper_command() {
  // `timeout` leads its own process group and signals all of it, so children of
// the task stop too; its pid (= pgid) is reported first so a cancel can stop the group.
  static const std::string command =
      "/bin/sh -c 'umask 077; f=$(mktemp \"${TMPDIR:-/tmp}/hostctl.XXXXXX\") || exit 125; "
      "cat >\"$f\" || { rm -f \"$f\"; exit 125; }; "
      "t=$(sed -n \"s/^# hostctl-timeout: //p;3q\" \"$f\"); "
      "timeout -k 5 \"${t:-300}\" /bin/sh \"$f\" </dev/null & p=$!; echo \"@hostctl-pgid $p\" >&2; "
      "wait $p; rc=$?; rm -f \"$f\"; exit $rc'";
  return command;
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

bool valid_env_name(const std::string& name) {
  if (name.empty() || name.size() > 128 || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

std::string wrapper_payload(const Job& job) {
  std::string payload = "# hostctl task\n";
  payload += fmt::format("# hostctl-timeout: {}\n", job.timeout_seconds > 0 ? job.timeout_seconds : 300);
  for (const auto& [name, value] : job.env) {
    if (!valid_env_name(name)) throw Error(ErrorKind::Internal, fmt::format("invalid environment name '{}'", name));
    if (value.find('\0') != std::string::npos)
      throw Error(ErrorKind::Usage, fmt::format("value of {} contains a NUL byte", name));
    payload += fmt::format("export {}={}\n", name, shell_quote(value));
  }
  payload += job.script;
  if (!payload.empty() && payload.back() != '\n') payload += '\n';
  return payload;
}

}  // namespace hostctl::exec
