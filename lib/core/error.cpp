#include "core/error.hpp"

namespace hostctl {

int exit_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Internal: return 1;
    case ErrorKind::Usage: return 2;
    case ErrorKind::NotFound: return 3;
    case ErrorKind::Refused: return 4;
    case ErrorKind::RemoteFailed: return 5;
    case ErrorKind::Unreachable: return 6;
    case ErrorKind::Busy: return 7;
    case ErrorKind::Drift: return 8;
    case ErrorKind::Interrupted: return 130;
  }
  return 1;
}

std::string_view kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Internal: return "internal";
    case ErrorKind::Usage: return "usage";
    case ErrorKind::NotFound: return "not_found";
    case ErrorKind::Refused: return "refused";
    case ErrorKind::RemoteFailed: return "remote_failed";
    case ErrorKind::Unreachable: return "unreachable";
    case ErrorKind::Busy: return "busy";
    case ErrorKind::Drift: return "drift";
    case ErrorKind::Interrupted: return "interrupted";
  }
  return "internal";
}

}  // namespace hostctl
