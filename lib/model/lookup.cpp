#include "model/lookup.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "model/validate.hpp"

namespace hostctl::model {

int64_t find_id(catalog::Connection& db, const std::string& table, const std::string& what, const std::string& ref) {
  // `table` is always a literal from the caller, never user input.
  bool by_id = is_all_digits(ref) && ref.size() < 18;
  catalog::Statement q(db, fmt::format("SELECT id FROM {} WHERE {} = ?", table, by_id ? "id" : "name"));
  if (by_id)
    q.bind(1, static_cast<int64_t>(std::stoll(ref)));
  else
    q.bind(1, ref);
  if (!q.executeStep())
    throw Error(ErrorKind::NotFound, fmt::format("{} {} not found", what, shown(ref)),
                fmt::format("'{}' shows the {}s in the catalog",
                            what == "service" ? "hostctl listservices" : "hostctl " + what + " list", what));
  return q.getColumn(0).getInt64();
}

}  // namespace hostctl::model
