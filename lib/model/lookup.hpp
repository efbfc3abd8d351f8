// Finding catalog rows by a reference: a name, or a numeric id.
#pragma once

#include "catalog/statement.hpp"

#include <cstdint>
#include <string>

namespace hostctl::model {

// The id of the row of `table` whose name or id is `ref`; NotFound naming `what` otherwise.
int64_t find_id(catalog::Connection& db, const std::string& table, const std::string& what, const std::string& ref);

}  // namespace hostctl::model
