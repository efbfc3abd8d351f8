// Hosts: machines reached over SSH, or the control node itself (local).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"

namespace hostctl::model {

struct Host {
  int64_t id = 0;
  std::string name;
  std::string transport = "ssh";
  std::string address;
  int port = 22;
  std::string user;
  std::string identity_file;
  std::vector<std::string> roles;
  int64_t capacity = 50;
  std::string base_dir = "/srv/hostctl";
  // For routers: how hostctl drives their nginx.
  std::string nginx_bin = "/usr/sbin/nginx";
  std::string nginx_conf;  // empty: nginx's compiled-in configuration
  std::string router_dir = "/etc/nginx/hostctl.d";
  std::string http_listen = "80";  // nginx "listen" value: PORT or ADDRESS:PORT
  std::string https_listen;        // the same for HTTPS; "" : the router serves no TLS route
  // For web hosts with a managed nginx (web_listen set): where hostctl writes
  // each deployment's backend server block, and that nginx's configuration.
  std::string web_listen;  // ADDRESS:PORT the routers proxy to; "" : none
  std::string web_dir = "/etc/nginx/hostctl-web.d";
  std::string web_conf;  // empty: nginx's compiled-in configuration
  // For web hosts with PHP deployments: the php-fpm hostctl writes pools for.
  std::string php_fpm_bin = "/usr/sbin/php-fpm8.2";
  std::string php_fpm_conf = "/etc/php/8.2/fpm/php-fpm.conf";
  std::string php_pool_dir = "/etc/php/8.2/fpm/pool.d";
  // For database servers (role db): the engine hostctl drives with its client
  // on the host, where applications reach it (the host's address), and the
  // admin user; the admin password is a secret (secrets::load "host", id, kDbAdminPassword).
  std::string db_engine;  // "" or "mariadb"
  int db_port = 3306;
  std::string db_admin_user;
  std::optional<std::string> verified_at;
  std::optional<std::string> verify_result;
  std::string created_at;
};

// What an operator typed for `host add` / `host edit`: unset fields are left as they are.
struct HostInput {
  std::optional<std::string> transport, address, port, user, identity_file, capacity, base_dir;
  std::optional<std::string> nginx_bin, nginx_conf, router_dir, http_listen, https_listen, web_listen, web_dir, web_conf;
  std::optional<std::string> php_fpm_bin, php_fpm_conf, php_pool_dir;
  std::optional<std::string> db_engine, db_port, db_admin_user, db_admin_password;
  std::optional<std::vector<std::string>> roles;
};

// The name of a db host's admin password among its secrets.
inline constexpr const char* kDbAdminPassword = "db_admin_password";

Host add_host(catalog::Catalog& catalog, const std::string& name, const HostInput& input);
Host edit_host(catalog::Catalog& catalog, const std::string& ref, const HostInput& input);
void remove_host(catalog::Catalog& catalog, const std::string& ref);
Host get_host(catalog::Catalog& catalog, const std::string& ref);
std::vector<Host> list_hosts(catalog::Catalog& catalog, const std::optional<std::string>& role = {});

nlohmann::ordered_json to_json(const Host& host);

// Where an HTTP check of this router connects: ADDRESS:PORT from http_listen,
// or the host's address with that port.
std::pair<std::string, int> http_endpoint(const Host& router);
// Where an HTTPS check of this router connects (https_listen set).
std::pair<std::string, int> https_endpoint(const Host& router);
// Where a router proxies to this web host's backends (web_listen).
std::pair<std::string, int> web_endpoint(const Host& web);

}  // namespace hostctl::model
