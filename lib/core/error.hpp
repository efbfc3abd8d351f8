// Errors are values with a kind; the kind alone decides the exit code.
#pragma once

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
  Interrupted,   // SIGINT/SIGTERM
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message, std::string hint = {})
      : std::runtime_error(std::move(message)), kind_(kind), hint_(std::move(hint)) {}

  ErrorKind kind() const { return kind_; }
  const std::string& hint() const { return hint_; }

 private:
  ErrorKind kind_;
  std::string hint_;
};

// The one mapping from kinds to documented exit codes (README.md, hostctl(1) EXIT STATUS).
int exit_code(ErrorKind kind);
// Stable name used in JSON error objects ("not_found", "refused", ...).
std::string_view kind_name(ErrorKind kind);

}  // namespace hostctl
