// Running a recorded command from a handler: the options every command shares
// (jobs, SSH settings, interrupts, --verbose echo) and the one way a failed
// command is reported (failing step, exit code, last log lines; exit 5/6/130).
#pragma once

#include <optional>

#include "context.hpp"
#include "core/error.hpp"
#include "run/command.hpp"
#include "run/operation.hpp"
#include "run/runner.hpp"

namespace hostctl::cli {

run::RunOptions run_options(Context& ctx, bool accept_new_key = false);

// The lifecycle operations' view of the context.
run::Ops make_ops(Context& ctx);

// The error to report for a finished run, or nothing when it succeeded.
std::optional<Error> outcome_error(Context& ctx, const run::RunSummary& summary);
// A remote failure of several steps (a switch or route change that was undone),
// with a hint to the log when it has none of its own.
std::optional<Error> remote_error(const Failure& error);

}  // namespace hostctl::cli
