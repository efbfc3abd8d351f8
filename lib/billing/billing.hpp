// Usage records (from `@hostctl usage` lines of stats actions) and itemized
// invoices: each of a client's sites at its service's monthly price, pro rata
// for the days of the period the site existed.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "catalog/catalog.hpp"

namespace hostctl::billing {

struct Period {
  int64_t from = 0, to = 0;  // epoch seconds, [from, to)
};
// "YYYY-MM" -> the month, UTC.
Period month(const std::string& yyyy_mm);
// "YYYY-MM-DD" -> midnight UTC.
int64_t day(const std::string& yyyy_mm_dd, const std::string& what);

nlohmann::ordered_json usage_report(catalog::Catalog& catalog, const std::optional<std::string>& client,
                                    const Period& period);
nlohmann::ordered_json invoice(catalog::Catalog& catalog, const std::string& client, const std::string& yyyy_mm);

}  // namespace hostctl::billing
