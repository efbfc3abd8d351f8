// The catalog schema as numbered migrations (schemas/NNN_name.sql), embedded
// at build time. A catalog's version is its PRAGMA user_version.
#pragma once

#include <span>

namespace hostctl::catalog {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

std::span<const Migration> migrations();
inline int latest_version() { return migrations().empty() ? 0 : migrations().back().version; }

}  // namespace hostctl::catalog
