// SIGINT and SIGTERM set one flag; running work polls it and stops cleanly.
#pragma once

#include <atomic>

namespace hostctl {

void install_interrupt_handlers();
std::atomic<bool>& interrupt_flag();

}  // namespace hostctl
