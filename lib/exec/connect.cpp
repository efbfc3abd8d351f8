#include <fmt/format.h>

#include "core/error.hpp"
#include "exec/local.hpp"
#include "exec/session.hpp"

namespace hostctl::exec {

std::unique_ptr<Session> connect(const Endpoint& endpoint, const ConnectOptions& options) {
  (void)options;
  if (endpoint.transport == "local") return connect_local();
  throw Error(ErrorKind::Unreachable, fmt::format("host '{}': the ssh transport is not built yet", endpoint.name));
}

}  // namespace hostctl::exec
