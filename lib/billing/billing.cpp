#include "billing/billing.hpp"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <regex>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "model/lookup.hpp"
#include "model/validate.hpp"

namespace hostctl::billing {

int64_t day(const std::string& text, const std::string& what) {
  int64_t epoch = 0;
  static const std::regex re("^[0-9]{4}-[0-9]{2}-[0-9]{2}$");
  if (!std::regex_match(text, re) || !parse_utc(text + "T00:00:00Z", epoch))
    model::require("must be a date such as 2026-11-01", what, text);
  return epoch;
}

Period month(const std::string& text) {
  static const std::regex re("^([0-9]{4})-([0-9]{2})$");
  std::smatch m;
  int64_t from = 0, to = 0;
  if (!std::regex_match(text, m, re) || !parse_utc(text + "-01T00:00:00Z", from))
    model::require("must be a month such as 2026-11", "period", text);
  int year = std::stoi(m[1]), mon = std::stoi(m[2]);
  parse_utc(fmt::format("{:04d}-{:02d}-01T00:00:00Z", mon == 12 ? year + 1 : year, mon == 12 ? 1 : mon + 1), to);
  return {from, to};
}

nlohmann::ordered_json usage_report(catalog::Catalog& catalog, const std::optional<std::string>& client,
                                    const Period& period) {
  if (client) model::find_id(catalog.db(), "client", "client", *client);
  catalog::Statement q(catalog.db(),
                       "SELECT coalesce(s.name, ''), coalesce(c.name, ''), sv.name, d.name, u.metric, count(*), "
                       "sum(u.value), max(u.value), (SELECT value FROM usage u2 WHERE u2.deployment_id = d.id AND "
                       "u2.metric = u.metric AND u2.at >= ?1 AND u2.at < ?2 ORDER BY u2.at DESC, u2.id DESC LIMIT 1) "
                       "FROM usage u JOIN deployment d ON d.id = u.deployment_id JOIN service sv ON sv.id = d.service_id "
                       "LEFT JOIN site s ON s.id = d.site_id LEFT JOIN client c ON c.id = coalesce(s.client_id, d.client_id) "
                       "WHERE u.at >= ?1 AND u.at < ?2 AND (CAST(?3 AS TEXT) IS NULL OR c.name = ?3) "
                       "GROUP BY d.id, d.name, s.name, c.name, sv.name, u.metric ORDER BY 1, 4, 5");
  q.bind(1, format_utc(period.from));
  q.bind(2, format_utc(period.to));
  if (client) q.bind(3, *client); else q.bind(3);
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  while (q.executeStep()) {
    auto text = [&](int i) { std::string v = q.getColumn(i).getString(); return v.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(v); };
    rows.push_back({{"site", text(0)},
                    {"client", text(1)},
                    {"service", q.getColumn(2).getString()},
                    {"deployment", q.getColumn(3).getString()},
                    {"metric", q.getColumn(4).getString()},
                    {"samples", q.getColumn(5).getInt64()},
                    {"sum", q.getColumn(6).getDouble()},
                    {"max", q.getColumn(7).getDouble()},
                    {"last", q.getColumn(8).getDouble()}});
  }
  return rows;
}

namespace {

// Cents as the currency's units, for the fields that always were numbers of
// units (12.34); the exact value is the *_cents field beside them.
double units(int64_t cents) { return static_cast<double>(cents) / 100.0; }

}  // namespace

nlohmann::ordered_json invoice(catalog::Catalog& catalog, const std::string& client, const std::string& yyyy_mm) {
  Period p = month(yyyy_mm);
  int64_t client_id = model::find_id(catalog.db(), "client", "client", client);
  // Money in whole cents, never floating point: a price is read once into cents
  // and every amount is an integer division rounded half up.
  const int64_t days_in_month = (p.to - p.from) / 86400;
  catalog::Statement q(catalog.db(),
                       "SELECT s.name, sv.name, sv.price_monthly, coalesce(sv.currency, 'EUR'), s.created_at FROM site s "
                       "JOIN service sv ON sv.id = s.service_id WHERE s.client_id = ? ORDER BY s.name");
  q.bind(1, client_id);
  nlohmann::ordered_json lines = nlohmann::ordered_json::array();
  std::map<std::string, int64_t> totals;
  while (q.executeStep()) {
    int64_t created = 0;
    parse_utc(q.getColumn(4).getString(), created);
    if (created >= p.to) continue;
    int64_t start = std::max(created, p.from);
    // Whole days, counting the day the site was created.
    int64_t days = (p.to - start + 86399) / 86400;
    int64_t monthly = q.getColumn(2).isNull() ? 0 : std::llround(q.getColumn(2).getDouble() * 100.0);
    int64_t amount = (2 * monthly * days + days_in_month) / (2 * days_in_month);
    std::string currency = q.getColumn(3).getString();
    totals[currency] += amount;
    lines.push_back({{"site", q.getColumn(0).getString()},
                     {"service", q.getColumn(1).getString()},
                     {"monthly_price", units(monthly)},
                     {"days", days},
                     {"days_in_period", days_in_month},
                     {"amount", units(amount)},
                     {"currency", currency},
                     {"monthly_price_cents", monthly},
                     {"amount_cents", amount}});
  }
  nlohmann::ordered_json j;
  j["client"] = client;
  j["period"] = yyyy_mm;
  j["lines"] = lines;
  j["totals"] = nlohmann::ordered_json::object();
  j["totals_cents"] = nlohmann::ordered_json::object();
  for (const auto& [currency, total] : totals) {
    j["totals"][currency] = units(total);
    j["totals_cents"][currency] = total;
  }
  return j;
}

}  // namespace hostctl::billing
