// client add|edit|list|show|remove
#include <fmt/format.h>

#include "command.hpp"
#include "lifecycle/site.hpp"
#include "model/client.hpp"
#include "run_support.hpp"

namespace hostctl::cli {
namespace {

Output add(Context& ctx, const Args& a) {
  auto client = model::add_client(ctx.catalog(), a.get("NAME"), a.opt("email"), a.opt("max-sites"));
  ctx.info(fmt::format("added client '{}'", client.name));
  return {model::to_json(client), {}};
}

Output list(Context& ctx, const Args&) {
  return listing(model::list_clients(ctx.catalog()), [](const model::Client& c) { return model::to_json(c); });
}

Output show(Context& ctx, const Args& a) {
  return {model::to_json(model::get_client(ctx.catalog(), a.get("CLIENT"))), {}};
}

Output edit(Context& ctx, const Args& a) {
  if (!a.opt("email") && !a.opt("max-sites"))
    throw Error(ErrorKind::Usage, "client edit needs --email or --max-sites", "hostctl client edit NAME --max-sites 20");
  auto ops = make_ops(ctx);
  auto client = lifecycle::edit_client(ops, a.get("CLIENT"), a.opt("email"), a.opt("max-sites"));
  ctx.info(fmt::format("edited client '{}'", client.name));
  return {model::to_json(client), {}};
}

Output remove(Context& ctx, const Args& a) {
  auto client = model::get_client(ctx.catalog(), a.get("CLIENT"));
  model::remove_client(ctx.catalog(), a.get("CLIENT"));
  ctx.info(fmt::format("removed client '{}'", client.name));
  return {model::to_json(client), {}};
}

}  // namespace

void add_client_commands(std::vector<Command>& t) {
  const Pos client{"CLIENT", "client name or id", true, false, Complete::Client};
  t.push_back({"client add",
               "register a client",
               {{"NAME", "name for the new client"}},
               {{"email", "", "contact address", Opt::Value, "EMAIL"},
                {"max-sites", "", "most sites the client may have (default: no limit)", Opt::Value, "N"}},
               kCatalog | kMutates | kDryRun,
               add});
  t.push_back({"client edit",
               "change a client's e-mail or quota of sites",
               {client},
               {{"email", "", "contact address", Opt::Value, "EMAIL"},
                {"max-sites", "", "most sites the client may have (none: no limit); not below what it has",
                 Opt::Value, "N"}},
               kCatalog | kMutates | kDryRun,
               edit});
  t.push_back({"client list", "list clients", {}, {}, kCatalog, list});
  t.push_back({"client show", "show one client", {client}, {}, kCatalog, show});
  t.push_back({"client remove", "remove a client that owns no sites", {client}, {},
               kCatalog | kMutates | kDryRun | kDestructive, remove});
}

}  // namespace hostctl::cli
