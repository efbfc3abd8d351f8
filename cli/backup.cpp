// backup list|show|verify|delete (site backup and site restore live in site.cpp)
#include <fmt/format.h>

#include "command.hpp"
#include "lifecycle/backup.hpp"
#include "run_support.hpp"

namespace hostctl::cli {
namespace {

Output list(Context& ctx, const Args& a) {
  return listing(lifecycle::list_backups(ctx.catalog(), a.opt("site")),
                 [](const lifecycle::Backup& b) { return lifecycle::to_json(b); },
                 {"id", "site", "host", "status_name", "size", "created_at", "path"});
}

Output show(Context& ctx, const Args& a) {
  return {lifecycle::to_json(lifecycle::get_backup(ctx.catalog(), a.get("ID"))), {}};
}

Output verify(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  auto r = lifecycle::verify_backup(ops, a.get("ID"));
  auto j = lifecycle::to_json(r.backup);
  j["verified"] = r.summary.status == run::kCompleted;
  j["scratch_deployment"] = r.scratch;
  if (r.summary.status == run::kCompleted) ctx.info(fmt::format("backup {} restores and verifies cleanly", r.backup.id));
  return {j, {}, {}, outcome_error(ctx, r.summary)};
}

Output remove(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  auto summary = lifecycle::delete_backup(ops, a.get("ID"));
  return {lifecycle::to_json(lifecycle::get_backup(ctx.catalog(), a.get("ID"))), {}, {}, outcome_error(ctx, summary)};
}

}  // namespace

void add_backup_commands(std::vector<Command>& t) {
  const Pos id{"ID", "backup number", true, false, Complete::None};
  t.push_back({"backup list", "list backups, newest first", {},
               {{"site", "", "only this site's", Opt::Value, "SITE", Complete::Site}}, kCatalog, list});
  t.push_back({"backup show", "show a backup", {id}, {}, kCatalog, show});
  t.push_back({"backup verify", "restore a backup into a scratch deployment, verify it, remove the scratch copy",
               {id}, {}, kCatalog | kMutates | kDryRun, verify});
  t.push_back({"backup delete", "delete a backup's file on its host (the record is kept)", {id}, {},
               kCatalog | kMutates | kDryRun | kDestructive, remove});
}

}  // namespace hostctl::cli
