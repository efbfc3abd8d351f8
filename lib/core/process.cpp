#include "core/process.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace hostctl {
namespace {

// State letter and start time of a pid; false when it does not exist.
bool read_stat(long pid, char& state, int64_t& start) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(in, text)) return false;
  // The command name may hold spaces and parentheses: fields follow the last ')'.
  auto close = text.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  fields >> state;
  for (int i = 4; i <= 22; ++i) fields >> field;  // field 3 was the state
  start = std::stoll(field);
  return true;
}

}  // namespace

ProcessRef self_process() {
  ProcessRef me{static_cast<long>(::getpid()), 0};
  char state = 0;
  read_stat(me.pid, state, me.start);
  return me;
}

bool process_alive(const ProcessRef& process) {
  char state = 0;
  int64_t start = 0;
  if (process.pid <= 0 || !read_stat(process.pid, state, start)) return false;
  return state != 'Z' && state != 'X' && start == process.start;
}

}  // namespace hostctl
