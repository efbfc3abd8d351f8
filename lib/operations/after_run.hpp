// The one table of after-run steps, by action: what follows a recorded
// command, whether it ran first time, from `task retry` or from `queue run`.
// It sits above the services it names; lib/run only looks rows up.
#pragma once

#include "run/operation.hpp"

namespace hostctl::operations {

const run::AfterRunTable& after_run_table();

}  // namespace hostctl::operations
