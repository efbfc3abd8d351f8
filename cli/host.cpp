// host add|list|show|edit|remove
#include <fmt/format.h>
#include <unistd.h>

#include <map>

#include "command.hpp"
#include "hostops/hostops.hpp"
#include "lifecycle/inventory.hpp"
#include "model/host.hpp"
#include "routing/certificates.hpp"
#include "core/clock.hpp"
#include "lifecycle/deployment.hpp"
#include "run_support.hpp"
#include "secrets/secrets.hpp"

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
  in.nginx_bin = a.opt("nginx-bin");
  in.nginx_conf = a.opt("nginx-conf");
  in.router_dir = a.opt("router-dir");
  in.http_listen = a.opt("http-listen");
  in.https_listen = a.opt("https-listen");
  in.web_listen = a.opt("web-listen");
  in.web_dir = a.opt("web-dir");
  in.web_conf = a.opt("web-conf");
  in.php_fpm_bin = a.opt("php-fpm-bin");
  in.php_fpm_conf = a.opt("php-fpm-conf");
  in.php_pool_dir = a.opt("php-pool-dir");
  in.db_engine = a.opt("db-engine");
  in.db_port = a.opt("db-port");
  in.db_admin_user = a.opt("db-admin-user");
  if (auto from = a.opt("db-admin-password-file"))
    in.db_admin_password = secrets::read_password(*from, "the database admin password");
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

// A static Ansible inventory (the YAML inventory format, which ansible-inventory
// reads from a file): every host under `all` with what Ansible needs to reach
// it as hostctl does, hostctl's known_hosts included; roles become groups.
nlohmann::ordered_json ansible_inventory(Context& ctx, const std::vector<model::Host>& hosts) {
  std::string ssh_args = fmt::format("-o UserKnownHostsFile={} -o StrictHostKeyChecking=yes",
                                     ctx.settings.get("known_hosts"));
  const std::string& ssh_config = ctx.settings.get("ssh_config");
  if (::access(ssh_config.c_str(), R_OK) == 0) ssh_args = fmt::format("-F {} {}", ssh_config, ssh_args);
  nlohmann::ordered_json all_hosts = nlohmann::ordered_json::object();
  std::map<std::string, nlohmann::ordered_json> groups;
  for (const auto& h : hosts) {
    nlohmann::ordered_json vars;
    if (h.transport == "local") {
      vars["ansible_connection"] = "local";
    } else {
      vars["ansible_host"] = h.address;
      vars["ansible_port"] = h.port;
      if (!h.user.empty()) vars["ansible_user"] = h.user;
      if (!h.identity_file.empty()) vars["ansible_ssh_private_key_file"] = h.identity_file;
      vars["ansible_ssh_common_args"] = ssh_args;
    }
    vars["hostctl_base_dir"] = h.base_dir;
    all_hosts[h.name] = vars;
    for (const auto& role : h.roles) groups[role]["hosts"][h.name] = nlohmann::ordered_json::object();
  }
  nlohmann::ordered_json inv;
  inv["all"]["hosts"] = all_hosts;
  inv["all"]["children"] = nlohmann::ordered_json::object();
  for (auto& [group, members] : groups) inv["all"]["children"][group] = members;
  return inv;
}

Output list(Context& ctx, const Args& a) {
  auto hosts = model::list_hosts(ctx.catalog(), a.opt("role"));
  if (ctx.output() == "ansible") return {ansible_inventory(ctx, hosts), {}, {}, {}, "yaml"};
  return listing(std::move(hosts), [](const model::Host& h) { return model::to_json(h); }, kListColumns);
}

Output show(Context& ctx, const Args& a) { return {model::to_json(model::get_host(ctx.catalog(), a.get("HOST"))), {}}; }

Output remove(Context& ctx, const Args& a) {
  auto host = model::get_host(ctx.catalog(), a.get("HOST"));
  model::remove_host(ctx.catalog(), a.get("HOST"));
  ctx.info(fmt::format("removed host '{}'", host.name));
  return {model::to_json(host), {}};
}

std::vector<model::Host> chosen_hosts(Context& ctx, const Args& a) {
  std::vector<model::Host> hosts;
  for (const auto& ref : a.all("HOST")) hosts.push_back(model::get_host(ctx.catalog(), ref));
  if (a.all("HOST").empty()) hosts = model::list_hosts(ctx.catalog());
  if (hosts.empty()) throw Error(ErrorKind::NotFound, "there are no hosts", "add one with 'hostctl host add'");
  return hosts;
}

const std::vector<std::string> kResultColumns = {"host", "status_name", "exit_code", "error", "stdout"};

