// `hostctl catalog copy --to LOCATION`: the whole catalog (the inventory and
// its history) moved to a new catalog on either engine, typically a SQLite
// file to a PostgreSQL database when a team outgrows one control node. The
// rows are read from one snapshot and written in one transaction, read back
// and compared row by row before it commits; the secret key goes with them.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "catalog/catalog.hpp"

namespace hostctl::exchange {

struct CopyReport {
  bool created = false;  // the target's schema was made by the copy
  std::vector<std::pair<std::string, int64_t>> rows;  // per table, in copy order
  int64_t total = 0;
  std::string key_path;  // the key file written for the target; "" when none was needed
};

// Refused (nothing changed) when the target already holds rows, is the source
// itself, has another key file than the source's, or while commands of the
// source are running.
CopyReport copy_catalog(catalog::Catalog& from, const std::string& to, const catalog::Actor& actor);

}  // namespace hostctl::exchange
