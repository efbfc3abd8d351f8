// usage report; invoice CLIENT --period YYYY-MM
#include <fmt/format.h>

#include <cstdlib>

#include "billing/billing.hpp"
#include "command.hpp"
#include "core/clock.hpp"
#include "render.hpp"

namespace hostctl::cli {
namespace {

Output report(Context& ctx, const Args& a) {
  billing::Period p{0, now_epoch() + 1};
  if (auto from = a.opt("from")) p.from = billing::day(*from, "--from");
  if (auto to = a.opt("to")) p.to = billing::day(*to, "--to") + 86400;  // --to is inclusive
  return {billing::usage_report(ctx.catalog(), a.opt("client"), p), {}};
}

// Whole cents as units, exactly: 765 is "7.65".
std::string money(int64_t cents) {
  return fmt::format("{}{}.{:02}", cents < 0 ? "-" : "", std::llabs(cents) / 100, std::llabs(cents) % 100);
}

Output invoice(Context& ctx, const Args& a) {
  auto j = billing::invoice(ctx.catalog(), a.get("CLIENT"), *a.opt("period"));
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& l : j["lines"])
    rows.push_back({{"site", l["site"]},
                    {"service", l["service"]},
                    {"monthly", money(l["monthly_price_cents"].get<int64_t>())},
                    {"days", l["days"]},
                    {"amount", money(l["amount_cents"].get<int64_t>())},
                    {"currency", l["currency"]}});
  for (const auto& [currency, total] : j["totals_cents"].items())
    rows.push_back({{"site", "TOTAL"}, {"service", ""}, {"monthly", ""}, {"days", ""},
                    {"amount", money(total.get<int64_t>())}, {"currency", currency}});
  std::string text = fmt::format("Invoice for client '{}', {}\n\n", j["client"].get<std::string>(),
                                 j["period"].get<std::string>());
  text += table_text(rows, {"site", "service", "monthly", "days", "amount", "currency"}, {"monthly", "days", "amount"});
  return {j, {}, text};
}

}  // namespace

void add_usage_commands(std::vector<Command>& t) {
  t.push_back({"usage report",
               "usage records per site and metric (from the stats queue)",
               {},
               {{"client", "c", "only this client's sites", Opt::Value, "CLIENT", Complete::Client},
                {"from", "", "first day, YYYY-MM-DD", Opt::Value, "DATE"},
                {"to", "", "last day (inclusive), YYYY-MM-DD", Opt::Value, "DATE"}},
               kCatalog,
               report});
  t.push_back({"invoice",
               "an itemized invoice: each of the client's sites at its service's price, pro rata",
               {{"CLIENT", "client name or id", true, false, Complete::Client}},
               {{"period", "", "the month, YYYY-MM", Opt::Value, "YYYY-MM", Complete::None, true}},
               kCatalog,
               invoice});
}

}  // namespace hostctl::cli