Output run_on_hosts(Context& ctx, const run::CommandSpec& spec, bool accept_new_key) {
  if (ctx.dry_run) {
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (const auto& t : spec.tasks) rows.push_back({{"host", t.host_name}, {"task", t.name}, {"would_run", t.script}});
    return {rows, {}};
  }
  auto ops = make_ops(ctx);
  ops.run = run_options(ctx, accept_new_key);
  auto summary = run::execute(ops, run::begin_command(ctx.catalog(), spec));
  Output out{hostops::host_results(ctx.catalog(), summary.command_id), kResultColumns, {}, outcome_error(ctx, summary)};
  return out;
}

nlohmann::ordered_json drift_json(const std::vector<lifecycle::Drift>& drift) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& d : drift)
    rows.push_back({{"host", d.host}, {"kind", d.kind}, {"object", d.object}, {"detail", d.detail}});
  return rows;
}

Output verify(Context& ctx, const Args& a) {
  auto hosts = chosen_hosts(ctx, a);
  Output out = run_on_hosts(ctx, lifecycle::verify_spec(ctx.catalog(), hosts, ctx.settings.seconds("timeout")),
                            a.flag("accept-new-key"));
  if (ctx.dry_run || out.data.empty()) return out;
  int64_t command_id = out.data.front()["command_id"].get<int64_t>();
  auto drift = lifecycle::drift_of(ctx.catalog(), command_id);
  for (const auto& d : drift) ctx.warn(fmt::format("drift on '{}': {} {}: {}", d.host, d.kind, d.object, d.detail));
  if (a.flag("repair") && !drift.empty()) {
    auto ops = make_ops(ctx);
    auto left = lifecycle::repair(ops, drift);
    ctx.info(fmt::format("repaired {} of {} difference(s)", drift.size() - left.size(), drift.size()));
    for (const auto& d : left) ctx.warn(fmt::format("not repaired on '{}': {} {}: {}", d.host, d.kind, d.object, d.detail));
    drift = left;
  }
  auto rows = drift_json(drift);
  for (auto& row : out.data) {
    row["drift"] = nlohmann::ordered_json::array();
    for (const auto& d : rows)
      if (d["host"] == row["host"]) row["drift"].push_back(d);
    auto host = model::get_host(ctx.catalog(), row["host"].get<std::string>());
    row["expiring_certificates"] =
        routing::expiring_certificates(ctx.catalog(), now_epoch(), routing::kCertificateWarnDays, host.id);
    for (const auto& c : row["expiring_certificates"]) ctx.warn(c.get<std::string>());
  }
  // Like diff: finding a difference is an answer scripts branch on, not a failure to check.
  if (!out.error && !drift.empty())
    out.error = Error(ErrorKind::Drift,
                      fmt::format("{} difference(s) between the catalog and the hosts", drift.size()),
                      a.flag("repair") ? "see the warnings above for what could not be repaired"
                                       : "'hostctl host verify --repair' puts back what the catalog owns");
  return out;
}

Output import(Context& ctx, const Args& a) {
  auto ops = make_ops(ctx);
  auto r = lifecycle::import_host(ops, a.get("HOST"));
  for (const auto& s : r.skipped) ctx.warn("skipped " + s);
  ctx.info(fmt::format("registered {} deployment(s) and {} site(s) from host '{}'", r.registered.size(),
                       r.sites.size(), a.get("HOST")));
  nlohmann::ordered_json j;
  j["host"] = a.get("HOST");
  j["registered"] = r.registered;
  j["sites"] = r.sites;
  j["skipped"] = r.skipped;
  j["clients"] = r.clients;
  j["routes"] = r.routes;
  if (!r.routes.empty()) ctx.info(fmt::format("brought back {} route(s)", r.routes.size()));
  auto error = outcome_error(ctx, r.summary);
  return {j, {}, {}, error ? error : remote_error(r.route_error)};
}

Output exec(Context& ctx, const Args& a) {
  auto hosts = chosen_hosts(ctx, a);
  return run_on_hosts(ctx, hostops::exec_spec(hosts, a.get("--"), ctx.settings.seconds("timeout")), false);
}

