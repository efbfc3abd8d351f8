// deployservice; deployment list|show|secret|lock|unlock|archive|delete|verify
#include <fmt/format.h>

#include "command.hpp"
#include "lifecycle/deployment.hpp"
#include "run_support.hpp"

namespace hostctl::cli {
namespace {

const std::vector<std::string> kColumns = {"id", "name", "service", "host", "site", "stage", "status_name", "active",
                                           "label"};

Output deploy(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  auto r = lifecycle::deploy_service(ops, a.get("SERVICE"), a.opt("host"), a.opt("client"), a.all("param"),
                                     a.opt("label").value_or(""), a.flag("async"), a.flag("reserve"));
  if (a.flag("async")) {
    auto j = lifecycle::to_json(r.deployment);
    j["command_id"] = r.summary.command_id;
    return {j, {}};
  }
  if (r.summary.status == run::kCompleted)
    ctx.info(fmt::format("deployment '{}' is ready on host '{}'", r.deployment.name, r.deployment.host));
  return {lifecycle::to_json(r.deployment), {}, {}, outcome_error(ctx, r.summary)};
}

Output list(Context& ctx, const Args& a) {
  lifecycle::DeploymentFilter f{a.opt("site"), a.opt("service"), a.opt("host"), a.opt("stage"), a.flag("all")};
  return listing(lifecycle::list_deployments(ctx.catalog(), f),
                 [](const lifecycle::Deployment& d) { return lifecycle::to_json(d); }, kColumns);
}

Output show(Context& ctx, const Args& a) {
  auto d = lifecycle::get_deployment(ctx.catalog(), a.get("DEPLOYMENT"));
  auto j = lifecycle::to_json(d);
  nlohmann::ordered_json facts = nlohmann::ordered_json::object(), packages = nlohmann::ordered_json::object();
  catalog::Statement f(ctx.catalog().db(), "SELECT key, value FROM fact WHERE deployment_id = ? ORDER BY key");
  f.bind(1, d.id);
  while (f.executeStep()) facts[f.getColumn(0).getString()] = f.getColumn(1).getString();
  catalog::Statement p(ctx.catalog().db(), "SELECT name, version FROM package WHERE deployment_id = ? ORDER BY name");
  p.bind(1, d.id);
  while (p.executeStep()) packages[p.getColumn(0).getString()] = p.getColumn(1).getString();
  j["facts"] = facts;
  j["packages"] = packages;
  return {j, {}};
}

// Hands a secret to the operator: on a terminal, or with --yes where it goes
// to a pipe or a file, so a script takes it only on purpose.
Output secret_show(Context& ctx, const Args& a) {
  if (!ctx.stdout_tty && !ctx.yes)
    throw Error(ErrorKind::Refused, "the secret would be written to a pipe or a file, not a terminal",
                "add --yes to hand it over there");
  std::string value = lifecycle::reveal_secret(ctx.catalog(), a.get("DEPLOYMENT"), a.get("SECRET"));
  return {{{"deployment", a.get("DEPLOYMENT")}, {"name", a.get("SECRET")}, {"value", value}}, {}, value};
}

Output finish(Context& ctx, const std::string& ref, const run::RunSummary& summary) {
  return {lifecycle::to_json(lifecycle::get_deployment(ctx.catalog(), ref)), {}, {}, outcome_error(ctx, summary)};
}

Output lock(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  return finish(ctx, a.get("DEPLOYMENT"), lifecycle::change_stage(ops, a.get("DEPLOYMENT"), model::Stage::Lock));
}

Output unlock(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  return finish(ctx, a.get("DEPLOYMENT"), lifecycle::change_stage(ops, a.get("DEPLOYMENT"), model::Stage::Allocate));
}

Output archive(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  return finish(ctx, a.get("DEPLOYMENT"), lifecycle::change_stage(ops, a.get("DEPLOYMENT"), model::Stage::Archive));
}

Output remove(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  return finish(ctx, a.get("DEPLOYMENT"), lifecycle::remove_deployment(ops, a.get("DEPLOYMENT"), false));
}

Output verify(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  return finish(ctx, a.get("DEPLOYMENT"), lifecycle::verify_deployment(ops, a.get("DEPLOYMENT")));
}

}  // namespace

void add_deployment_commands(std::vector<Command>& t) {
  t.push_back({"deployservice",
               "install a new deployment of a service (ready once its verify action passes)",
               {{"SERVICE", "service name or id", true, false, Complete::Service}},
               {{"host", "", "the host to install on (default: least loaded with the plan's roles)", Opt::Value,
                 "HOST", Complete::Host},
                {"client", "", "the client it is for", Opt::Value, "CLIENT", Complete::Client},
                {"param", "", "a service parameter, NAME=VALUE (repeatable)", Opt::List, "NAME=VALUE"},
                {"label", "", "a description such as 'training for Bill'", Opt::Value, "TEXT"},
                {"async", "", "queue the install for 'hostctl queue run tasks' instead of running it now", Opt::Flag},
                {"reserve", "", "make it a reserve copy that 'site create' may take (no label, no client)",
                 Opt::Flag}},
               kCatalog | kMutates | kDryRun,
               deploy});
  const Pos dep{"DEPLOYMENT", "deployment name or id", true, false, Complete::Deployment};
  t.push_back({"deployment list",
               "list deployments (removed ones with --all)",
               {},
               {{"site", "", "only this site's", Opt::Value, "SITE", Complete::Site},
                {"service", "", "only this service's", Opt::Value, "SERVICE", Complete::Service},
                {"host", "", "only on this host", Opt::Value, "HOST", Complete::Host},
                {"stage", "", "only in this stage", Opt::Value, "STAGE"},
                {"all", "", "include removed deployments", Opt::Flag}},
               kCatalog,
               list});
  t.push_back({"deployment show", "show a deployment with its facts and packages", {dep}, {}, kCatalog, show});
  t.push_back({"deployment secret",
               "print one of a deployment's secrets (db_password, a secret parameter); recorded in the audit trail",
               {dep, {"SECRET", "the secret's name: db_password, or a secret parameter's"}},
               {},
               kCatalog | kMutates | kDryRun,
               secret_show});
  t.push_back({"deployment lock", "keep a deployment read-only (stage lock), the active one too", {dep}, {},
               kCatalog | kMutates | kDryRun, lock});
  t.push_back({"deployment unlock", "make a locked deployment writable again (stage allocate)", {dep}, {},
               kCatalog | kMutates | kDryRun, unlock});
  t.push_back({"deployment archive", "keep a deployment, not served (stage archive)", {dep}, {}, kCatalog | kMutates | kDryRun,
               archive});
  t.push_back({"deployment delete", "remove a deployment from its host (kept as history, REMOVED)", {dep}, {},
               kCatalog | kMutates | kDryRun | kDestructive, remove});
  t.push_back({"deployment verify", "run a deployment's verify action; record its facts and packages", {dep}, {},
               kCatalog | kMutates | kDryRun, verify});
}

}  // namespace hostctl::cli
