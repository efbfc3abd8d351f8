// Finding catalog rows by a reference: a name, or a numeric id.
#pragma once

#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <string>

namespace hostctl::model {

// The id of the row of `table` whose name or id is `ref`; NotFound naming `what` otherwise.
int64_t find_id(SQLite::Database& db, const std::string& table, const std::string& what, const std::string& ref);

}  // namespace hostctl::model
