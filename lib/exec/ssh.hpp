#pragma once

#include <memory>

#include "exec/session.hpp"

namespace hostctl::exec {

// Connects with libssh: ssh_config honoured, strict host-key checking against
// options.known_hosts, public-key authentication (identity file, agent, defaults).
std::unique_ptr<Session> connect_ssh(const Endpoint& endpoint, const ConnectOptions& options);

}  // namespace hostctl::exec