std::vector<Opt> host_options() {
  return {
      {"transport", "", "ssh (default) or local (the control node itself)", Opt::Value, "ssh|local"},
      {"address", "", "IP address or DNS name", Opt::Value, "ADDRESS"},
      {"port", "p", "SSH port (default 22)", Opt::Value, "PORT"},
      {"user", "u", "SSH user", Opt::Value, "USER"},
      {"identity", "i", "private key file", Opt::Value, "FILE", Complete::File},
      {"role", "r", "web, db or router (repeatable; default web)", Opt::List, "web|db|router"},
      {"capacity", "", "most deployments it may hold (default 50)", Opt::Value, "N"},
      {"base-dir", "", "directory for deployments on the host (default /srv/hostctl)", Opt::Value, "PATH"},
      {"nginx-bin", "", "router: the nginx binary (default /usr/sbin/nginx)", Opt::Value, "PATH"},
      {"nginx-conf", "", "router: nginx's main configuration file, when not the default", Opt::Value, "PATH",
       Complete::File},
      {"router-dir", "", "router: directory included by nginx where hostctl writes server blocks", Opt::Value,
       "PATH"},
      {"http-listen", "", "router: nginx listen value for sites, PORT or ADDRESS:PORT (default 80)", Opt::Value,
       "LISTEN"},
      {"https-listen", "", "router: nginx listen value for TLS routes, PORT or ADDRESS:PORT (\"\" for none)",
       Opt::Value, "LISTEN"},
      {"web-listen", "",
       "web: ADDRESS:PORT of the host's own nginx, where routers proxy to its deployments' backend server blocks "
       "(\"\" for none: sites are served from the router's disk)",
       Opt::Value, "ADDRESS:PORT"},
      {"web-dir", "", "web: directory included by that nginx where hostctl writes backend blocks "
                      "(default /etc/nginx/hostctl-web.d)", Opt::Value, "PATH"},
      {"web-conf", "", "web: that nginx's main configuration file, when not the default", Opt::Value, "PATH",
       Complete::File},
      {"php-fpm-bin", "", "web: the php-fpm binary (default /usr/sbin/php-fpm8.2)", Opt::Value, "PATH"},
      {"php-fpm-conf", "", "web: php-fpm's main configuration file (default /etc/php/8.2/fpm/php-fpm.conf)",
       Opt::Value, "PATH", Complete::File},
      {"php-pool-dir", "", "web: directory php-fpm includes, where hostctl writes one pool per PHP deployment "
                           "(default /etc/php/8.2/fpm/pool.d)", Opt::Value, "PATH"},
      {"db-engine", "", "db: the database server the host runs, which hostctl drives with its client over SSH "
                        "(mariadb; \"\" for none)", Opt::Value, "mariadb"},
      {"db-port", "", "db: the port applications reach it on, at the host's address (default 3306)", Opt::Value,
       "PORT"},
      {"db-admin-user", "", "db: the user hostctl creates databases and users as", Opt::Value, "USER"},
      {"db-admin-password-file", "", "db: read that user's password from FILE (- for stdin); kept sealed",
       Opt::Value, "FILE", Complete::File},
  };
}

}  // namespace

void add_host_commands(std::vector<Command>& t) {
  const Pos host{"HOST", "host name or id", true, false, Complete::Host};
  t.push_back({"host add", "register a host", {{"NAME", "name for the new host"}}, host_options(),
               kCatalog | kMutates | kDryRun, add});
  t.push_back({"host list", "list hosts", {}, {{"role", "r", "only hosts with this role", Opt::Value, "web|db|router"}},
               kCatalog, list});
  t.push_back({"host show", "show one host", {host}, {}, kCatalog, show});
  t.push_back({"host edit", "change a host's settings", {host}, host_options(), kCatalog | kMutates | kDryRun, edit});
  t.push_back({"host remove", "remove a host that holds nothing", {host}, {}, kCatalog | kMutates | kDryRun | kDestructive,
               remove});
  const Pos hosts{"HOST", "host names or ids (default: every host)", false, true, Complete::Host};
  t.push_back({"host verify",
               "check hosts in parallel: reachable, trusted, base directory, the software their roles need",
               {hosts},
               {{"accept-new-key", "", "trust and record a host key seen for the first time", Opt::Flag},
                {"repair", "", "put router files and manifests back as the catalog says", Opt::Flag}},
               kCatalog | kMutates | kDryRun,
               verify});
  t.push_back({"host import",
               "register the deployments whose manifests are on a host (rebuilds a lost catalog)",
               {{"HOST", "host name or id", true, false, Complete::Host}},
               {},
               kCatalog | kMutates | kDryRun,
               import});
  t.push_back({"host exec",
               "run a shell command on hosts in parallel: hostctl host exec HOST... -- COMMAND",
               {{"HOST", "host names or ids", true, true, Complete::Host}},
               {},
               kCatalog | kMutates | kDryRun | kTrailing,
               exec});
}

}  // namespace hostctl::cli
