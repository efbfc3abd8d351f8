// Reading a whole file, for the few places that take one in (service plans,
// certificates, CA bundles, exported inventories).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace hostctl {

// The file's bytes; nothing when it is not a regular file that can be read.
std::optional<std::string> read_file(const std::filesystem::path& path);

}  // namespace hostctl
