// Running a recorded command from a handler: the options every command shares
// (jobs, SSH settings, interrupts, --verbose echo) and the one way a failed
// command is reported (failing step, exit code, last log lines; exit 5/6/130).
#pragma once

#include <optional>

#include "context.hpp"
#include "core/error.hpp"
#include "run/command.hpp"
#include "run/runner.hpp"

namespace hostctl::cli {

run::RunOptions run_options(Context& ctx, bool accept_new_key = false);

// The error to report for a finished run, or nothing when it succeeded.
std::optional<Error> outcome_error(Context& ctx, const run::RunSummary& summary);

}  // namespace hostctl::cli
