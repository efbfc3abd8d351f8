#pragma once

#include <memory>

#include "exec/session.hpp"

namespace hostctl::exec {

std::unique_ptr<Session> connect_local();

}  // namespace hostctl::exec
