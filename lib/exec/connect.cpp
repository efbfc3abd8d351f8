#include "exec/local.hpp"
#include "exec/session.hpp"
#include "exec/ssh.hpp"

namespace hostctl::exec {

std::unique_ptr<Session> connect(const Endpoint& endpoint, const ConnectOptions& options) {
  if (endpoint.transport == "local") return connect_local();
  return connect_ssh(endpoint, options);
}

}  // namespace hostctl::exec
