// The catalog schema as numbered migrations (schemas/NNN_name.sql), embedded
// at build time. PostgreSQL begins from its own baseline
// (schemas/postgresql/NNN_*.sql: every earlier migration in one, with its
// types); after it, a number found there replaces the common file of that
// number, and the common files run as they are.
#pragma once

#include <span>
#include <vector>

#include "catalog/statement.hpp"

namespace hostctl::catalog {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

std::span<const Migration> migrations();
std::span<const Migration> postgres_migrations();

// The steps that bring a catalog of `engine` from version `from` to the latest.
std::vector<Migration> migration_steps(Engine engine, int from);
inline int latest_version() { return migrations().empty() ? 0 : migrations().back().version; }

}  // namespace hostctl::catalog
