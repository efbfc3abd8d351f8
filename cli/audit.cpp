// audit list: the audit trail, who changed what and when.
#include <fmt/format.h>

#include "catalog/audit.hpp"
#include "command.hpp"
#include "core/clock.hpp"
#include "model/validate.hpp"

namespace hostctl::cli {
namespace {

// --since: a duration back from now (2h, 7d), a day (2026-12-01) or a UTC time.
std::string since_time(const std::string& text) {
  int64_t epoch = 0, back = 0;
  if (parse_utc(text, epoch)) return text;
  if (parse_utc(text + "T00:00:00Z", epoch)) return text + "T00:00:00Z";
  if (model::check_duration(text, back).empty()) return format_utc(now_epoch() - back);
  throw Error(ErrorKind::Usage,
              fmt::format("--since {} is not a duration, a day or a time", model::shown(text)),
              "--since 2h, --since 7d, --since 2026-12-01 or --since 2026-12-01T08:00:00Z");
}

const std::vector<std::string> kObjectTypes = {"site", "host", "client", "route", "deployment", "service", "backup"};

Output list(Context& ctx, const Args& a) {
  catalog::AuditFilter filter;
  filter.user = a.opt("user");
  if (auto since = a.opt("since")) filter.since = since_time(*since);
  if (auto object = a.opt("object")) {
    auto colon = object->find(':');
    std::string type = colon == std::string::npos ? "" : object->substr(0, colon);
    if (std::find(kObjectTypes.begin(), kObjectTypes.end(), type) == kObjectTypes.end() ||
        colon + 1 == object->size())
      throw Error(ErrorKind::Usage, fmt::format("--object {} is not TYPE:NAME", model::shown(*object)),
                  fmt::format("TYPE is one of {}: --object site:shop", fmt::join(kObjectTypes, ", ")));
    filter.object = std::make_pair(type, object->substr(colon + 1));
  }
  if (auto limit = a.opt("limit")) model::require(model::check_count(*limit, filter.limit), "--limit", *limit);
  return listing(
      catalog::list_audit(ctx.catalog(), filter),
      [](const auto& e) {
        return nlohmann::ordered_json{{"id", e.id}, {"at", e.at}, {"user", e.user}, {"action", e.action}, {"argv", e.argv}};
      },
      {"id", "at", "user", "action"});
}

}  // namespace

void add_audit_commands(std::vector<Command>& t) {
  t.push_back({"audit list",
               "the audit trail: every change to the catalog, who made it, when, and the command line",
               {},
               {{"user", "", "only changes by this Unix user", Opt::Value, "USER"},
                {"since", "", "only changes since then: 2h, 7d, 2026-12-01 or a UTC time", Opt::Value, "WHEN"},
                {"object", "", "only the command lines that named it: site:shop, host:web1", Opt::Value, "TYPE:NAME"},
                {"limit", "n", "only the newest N", Opt::Value, "N"}},
               kCatalog,
               list});
}

}  // namespace hostctl::cli
