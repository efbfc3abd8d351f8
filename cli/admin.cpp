// init, doctor, version, config show, completion.
#include <fmt/format.h>

#include "catalog/migrations.hpp"
#include "command.hpp"
#include "completion.hpp"
#include "core/error.hpp"
#include "core/clock.hpp"
#include "lifecycle/consistency.hpp"
#include "routing/certificates.hpp"
#include "run/command.hpp"

namespace hostctl::cli {
namespace {

Output init(Context& ctx, const Args&) {
  std::string path = catalog::shown_location(ctx.settings.get("catalog"));
  auto report = catalog::Catalog::init(ctx.settings.get("catalog"), ctx.actor());
  if (report.created)
    ctx.info(fmt::format("created catalog '{}' (schema version {})", path, report.to_version));
  else if (report.from_version == report.to_version)
    ctx.info(fmt::format("catalog '{}' is up to date (schema version {})", path, report.to_version));
  else if (report.backup_path.empty())
    ctx.info(fmt::format("upgraded catalog '{}' from schema version {} to {}", path, report.from_version,
                         report.to_version));
  else
    ctx.info(fmt::format("upgraded catalog '{}' from schema version {} to {}; the old file is kept as '{}'", path,
                         report.from_version, report.to_version, report.backup_path));
  nlohmann::ordered_json j;
  j["catalog"] = path;
  j["created"] = report.created;
  j["from_version"] = report.from_version;
  j["schema_version"] = report.to_version;
  j["backup"] = report.backup_path.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(report.backup_path);
  return {j, {}};
}

Output doctor(Context& ctx, const Args& a) {
  auto& catalog = ctx.catalog();
  auto problems = catalog.integrity_problems();
  const bool intact = problems.empty();
  if (intact)  // the rules read the tables, which only mean something when intact
    for (auto& p : lifecycle::rule_problems(catalog)) problems.push_back(std::move(p));
  int stuck = run::count_interrupted(catalog);
  auto unsynced = intact ? lifecycle::unsynced_routers(catalog) : std::vector<std::string>{};
  for (const auto& router : unsynced)
    ctx.warn(fmt::format("router '{}': its last route sync did not complete, so nginx may not serve what the catalog "
                         "says; 'hostctl host verify {} --repair' syncs it again", router, router));
  auto expiring = intact ? routing::expiring_certificates(catalog, now_epoch(), routing::kCertificateWarnDays)
                         : std::vector<std::string>{};
  for (const auto& c : expiring) ctx.warn(c + "; 'hostctl queue run certs' renews ACME certificates");
  int repaired = 0;
  if (a.flag("repair") && stuck > 0) {
    repaired = run::reconcile_interrupted(catalog);
    ctx.info(fmt::format("marked {} command(s) of dead processes as interrupted; 'hostctl task retry ID' resumes them",
                         repaired));
  } else if (stuck > 0) {
    ctx.warn(fmt::format("{} command(s) are PENDING but their process is gone; 'hostctl doctor --repair' marks them "
                         "interrupted", stuck));
  }
  nlohmann::ordered_json j;
  j["catalog"] = catalog::shown_location(catalog.location());
  j["schema_version"] = catalog.schema_version();
  j["latest_schema_version"] = catalog::latest_version();
  j["integrity"] = intact ? "ok" : "damaged";
  j["rules"] = !intact ? "unchecked" : problems.empty() ? "ok" : "broken";
  j["problems"] = problems;
  j["interrupted_commands"] = stuck;
  j["repaired"] = repaired;
  j["unsynced_routers"] = unsynced;
  j["expiring_certificates"] = expiring;
  Output out{j, {}};
  if (!problems.empty()) {
    for (const auto& p : problems) ctx.warn(p);
    // The report is still printed, like fsck: the error only sets the exit code.
    out.error = Error(ErrorKind::Internal,
                      fmt::format("catalog '{}' failed its {} check ({} problem(s))", catalog::shown_location(catalog.location()),
                                  intact ? "rules" : "integrity", problems.size()));
  }
  return out;
}

Output version(Context&, const Args&) {
  nlohmann::ordered_json j;
  j["version"] = HOSTCTL_VERSION;
  j["schema_version"] = catalog::latest_version();
  return {j, {}};
}

Output config_show(Context& ctx, const Args& args) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& [key, value] : ctx.settings.all()) {
    nlohmann::ordered_json row;
    row["key"] = key;
    row["value"] = value.value;
    if (args.flag("origin")) row["origin"] = value.origin;
    rows.push_back(row);
  }
  return {rows, {}};
}

Output completion(Context&, const Args& args) {
  const std::string& shell = args.get("SHELL");
  std::string script = completion_script(shell);
  std::fwrite(script.data(), 1, script.size(), stdout);
  return {};
}

Output help(Context& ctx, const Args& args) {
  std::string text = ctx.help_for(args.all("COMMAND"));
  std::fwrite(text.data(), 1, text.size(), stdout);
  return {};
}

}  // namespace

void add_admin_commands(std::vector<Command>& t) {
  t.push_back({"help",
               "print the help of hostctl or of a command, as COMMAND --help does: hostctl help site create",
               {{"COMMAND", "a command or group, one word each", false, true}},
               {},
               kRawOutput,
               help});
  t.push_back({"init", "create the catalog, or upgrade it (keeping a copy of the old file)", {}, {}, kNothing, init});
  t.push_back({"doctor",
               "check the catalog's integrity and schema version; find commands left PENDING by dead processes",
               {},
               {{"repair", "", "mark those commands interrupted (FAILED), so they can be retried", Opt::Flag}},
               kCatalog,
               doctor});
  t.push_back({"version", "print the version of hostctl and of its catalog schema", {}, {}, kNothing, version});
  t.push_back({"config show",
               "print every setting (flags > environment > config file > defaults)",
               {},
               {{"origin", "", "also say where each value came from", Opt::Flag}},
               kNothing,
               config_show});
  t.push_back({"completion",
               "print the shell completion script",
               {{"SHELL", "bash, zsh or fish", true, false, Complete::Shell}},
               {},
               kRawOutput,
               completion});
}

}  // namespace hostctl::cli
