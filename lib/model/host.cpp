#include "model/host.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <regex>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "model/lookup.hpp"
#include "model/validate.hpp"
#include "secrets/secrets.hpp"

namespace hostctl::model {
namespace {

// Applies `input` to `host`, checking every field; throws Usage on the first bad one.
void apply(Host& host, const HostInput& input) {
  if (input.transport) {
    if (*input.transport != "ssh" && *input.transport != "local")
      require("must be ssh or local", "transport", *input.transport);
    host.transport = *input.transport;
  }
  if (input.address) {
    require(check_address(*input.address), "address", *input.address);
    host.address = *input.address;
  }
  if (input.port) require(check_port(*input.port, host.port), "port", *input.port);
  if (input.user) {
    require(check_unix_user(*input.user), "user", *input.user);
    host.user = *input.user;
  }
  if (input.identity_file) {
    require(check_abs_path(*input.identity_file), "identity file", *input.identity_file);
    host.identity_file = *input.identity_file;
  }
  if (input.capacity) {
    int64_t capacity = 0;
    require(check_count(*input.capacity, capacity), "capacity", *input.capacity);
    host.capacity = capacity;
  }
  if (input.base_dir) {
    require(check_abs_path(*input.base_dir), "base directory", *input.base_dir);
    if (*input.base_dir == "/") require("must not be /", "base directory", *input.base_dir);
    host.base_dir = *input.base_dir;
  }
  if (input.nginx_bin) {
    require(check_abs_path(*input.nginx_bin), "nginx binary", *input.nginx_bin);
    host.nginx_bin = *input.nginx_bin;
  }
  if (input.nginx_conf) {
    if (!input.nginx_conf->empty()) require(check_abs_path(*input.nginx_conf), "nginx configuration", *input.nginx_conf);
    host.nginx_conf = *input.nginx_conf;
  }
  if (input.router_dir) {
    require(check_abs_path(*input.router_dir), "router directory", *input.router_dir);
    host.router_dir = *input.router_dir;
  }
  static const std::regex listen_re("^([0-9]{1,3}(\\.[0-9]{1,3}){3}:)?[0-9]{1,5}$");
  if (input.http_listen) {
    if (!std::regex_match(*input.http_listen, listen_re))
      require("must be PORT or IPv4-ADDRESS:PORT", "http listen", *input.http_listen);
    host.http_listen = *input.http_listen;
  }
  if (input.https_listen) {
    if (!input.https_listen->empty() && !std::regex_match(*input.https_listen, listen_re))
      require("must be PORT or IPv4-ADDRESS:PORT (or empty for none)", "https listen", *input.https_listen);
    host.https_listen = *input.https_listen;
  }
  if (input.web_listen) {
    // An address of its own: a router on another machine connects to it.
    static const std::regex web_re("^[0-9]{1,3}(\\.[0-9]{1,3}){3}:[0-9]{1,5}$");
    if (!input.web_listen->empty() && !std::regex_match(*input.web_listen, web_re))
      require("must be IPv4-ADDRESS:PORT (or empty for none)", "web listen", *input.web_listen);
    host.web_listen = *input.web_listen;
  }
  if (input.web_dir) {
    require(check_abs_path(*input.web_dir), "web directory", *input.web_dir);
    host.web_dir = *input.web_dir;
  }
  if (input.web_conf) {
    if (!input.web_conf->empty()) require(check_abs_path(*input.web_conf), "web nginx configuration", *input.web_conf);
    host.web_conf = *input.web_conf;
  }
  if (input.php_fpm_bin) {
    require(check_abs_path(*input.php_fpm_bin), "php-fpm binary", *input.php_fpm_bin);
    host.php_fpm_bin = *input.php_fpm_bin;
  }
  if (input.php_fpm_conf) {
    require(check_abs_path(*input.php_fpm_conf), "php-fpm configuration", *input.php_fpm_conf);
    host.php_fpm_conf = *input.php_fpm_conf;
  }
  if (input.php_pool_dir) {
    require(check_abs_path(*input.php_pool_dir), "php pool directory", *input.php_pool_dir);
    host.php_pool_dir = *input.php_pool_dir;
  }
  // Each sync owns every hostctl-*.conf of its directory.
  if (!host.web_listen.empty() && host.web_dir == host.router_dir)
    require("must differ from the router directory", "web directory", host.web_dir);
  if (!host.web_listen.empty() && (host.php_pool_dir == host.web_dir || host.php_pool_dir == host.router_dir))
    require("must differ from the web and router directories", "php pool directory", host.php_pool_dir);
  if (input.roles) {
    std::vector<std::string> roles;
    for (const auto& role : *input.roles) {
      require(check_role(role), "role", role);
      if (std::find(roles.begin(), roles.end(), role) == roles.end()) roles.push_back(role);
    }
    std::sort(roles.begin(), roles.end());
    host.roles = roles;
  }
  if (input.db_engine) {
    if (!input.db_engine->empty() && *input.db_engine != "mariadb")
      require("must be mariadb (or \"\" for none)", "database engine", *input.db_engine);
    host.db_engine = *input.db_engine;
  }
  if (input.db_port) require(check_port(*input.db_port, host.db_port), "database port", *input.db_port);
  if (input.db_admin_user) {
    static const std::regex db_user_re("^[A-Za-z0-9_]{1,32}$");
    if (!std::regex_match(*input.db_admin_user, db_user_re))
      require("must be 1-32 letters, digits or _", "database admin user", *input.db_admin_user);
    host.db_admin_user = *input.db_admin_user;
  }
  if (input.db_admin_password && input.db_admin_password->find_first_of("\n\r") != std::string::npos)
    throw Error(ErrorKind::Usage, "the database admin password must be one line");
  // The db role alone stays a label; with an engine the host is a database server.
  if (!host.db_engine.empty() && std::find(host.roles.begin(), host.roles.end(), "db") == host.roles.end())
    throw Error(ErrorKind::Usage, fmt::format("host '{}' has a --db-engine but not the db role (--role db)", host.name));
  if (!host.db_engine.empty() && host.db_admin_user.empty())
    throw Error(ErrorKind::Usage, fmt::format("database server '{}' needs --db-admin-user", host.name));
  if (host.transport == "ssh" && host.address.empty())
    throw Error(ErrorKind::Usage, fmt::format("host '{}' uses ssh and needs --address", host.name));
}

void save_roles(catalog::Connection& db, const Host& host) {
  catalog::Statement clear(db, "DELETE FROM host_role WHERE host_id = ?");
  clear.bind(1, host.id);
  clear.exec();
  for (const auto& role : host.roles) {
    catalog::Statement add(db, "INSERT INTO host_role(host_id, role) VALUES (?, ?)");
    add.bind(1, host.id);
    add.bind(2, role);
    add.exec();
  }
}

Host read_host(catalog::Connection& db, int64_t id) {
  catalog::Statement q(db,
                       "SELECT id, name, transport, address, port, login_user, identity_file, capacity, base_dir, "
                       "verified_at, verify_result, created_at, nginx_bin, nginx_conf, router_dir, http_listen, "
                       "web_listen, web_dir, web_conf, https_listen, php_fpm_bin, php_fpm_conf, php_pool_dir, db_engine, db_port, "
                       "db_admin_user FROM host WHERE id = ?");
  q.bind(1, id);
  if (!q.executeStep()) throw Error(ErrorKind::NotFound, fmt::format("host {} not found", id));
  Host h;
  h.id = q.getColumn(0).getInt64();
  h.name = q.getColumn(1).getString();
  h.transport = q.getColumn(2).getString();
  h.address = q.getColumn(3).getString();
  h.port = q.getColumn(4).getInt();
  h.user = q.getColumn(5).getString();
  h.identity_file = q.getColumn(6).getString();
  h.capacity = q.getColumn(7).getInt64();
  h.base_dir = q.getColumn(8).getString();
  if (!q.getColumn(9).isNull()) h.verified_at = q.getColumn(9).getString();
  if (!q.getColumn(10).isNull()) h.verify_result = q.getColumn(10).getString();
  h.created_at = q.getColumn(11).getString();
  h.nginx_bin = q.getColumn(12).getString();
  h.nginx_conf = q.getColumn(13).getString();
  h.router_dir = q.getColumn(14).getString();
  h.http_listen = q.getColumn(15).getString();
  h.web_listen = q.getColumn(16).getString();
  h.web_dir = q.getColumn(17).getString();
  h.web_conf = q.getColumn(18).getString();
  h.https_listen = q.getColumn(19).getString();
  h.php_fpm_bin = q.getColumn(20).getString();
  h.php_fpm_conf = q.getColumn(21).getString();
  h.php_pool_dir = q.getColumn(22).getString();
  h.db_engine = q.getColumn(23).getString();
  h.db_port = q.getColumn(24).getInt();
  h.db_admin_user = q.getColumn(25).getString();
  catalog::Statement roles(db, "SELECT role FROM host_role WHERE host_id = ? ORDER BY role");
  roles.bind(1, id);
  while (roles.executeStep()) h.roles.push_back(roles.getColumn(0).getString());
  return h;
}

void write_fields(catalog::Statement& st, const Host& h) {
  st.bind(":transport", h.transport);
  st.bind(":address", h.address);
  st.bind(":port", h.port);
  st.bind(":login_user", h.user);
  st.bind(":identity_file", h.identity_file);
  st.bind(":capacity", h.capacity);
  st.bind(":base_dir", h.base_dir);
  st.bind(":nginx_bin", h.nginx_bin);
  st.bind(":nginx_conf", h.nginx_conf);
  st.bind(":router_dir", h.router_dir);
  st.bind(":http_listen", h.http_listen);
  st.bind(":web_listen", h.web_listen);
  st.bind(":web_dir", h.web_dir);
  st.bind(":web_conf", h.web_conf);
  st.bind(":https_listen", h.https_listen);
  st.bind(":php_fpm_bin", h.php_fpm_bin);
  st.bind(":php_fpm_conf", h.php_fpm_conf);
  st.bind(":php_pool_dir", h.php_pool_dir);
  st.bind(":db_engine", h.db_engine);
  st.bind(":db_port", h.db_port);
  st.bind(":db_admin_user", h.db_admin_user);
}

// The admin password, given once at add or edit, is kept sealed.
void save_admin_password(catalog::Catalog& catalog, const Host& host, const HostInput& input) {
  if (input.db_admin_password) secrets::store(catalog, "host", host.id, kDbAdminPassword, *input.db_admin_password);
  if (!host.db_engine.empty() && !secrets::load(catalog, "host", host.id, kDbAdminPassword))
    throw Error(ErrorKind::Usage, fmt::format("database server '{}' needs its admin password "
                                              "(--db-admin-password-file FILE, or - for stdin)", host.name));
}

}  // namespace

Host add_host(catalog::Catalog& catalog, const std::string& name, const HostInput& input) {
  require_name("host name", name);
  Host host;
  host.name = name;
  host.roles = {"web"};
  apply(host, input);
  auto& db = catalog.db();
  catalog::Write write(catalog, "host add " + name);
  catalog::Statement exists(db, "SELECT 1 FROM host WHERE name = ?");
  exists.bind(1, name);
  if (exists.executeStep())
    throw Error(ErrorKind::Refused, fmt::format("host '{}' already exists", name),
                "use 'hostctl host edit' to change it");
  catalog::Statement insert(db,
                            "INSERT INTO host(name, transport, address, port, login_user, identity_file, capacity, "
                            "base_dir, nginx_bin, nginx_conf, router_dir, http_listen, web_listen, web_dir, web_conf, "
                            "https_listen, php_fpm_bin, php_fpm_conf, php_pool_dir, db_engine, db_port, db_admin_user, created_at) "
                            "VALUES (:name, :transport, :address, :port, :login_user, :identity_file, "
                            ":capacity, :base_dir, :nginx_bin, :nginx_conf, :router_dir, :http_listen, :web_listen, "
                            ":web_dir, :web_conf, :https_listen, :php_fpm_bin, :php_fpm_conf, :php_pool_dir, :db_engine, :db_port, "
                            ":db_admin_user, :created_at) RETURNING id");
  insert.bind(":name", name);
  write_fields(insert, host);
  insert.bind(":created_at", now_utc());
  host.id = catalog::insert_returning_id(insert);
  save_roles(db, host);
  save_admin_password(catalog, host, input);
  Host saved = read_host(db, host.id);
  write.commit();
  return saved;
}

Host edit_host(catalog::Catalog& catalog, const std::string& ref, const HostInput& input) {
  auto& db = catalog.db();
  catalog::Write write(catalog, "host edit " + ref);
  Host host = read_host(db, find_id(db, "host", "host", ref));
  apply(host, input);
  catalog::Statement update(db,
                            "UPDATE host SET transport = :transport, address = :address, port = :port, "
                            "login_user = :login_user, identity_file = :identity_file, capacity = :capacity, "
                            "base_dir = :base_dir, nginx_bin = :nginx_bin, nginx_conf = :nginx_conf, "
                            "router_dir = :router_dir, http_listen = :http_listen, web_listen = :web_listen, "
                            "web_dir = :web_dir, web_conf = :web_conf, https_listen = :https_listen, php_fpm_bin = :php_fpm_bin, "
                            "php_fpm_conf = :php_fpm_conf, php_pool_dir = :php_pool_dir, db_engine = :db_engine, "
                            "db_port = :db_port, db_admin_user = :db_admin_user WHERE id = :id");
  write_fields(update, host);
  update.bind(":id", host.id);
  update.exec();
  save_roles(db, host);
  save_admin_password(catalog, host, input);
  Host saved = read_host(db, host.id);
  write.commit();
  return saved;
}

void remove_host(catalog::Catalog& catalog, const std::string& ref) {
  auto& db = catalog.db();
  catalog::Write write(catalog, "host remove " + ref);
  int64_t id = find_id(db, "host", "host", ref);
  catalog::Statement used(db,
                          "SELECT (SELECT count(*) FROM deployment WHERE (host_id = ?1 OR db_host_id = ?1) AND stage != 'removed') + "
                          "(SELECT count(*) FROM route WHERE router_id = ?1)");
  used.bind(1, id);
  used.executeStep();
  int64_t n = used.getColumn(0).getInt64();
  used.reset();
  if (n > 0)
    throw Error(ErrorKind::Refused,
                fmt::format("host {} still holds {} deployment(s) or route(s)", shown(ref), n),
                "migrate or delete them first");
  secrets::forget(catalog, "host", id);
  catalog::Statement del(db, "DELETE FROM host WHERE id = ?");
  del.bind(1, id);
  del.exec();
  write.commit();
}

Host get_host(catalog::Catalog& catalog, const std::string& ref) {
  return read_host(catalog.db(), find_id(catalog.db(), "host", "host", ref));
}

std::vector<Host> list_hosts(catalog::Catalog& catalog, const std::optional<std::string>& role) {
  if (role) require(check_role(*role), "role", *role);
  auto& db = catalog.db();
  catalog::Statement q(db, role ? "SELECT h.id FROM host h JOIN host_role r ON r.host_id = h.id "
                                 "WHERE r.role = ? ORDER BY h.name"
                               : "SELECT id FROM host ORDER BY name");
  if (role) q.bind(1, *role);
  std::vector<Host> hosts;
  while (q.executeStep()) hosts.push_back(read_host(db, q.getColumn(0).getInt64()));
  return hosts;
}

nlohmann::ordered_json to_json(const Host& h) {
  nlohmann::ordered_json j;
  j["id"] = h.id;
  j["name"] = h.name;
  j["transport"] = h.transport;
  j["address"] = h.address;
  j["port"] = h.port;
  j["user"] = h.user;
  j["identity_file"] = h.identity_file;
  j["roles"] = h.roles;
  j["capacity"] = h.capacity;
  j["base_dir"] = h.base_dir;
  j["nginx_bin"] = h.nginx_bin;
  j["nginx_conf"] = h.nginx_conf;
  j["router_dir"] = h.router_dir;
  j["http_listen"] = h.http_listen;
  j["https_listen"] = h.https_listen;
  j["web_listen"] = h.web_listen;
  j["web_dir"] = h.web_dir;
  j["web_conf"] = h.web_conf;
  j["php_fpm_bin"] = h.php_fpm_bin;
  j["php_fpm_conf"] = h.php_fpm_conf;
  j["php_pool_dir"] = h.php_pool_dir;
  // PHP runs as the user hostctl logs in as ("" on the control node: its own user).
  j["php_user"] = h.transport == "local" ? "" : h.user;
  j["db_engine"] = h.db_engine;
  j["db_port"] = h.db_port;
  j["db_admin_user"] = h.db_admin_user;
  j["verified_at"] = h.verified_at ? nlohmann::ordered_json(*h.verified_at) : nullptr;
  j["verify_result"] = h.verify_result ? nlohmann::ordered_json(*h.verify_result) : nullptr;
  j["created_at"] = h.created_at;
  return j;
}

}  // namespace hostctl::model

namespace hostctl::model {

namespace {

std::pair<std::string, int> listen_endpoint(const Host& router, const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos)
    return {router.transport == "local" ? "127.0.0.1" : router.address, std::stoi(listen)};
  return {listen.substr(0, colon), std::stoi(listen.substr(colon + 1))};
}

}  // namespace

std::pair<std::string, int> http_endpoint(const Host& router) { return listen_endpoint(router, router.http_listen); }

std::pair<std::string, int> https_endpoint(const Host& router) { return listen_endpoint(router, router.https_listen); }

std::pair<std::string, int> web_endpoint(const Host& web) {
  auto colon = web.web_listen.rfind(':');
  return {web.web_listen.substr(0, colon), std::stoi(web.web_listen.substr(colon + 1))};
}

}  // namespace hostctl::model
