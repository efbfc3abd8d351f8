// Errors are values with a kind; the kind alone decides the exit code.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hostctl {

enum class ErrorKind {
  Internal,      // a bug or an unexpected local failure
  Usage,         // bad input or bad arguments
  NotFound,      // a named object is not in the catalog (or a file is missing)
  Refused,       // a rule forbids it
  RemoteFailed,  // a task on a host ran and failed
  Unreachable,   // cannot connect to, authenticate with, or trust a host
  Busy,          // a lock is held, or the same action already runs
  Drift,         // a check found hosts that differ from the catalog (as diff exits 1)
  Interrupted,   // SIGINT/SIGTERM
};

class Error : public std::runtime_error {
 public:
  // `retryable`: whether the same work can succeed when run again as it is;
  // false where the operator must change something first (a host key, keys).
  Error(ErrorKind kind, std::string message, std::string hint = {}, bool retryable = true)
      : std::runtime_error(std::move(message)), kind_(kind), hint_(std::move(hint)), retryable_(retryable) {}

  ErrorKind kind() const { return kind_; }
  const std::string& hint() const { return hint_; }
  bool retryable() const { return retryable_; }

 private:
  ErrorKind kind_;
  std::string hint_;
  bool retryable_;
};

// Failures of remote work, as values: nothing when it worked.
using Failure = std::optional<Error>;

// The same failure said with more context: its kind (and so its exit code) and hint stay.
inline Error reworded(const Error& cause, std::string message) {
  return Error(cause.kind(), std::move(message), cause.hint(), cause.retryable());
}

// The one mapping from kinds to documented exit codes (README.md, hostctl(1) EXIT STATUS).
int exit_code(ErrorKind kind);
// Stable name used in JSON error objects ("not_found", "refused", ...).
std::string_view kind_name(ErrorKind kind);

}  // namespace hostctl
