#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "exec/session.hpp"

namespace hostctl::exec {

std::unique_ptr<Session> connect_local();

// The control node's own files, for the local transport (lib/exec/files.cpp).
std::unique_ptr<FileReader> open_local_file(const std::string& path);
int64_t write_local_file(const std::string& path, FileReader& from, const std::atomic<bool>& cancel);

}  // namespace hostctl::exec
