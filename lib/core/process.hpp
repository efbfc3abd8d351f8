// Telling whether the process that started a command still runs: a pid alone
// can be reused, so its start time (from /proc) is kept beside it.
#pragma once

#include <cstdint>

namespace hostctl {

struct ProcessRef {
  long pid = 0;
  int64_t start = 0;  // clock ticks after boot, /proc/PID/stat field 22
};

ProcessRef self_process();
// False when the process has exited, is a zombie, or the pid now belongs to another.
bool process_alive(const ProcessRef& process);

}  // namespace hostctl
