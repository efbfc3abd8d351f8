// usage report; invoice CLIENT --period YYYY-MM
#include <fmt/format.h>

#include "billing/billing.hpp"
#include "command.hpp"
#include "core/clock.hpp"

namespace hostctl::cli {
namespace {

Output report(Context& ctx, const Args& a) {
  billing::Period p{0, now_epoch() + 1};
  if (auto from = a.opt("from")) p.from = billing::day(*from, "--from");
  if (auto to = a.opt("to")) p.to = billing::day(*to, "--to") + 86400;  // --to is inclusive
  return {billing::usage_report(ctx.catalog(), a.opt("client"), p), {}};
}

Output invoice(Context& ctx, const Args& a) {
  auto j = billing::invoice(ctx.catalog(), a.get("CLIENT"), *a.opt("period"));
  std::string text = fmt::format("Invoice for client '{}', {}\n\n", j["client"].get<std::string>(),
                                 j["period"].get<std::string>());
  text += fmt::format("{:<24} {:<16} {:>10} {:>6} {:>10}\n", "SITE", "SERVICE", "MONTHLY", "DAYS", "AMOUNT");
  for (const auto& l : j["lines"])
    text += fmt::format("{:<24} {:<16} {:>10.2f} {:>6} {:>10.2f} {}\n", l["site"].get<std::string>(),
                        l["service"].get<std::string>(), l["monthly_price"].get<double>(),
                        static_cast<int>(l["days"].get<double>()), l["amount"].get<double>(),
                        l["currency"].get<std::string>());
  for (const auto& [currency, total] : j["totals"].items())
    text += fmt::format("\n{:<59} {:>10.2f} {}\n", "TOTAL", total.get<double>(), currency);
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
