// host add|list|show|edit|remove
#include <fmt/format.h>

#include "command.hpp"
#include "model/host.hpp"

namespace hostctl::cli {
namespace {

const std::vector<std::string> kListColumns = {"id", "name", "transport", "address", "port", "roles", "capacity",
                                               "verify_result"};

model::HostInput host_input(const Args& a) {
  model::HostInput in;
  in.transport = a.opt("transport");
  in.address = a.opt("address");
  in.port = a.opt("port");
  in.user = a.opt("user");
  in.identity_file = a.opt("identity");
  in.capacity = a.opt("capacity");
  in.base_dir = a.opt("base-dir");
  if (!a.all("role").empty()) in.roles = a.all("role");
  return in;
}

Output add(Context& ctx, const Args& a) {
  auto host = model::add_host(ctx.catalog(), a.get("NAME"), host_input(a));
  ctx.info(fmt::format("added host '{}'", host.name));
  return {model::to_json(host), {}};
}

Output edit(Context& ctx, const Args& a) {
  auto host = model::edit_host(ctx.catalog(), a.get("HOST"), host_input(a));
  ctx.info(fmt::format("updated host '{}'", host.name));
  return {model::to_json(host), {}};
}

Output list(Context& ctx, const Args& a) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& h : model::list_hosts(ctx.catalog(), a.opt("role"))) rows.push_back(model::to_json(h));
  return {rows, kListColumns};
}

Output show(Context& ctx, const Args& a) { return {model::to_json(model::get_host(ctx.catalog(), a.get("HOST"))), {}}; }

Output remove(Context& ctx, const Args& a) {
  auto host = model::get_host(ctx.catalog(), a.get("HOST"));
  model::remove_host(ctx.catalog(), a.get("HOST"));
  ctx.info(fmt::format("removed host '{}'", host.name));
  return {model::to_json(host), {}};
}

std::vector<Opt> host_options() {
  return {
      {"transport", "", "ssh (default) or local (the control node itself)", Opt::Value, "ssh|local"},
      {"address", "", "IP address or DNS name", Opt::Value, "ADDRESS"},
      {"port", "p", "SSH port (default 22)", Opt::Value, "PORT"},
      {"user", "u", "SSH user", Opt::Value, "USER"},
      {"identity", "i", "private key file", Opt::Value, "FILE", Complete::File},
      {"role", "r", "web, db or router (repeatable; default web)", Opt::List, "ROLE"},
      {"capacity", "", "most deployments it may hold (default 50)", Opt::Value, "N"},
      {"base-dir", "", "directory for deployments on the host (default /srv/hostctl)", Opt::Value, "PATH"},
  };
}

}  // namespace

void add_host_commands(std::vector<Command>& t) {
  const Pos host{"HOST", "host name or id", true, false, Complete::Host};
  t.push_back({"host add", "register a host", {{"NAME", "name for the new host"}}, host_options(),
               kCatalog | kMutates, add});
  t.push_back({"host list", "list hosts", {}, {{"role", "r", "only hosts with this role", Opt::Value, "ROLE"}},
               kCatalog, list});
  t.push_back({"host show", "show one host", {host}, {}, kCatalog, show});
  t.push_back({"host edit", "change a host's settings", {host}, host_options(), kCatalog | kMutates, edit});
  t.push_back({"host remove", "remove a host that holds nothing", {host}, {}, kCatalog | kMutates | kDestructive,
               remove});
}

}  // namespace hostctl::cli
