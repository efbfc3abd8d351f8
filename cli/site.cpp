// site create|list|show|clone|switch|launch|enable|disable|protect|unprotect|delete
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "command.hpp"
#include "lifecycle/backup.hpp"
#include "lifecycle/migrate.hpp"
#include "lifecycle/site.hpp"
#include "model/validate.hpp"
#include "routing/routing.hpp"
#include "run_support.hpp"

namespace hostctl::cli {
namespace {

nlohmann::ordered_json site_json(Context& ctx, const lifecycle::Site& s) {
  auto j = lifecycle::to_json(s);
  nlohmann::ordered_json deployments = nlohmann::ordered_json::array(), routes = nlohmann::ordered_json::array();
  lifecycle::DeploymentFilter f;
  f.site = s.name;
  for (const auto& d : lifecycle::list_deployments(ctx.catalog(), f)) deployments.push_back(lifecycle::to_json(d));
  for (const auto& r : routing::routes_of_site(ctx.catalog(), s.id)) routes.push_back(routing::to_json(r));
  j["deployments"] = deployments;
  j["routes"] = routes;
  return j;
}

Output with_run(Context& ctx, const lifecycle::SiteRun& r) {
  auto j = site_json(ctx, r.site);
  j["deployment"] = r.deployment.name;
  j["from_reserve"] = r.from_reserve;
  return {j, {}, {}, outcome_error(ctx, r.summary)};
}

Output create(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  return with_run(ctx, lifecycle::create_site(ops, a.get("NAME"), *a.opt("service"), a.opt("client"), a.opt("host"),
                                              a.all("param")));
}

Output list(Context& ctx, const Args& a) {
  Output out{nullptr, {"id", "name", "client", "service", "enabled", "launched", "active_deployment", "primary_route"}};
  out.rows = [&catalog = ctx.catalog(), client = a.opt("client")](const RowSink& sink) {
    lifecycle::each_site(catalog, client, [&](const lifecycle::Site& s) { sink(lifecycle::to_json(s)); });
  };
  return out;
}

Output show(Context& ctx, const Args& a) { return {site_json(ctx, lifecycle::get_site(ctx.catalog(), a.get("SITE"))), {}}; }

// The new deployment is the result, so `new=$(hostctl site clone S -o id)` chains into `site switch --to`.
Output clone(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  auto r = lifecycle::clone_site(ops, a.get("SITE"), a.opt("from"), a.opt("label").value_or(""));
  auto preview = a.opt("preview");
  if (!preview || r.summary.status != run::kCompleted)
    return {lifecycle::to_json(r.deployment), {}, {}, outcome_error(ctx, r.summary)};
  auto error = lifecycle::add_preview(ops, a.get("SITE"), r.deployment.name, *preview);
  if (!error) ctx.info(fmt::format("'{}' serves the copy '{}'", *preview, r.deployment.name));
  return {lifecycle::to_json(r.deployment), {}, {}, remote_error(error)};
}

Output refresh_test(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  auto r = lifecycle::refresh_test(ops, a.get("SITE"));
  if (!r.error)
    ctx.info(fmt::format("site '{}': production copied into {}", r.site.name, fmt::join(r.refreshed, ", ")));
  return {site_json(ctx, r.site), {}, {}, remote_error(r.error)};
}

Output switch_to(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  auto r = lifecycle::switch_site(ops, a.get("SITE"), *a.opt("to"));
  if (!r.error) ctx.info(fmt::format("site '{}' now runs on '{}'", r.site.name, r.site.active_deployment));
  if (r.verify.status != run::kCompleted) return {site_json(ctx, r.site), {}, {}, outcome_error(ctx, r.verify)};
  return {site_json(ctx, r.site), {}, {}, remote_error(r.error)};
}

Output upgrade(Context& ctx, const Args& a) {
  std::optional<int64_t> version;
  if (auto v = a.opt("to-version")) {
    int64_t n = 0;
    model::require(model::check_count(*v, n), "--to-version", *v);
    version = n;
  }
  auto ops = make_ops(ctx);
  auto r = lifecycle::upgrade_site(ops, a.get("SITE"), version);
  if (!r.error)
    ctx.info(fmt::format("site '{}' now runs version {} on '{}'; the version {} copy is kept locked "
                         "('site switch' back is the rollback)", r.site.name, r.to_version, r.site.active_deployment,
                         r.from_version));
  return {site_json(ctx, r.site), {}, {}, remote_error(r.error)};
}

Output launch(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  auto r = lifecycle::launch_site(ops, a.get("SITE"));
  if (!r.error) ctx.info(fmt::format("site '{}' is launched", r.site.name));
  return {site_json(ctx, r.site), {}, {}, remote_error(r.error)};
}

Output enable(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  return with_run(ctx, lifecycle::set_enabled(ops, a.get("SITE"), true));
}

Output disable(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  return with_run(ctx, lifecycle::set_enabled(ops, a.get("SITE"), false));
}

Output protect(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  return {site_json(ctx, lifecycle::set_protected(ops, a.get("SITE"), true)), {}};
}

Output unprotect(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  return {site_json(ctx, lifecycle::set_protected(ops, a.get("SITE"), false)), {}};
}

Output transfer(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  auto site = lifecycle::transfer_site(ops, a.get("SITE"), a.get("client"));
  ctx.info(fmt::format("site '{}' belongs to client '{}'", site.name, site.client));
  return {site_json(ctx, site), {}};
}

Output remove(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  auto r = lifecycle::delete_site(ops, a.get("SITE"));
  if (!r.error) ctx.info(fmt::format("deleted site '{}' ({} deployment(s) removed)", r.site.name, r.removed.size()));
  auto j = lifecycle::to_json(r.site);
  j["removed_deployments"] = r.removed;
  return {j, {}, {}, remote_error(r.error)};
}

Output backup(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  auto r = lifecycle::backup_site(ops, a.get("SITE"));
  auto j = lifecycle::to_json(r.backup);
  j["pruned"] = nlohmann::ordered_json::array();
  for (const auto& p : r.pruned) j["pruned"].push_back(p.id);
  if (r.summary.status == run::kCompleted)
    ctx.info(fmt::format("backup {} of site '{}': {} bytes, sha256 {}", r.backup.id, r.backup.site,
                         r.backup.size.value_or(0), r.backup.sha256));
  return {j, {}, {}, outcome_error(ctx, r.summary)};
}

Output restore(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  auto summary = lifecycle::restore_site(ops, a.get("SITE"), *a.opt("backup"));
  if (summary.status == run::kCompleted) ctx.info(fmt::format("site '{}' restored from backup {}", a.get("SITE"), *a.opt("backup")));
  return {site_json(ctx, lifecycle::get_site(ctx.catalog(), a.get("SITE"))), {}, {}, outcome_error(ctx, summary)};
}

Output migrate(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  auto r = lifecycle::migrate_site(ops, a.get("SITE"), a.opt("to-host"), a.opt("to-db-host"));
  auto j = site_json(ctx, lifecycle::get_site(ctx.catalog(), a.get("SITE")));
  j["migrated_from"] = r.from_host;
  j["migrated_to"] = r.to_host;
  if (!r.error) {
    ctx.info(fmt::format("site '{}' moved from '{}' to '{}' (deployment '{}'{}); the old copy is locked on '{}'",
                         a.get("SITE"), r.from_host, r.to_host, r.deployment,
                         r.to_db_host.empty() ? "" : fmt::format(", its database from '{}' to '{}'", r.from_db_host, r.to_db_host),
                         r.from_host));
    return {j, {}};
  }
  if (r.failed.command_id) return {j, {}, {}, outcome_error(ctx, r.failed)};
  return {j, {}, {}, remote_error(r.error)};
}

}  // namespace

void add_site_commands(std::vector<Command>& t) {
  const Pos site{"SITE", "site name or id", true, false, Complete::Site};
  t.push_back({"site create",
               "create a site with a deployment: a ready copy from the reserve, else a fresh install",
               {{"NAME", "name for the new site"}},
               {{"service", "s", "the service plan", Opt::Value, "SERVICE", Complete::Service, true},
                {"client", "c", "the client who owns it (its max_sites is enforced)", Opt::Value, "CLIENT",
                 Complete::Client},
                {"host", "", "install on (or take the reserve copy from) this host", Opt::Value, "HOST",
                 Complete::Host},
                {"param", "", "a service parameter, NAME=VALUE (repeatable)", Opt::List, "NAME=VALUE"}},
               kCatalog | kMutates | kDryRun,
               create});
  t.push_back({"site list", "list sites", {}, {{"client", "c", "only this client's sites", Opt::Value, "CLIENT",
                                                Complete::Client}}, kCatalog, list});
  t.push_back({"site show", "show a site with its deployments and routes", {site}, {}, kCatalog, show});
  t.push_back({"site clone",
               "make another deployment of a site by its clone action (test copy, training copy)",
               {site},
               {{"from", "", "clone this deployment of the site (any stage; default: the active one)", Opt::Value,
                 "DEPLOYMENT", Complete::Deployment},
                {"label", "", "what the copy is for: test, training for Bill, ...", Opt::Value, "TEXT"},
                {"preview", "", "serve the copy at this preview route (test.example.org), beside production",
                 Opt::Value, "SOURCE"}},
               kCatalog | kMutates | kDryRun,
               clone});
  t.push_back({"site refresh-test",
               "copy production's files and database into the test copy again (the copy its preview routes serve)",
               {site},
               {},
               kCatalog | kMutates | kDryRun,
               refresh_test});
  t.push_back({"site switch",
               "make another deployment the active one (checked first; switched back if its routes fail)",
               {site},
               {{"to", "", "the deployment to switch to", Opt::Value, "DEPLOYMENT", Complete::Deployment, true}},
               kCatalog | kMutates | kDryRun,
               switch_to});
  t.push_back({"site upgrade",
               "move a site to another version of its plan: clone into it, run its upgrade action, switch "
               "(health-checked); the old copy is kept locked",
               {site},
               {{"to-version", "", "the plan version to move to (default: the newest registered)", Opt::Value, "N"}},
               kCatalog | kMutates | kDryRun,
               upgrade});
  t.push_back({"site launch", "launch a site: needs a primary route; activates the active-on-launch routes", {site},
               {}, kCatalog | kMutates | kDryRun, launch});
  t.push_back({"site enable", "run the enable action on the site's active deployment", {site}, {},
               kCatalog | kMutates | kDryRun, enable});
  t.push_back({"site disable", "run the disable action (routes stay as they are)", {site}, {}, kCatalog | kMutates | kDryRun,
               disable});
  t.push_back({"site protect", "make a site refuse delete and disable", {site}, {}, kCatalog | kMutates | kDryRun, protect});
  t.push_back({"site unprotect", "let a site be deleted or disabled again", {site}, {}, kCatalog | kMutates | kDryRun,
               unprotect});
  t.push_back({"site transfer", "give a site (and its deployments) to another client, within that client's quota",
               {site},
               {{"client", "c", "the client it goes to", Opt::Value, "CLIENT", Complete::Client, true}},
               kCatalog | kMutates | kDryRun, transfer});
  t.push_back({"site backup", "back up a site's active deployment (sha256 and size recorded; retention applied)",
               {site}, {}, kCatalog | kMutates | kDryRun, backup});
  t.push_back({"site restore", "restore a site from a backup (its checksum is checked first)", {site},
               {{"backup", "", "the backup to restore", Opt::Value, "ID", Complete::None, true}},
               kCatalog | kMutates | kDryRun | kDestructive, restore});
  t.push_back({"site migrate", "move a site to another host: backup, install, copy, restore, switch", {site},
               {{"to-host", "", "the web host to move to (default: the one it is on)", Opt::Value, "HOST", Complete::Host},
                {"to-db-host", "", "the database server to move its database to", Opt::Value, "HOST",
                 Complete::Host}},
               kCatalog | kMutates | kDryRun, migrate});
  t.push_back({"site delete", "delete a site: its routes, then its deployments on the hosts", {site}, {},
               kCatalog | kMutates | kDryRun | kDestructive, remove});
}

}  // namespace hostctl::cli
