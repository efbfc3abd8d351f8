#include "routing/routing.hpp"
#include "routing/certificates.hpp"

#include <fmt/format.h>

#include <chrono>
#include <functional>
#include <regex>
#include <set>
#include <thread>
#include <tuple>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "model/lookup.hpp"
#include "model/validate.hpp"
#include "run/command.hpp"
#include "run/operation.hpp"
#include "service/store.hpp"

namespace hostctl::routing {
namespace {

// A route's certificate is its domain's: the source itself, or the source up
// to its path ("example.com/shop").
const std::string kSelect = std::string(
    "SELECT r.id, r.source, r.site_id, s.name, r.router_id, coalesce(h.name, ''), r.active, r.is_primary, "
    "r.active_on_launch, r.created_at, r.redirect, s.enabled, r.tls, coalesce(c.issuer, ''), "
    "coalesce(c.serial, ''), coalesce(c.not_after, ''), c.id IS NOT NULL AND h.https_listen != '', "
    "r.deployment_id, coalesce(p.name, '') "
    "FROM route r JOIN site s ON s.id = r.site_id LEFT JOIN host h ON h.id = r.router_id "
    "LEFT JOIN deployment p ON p.id = r.deployment_id "
    "LEFT JOIN certificate c ON c.router_id = r.router_id "
    "AND (c.domain = r.source OR r.source LIKE c.domain || '/%') ");

void split(Route& r) {
  auto slash = r.source.find('/');
  r.domain = r.source.substr(0, slash);
  r.path = slash == std::string::npos ? "" : r.source.substr(slash);
}

Route read_row(catalog::Statement& q) {
  Route r;
  r.id = q.getColumn(0).getInt64();
  r.source = q.getColumn(1).getString();
  r.site_id = q.getColumn(2).getInt64();
  r.site = q.getColumn(3).getString();
  if (!q.getColumn(4).isNull()) r.router_id = q.getColumn(4).getInt64();
  r.router = q.getColumn(5).getString();
  r.active = q.getColumn(6).getInt() != 0;
  r.primary = q.getColumn(7).getInt() != 0;
  r.active_on_launch = q.getColumn(8).getInt() != 0;
  r.created_at = q.getColumn(9).getString();
  r.redirect = q.getColumn(10).getInt() != 0;
  r.site_enabled = q.getColumn(11).getInt() != 0;
  r.tls = q.getColumn(12).getString();
  r.cert_issuer = q.getColumn(13).getString();
  r.cert_serial = q.getColumn(14).getString();
  r.cert_not_after = q.getColumn(15).getString();
  r.https = q.getColumn(16).getInt() != 0;
  if (!q.getColumn(17).isNull()) r.preview_id = q.getColumn(17).getInt64();
  r.preview = q.getColumn(18).getString();
  split(r);
  return r;
}

std::vector<Route> query(catalog::Catalog& catalog, const std::string& where, std::optional<int64_t> id) {
  catalog::Statement q(catalog.db(), kSelect + where + " ORDER BY r.source");
  if (id) q.bind(1, *id);
  std::vector<Route> out;
  while (q.executeStep()) out.push_back(read_row(q));
  return out;
}

model::RuleSite site_rules(catalog::Catalog& catalog, int64_t site_id) {
  catalog::Statement q(catalog.db(), "SELECT name, launched, protected FROM site WHERE id = ?");
  q.bind(1, site_id);
  if (!q.executeStep()) throw Error(ErrorKind::NotFound, fmt::format("site {} not found", site_id));
  return {q.getColumn(0).getString(), q.getColumn(1).getInt() != 0, q.getColumn(2).getInt() != 0};
}

// The deployment a site serves, and the host that holds it.
struct ActiveCopy {
  int64_t id = 0, host_id = 0;
  std::string name, directory;
};

std::optional<ActiveCopy> active_copy(catalog::Catalog& catalog, int64_t site_id) {
  catalog::Statement q(catalog.db(),
                       "SELECT id, host_id, name, directory FROM deployment WHERE site_id = ? AND active = 1");
  q.bind(1, site_id);
  if (!q.executeStep()) return std::nullopt;
  return ActiveCopy{q.getColumn(0).getInt64(), q.getColumn(1).getInt64(), q.getColumn(2).getString(),
                    q.getColumn(3).getString()};
}

// The deployment a route serves: its preview deployment, or its site's active one.
std::optional<ActiveCopy> served_copy(catalog::Catalog& catalog, const Route& r) {
  if (!r.preview_id) return active_copy(catalog, r.site_id);
  catalog::Statement q(catalog.db(), "SELECT id, host_id, name, directory FROM deployment WHERE id = ? AND stage != 'removed'");
  q.bind(1, *r.preview_id);
  if (!q.executeStep()) return std::nullopt;
  return ActiveCopy{q.getColumn(0).getInt64(), q.getColumn(1).getInt64(), q.getColumn(2).getString(),
                    q.getColumn(3).getString()};
}

// Where a router sends a location: to the deployment's backend block on its
// web host (so the router needs none of its files), or, for a host without a
// managed web server, to the directory on the router's own disk.
std::string location_body(catalog::Catalog& catalog, const ActiveCopy& copy, bool prefix) {
  auto host = model::get_host(catalog, std::to_string(copy.host_id));
  if (host.web_listen.empty())
    return prefix ? fmt::format("        alias {}/public/;\n        index index.html;\n", copy.directory)
                  : fmt::format("        root {}/public;\n        index index.html;\n", copy.directory);
  return fmt::format(
      "        proxy_pass http://{}{};\n"
      "        proxy_set_header Host {};\n"
      // (with the port the client used, so an application's canonical-URL check matches its home URL)
      "        proxy_set_header X-Forwarded-Host $http_host;\n"
      "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
      "        proxy_set_header X-Forwarded-Proto $scheme;\n",
      host.web_listen, prefix ? "/" : "", backend_name(copy.id));
}

// Writes the files, keeps the old ones, checks the server's configuration,
// restores on failure, reloads: nginx (-t, -s reload) or php-fpm (-t, USR2).
constexpr const char* kSyncScript = R"sh(set -u
dir=$HOSTCTL_SYNC_DIR
conf=$HOSTCTL_SYNC_CONF
if [ "$HOSTCTL_SYNC_SERVER" = php-fpm ]; then
  # Nothing to write and nothing written before: the host need not run PHP at all.
  if [ -z "$HOSTCTL_SYNC_FILES" ] && ! ls "$dir"/hostctl-*.conf >/dev/null 2>&1; then exit 0; fi
  set -- "$HOSTCTL_SYNC_BIN" -y "$conf"
else
  set -- "$HOSTCTL_SYNC_BIN"
  [ -z "$conf" ] || set -- "$@" -p "$(dirname "$conf")/" -c "$conf"
fi
mkdir -p "$dir" || exit 3
old=$(mktemp -d) || exit 3
for f in "$dir"/hostctl-*.conf; do [ -e "$f" ] && cp -p "$f" "$old/"; done
rm -f "$dir"/hostctl-*.conf
printf '%s' "$HOSTCTL_SYNC_FILES" | awk -v dir="$dir" '
  /^### hostctl-file: / { if (out) close(out); out = dir "/" substr($0, 19); printf "" > out; next }
  out { print > out }'
if ! "$@" -t 2>&1; then
  rm -f "$dir"/hostctl-*.conf
  for f in "$old"/hostctl-*.conf; do [ -e "$f" ] && cp -p "$f" "$dir/"; done
  rm -rf "$old"
  echo "$HOSTCTL_SYNC_SERVER -t rejected the new configuration; the previous files are back in place" >&2
  exit 4
fi
rm -rf "$old"
if [ "$HOSTCTL_SYNC_SERVER" = php-fpm ]; then
  pidfile=$(sed -n 's/^[[:space:]]*pid[[:space:]]*=[[:space:]]*//p' "$conf" | head -n 1)
  kill -USR2 "$(cat "${pidfile:-/run/php/php-fpm.pid}" 2>/dev/null)" 2>/dev/null ||
    { echo "php-fpm is not running (no process in ${pidfile:-/run/php/php-fpm.pid})" >&2; exit 5; }
  echo "@hostctl set php_pools=$(ls "$dir" | grep -c '^hostctl-.*\.conf$')"
  # Reloaded once every pool's socket is there again.
  i=0
  for sock in $(sed -n 's/^listen = //p' "$dir"/hostctl-*.conf 2>/dev/null); do
    while [ ! -S "$sock" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
  done
  exit 0
fi
# The workers serving the old configuration, to see them stop accepting after the reload.
pidfile=$("$@" -T 2>/dev/null | sed -n 's/^[[:space:]]*pid[[:space:]]\{1,\}\([^;]*\);.*/\1/p' | head -n 1)
master=$(cat "${pidfile:-/run/nginx.pid}" 2>/dev/null)
workers=$(ps -o pid= --ppid "${master:-0}" 2>/dev/null)
"$@" -s reload || exit 5
echo "@hostctl set router_files=$(ls "$dir" | grep -c '^hostctl-')"
# Confirmed once every old worker has exited or is shutting down (no longer accepting).
[ "$HOSTCTL_RELOAD_WAIT" = 1 ] && [ -n "$workers" ] || exit 0
i=0
while [ $i -lt 300 ]; do
  busy=0
  for w in $workers; do
    args=$(ps -o args= -p "$w" 2>/dev/null) || continue
    case $args in *"shutting down"*) ;; *) busy=1 ;; esac
  done
  if [ $busy = 0 ]; then echo "@hostctl set reload_confirmed=1"; exit 0; fi
  sleep 0.01
  i=$((i + 1))
done
exit 0
)sh";

}  // namespace

std::string check_source(const std::string& source) {
  static const std::regex re(
      "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(/[a-z0-9._~-]+)*$");
  if (source.size() > 253) return "must be at most 253 characters";
  if (!std::regex_match(source, re)) return "must be a lower-case domain, optionally with a /path";
  if (source.find("/..") != std::string::npos || source.find("/./") != std::string::npos ||
      (source.size() >= 2 && source.substr(source.size() - 2) == "/."))
    return "must not contain '.' or '..' path segments";
  return {};
}

Route get_route(catalog::Catalog& catalog, const std::string& ref) {
  int64_t id = model::is_all_digits(ref) ? std::stoll(ref) : 0;
  if (!id) {
    catalog::Statement q(catalog.db(), "SELECT id FROM route WHERE source = ?");
    q.bind(1, ref);
    if (q.executeStep()) id = q.getColumn(0).getInt64();
  }
  auto rows = query(catalog, "WHERE r.id = ?1", id);
  if (rows.empty())
    throw Error(ErrorKind::NotFound, fmt::format("route {} not found", model::shown(ref)),
                "'hostctl route list' shows the routes");
  return rows.front();
}

std::vector<Route> list_routes(catalog::Catalog& catalog, const std::optional<std::string>& site) {
  if (!site) return query(catalog, "", std::nullopt);
  return routes_of_site(catalog, model::find_id(catalog.db(), "site", "site", *site));
}

std::vector<Route> routes_of_site(catalog::Catalog& catalog, int64_t site_id) {
  return query(catalog, "WHERE r.site_id = ?1", site_id);
}

model::RuleRoute rule_view(const Route& r) { return {r.source, r.active, r.primary, r.active_on_launch, r.redirect}; }

std::string public_url(catalog::Catalog& catalog, const Route& r) {
  int port = r.https ? 443 : 80;
  if (r.router_id) {
    auto router = model::get_host(catalog, std::to_string(*r.router_id));
    port = (r.https ? model::https_endpoint(router) : model::http_endpoint(router)).second;
  }
  bool standard = port == (r.https ? 443 : 80);
  return fmt::format("{}://{}{}{}", r.https ? "https" : "http", r.domain, standard ? "" : fmt::format(":{}", port),
                     r.path);
}

nlohmann::ordered_json to_json(const Route& r) {
  nlohmann::ordered_json j;
  j["id"] = r.id;
  j["source"] = r.source;
  j["site"] = r.site;
  j["router"] = r.router;
  j["active"] = r.active;
  j["primary"] = r.primary;
  j["active_on_launch"] = r.active_on_launch;
  j["redirect"] = r.redirect;
  j["tls"] = r.tls;
  if (r.cert_serial.empty()) {
    j["certificate"] = nullptr;
  } else {
    j["certificate"] = {{"issuer", r.cert_issuer}, {"serial", r.cert_serial}, {"not_after", r.cert_not_after}};
  }
  j["https"] = r.https;
  j["preview"] = r.preview_id ? nlohmann::ordered_json(r.preview) : nlohmann::ordered_json();
  j["created_at"] = r.created_at;
  return j;
}

void insert_route(catalog::Connection& db, const RouteRow& row) {
  catalog::Statement insert(db,
                            "INSERT INTO route(source, site_id, router_id, is_primary, active_on_launch, created_at, "
                            "redirect, tls, deployment_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert.bind(1, row.source);
  insert.bind(2, row.site_id);
  insert.bind(3, row.router_id);
  insert.bind(4, row.primary ? 1 : 0);
  insert.bind(5, row.active_on_launch ? 1 : 0);
  insert.bind(6, now_utc());
  insert.bind(7, row.redirect ? 1 : 0);
  insert.bind(8, row.tls);
  if (row.preview_id) insert.bind(9, *row.preview_id); else insert.bind(9);
  insert.exec();
}

namespace {

// The deployment a preview route may serve: one of the site's, not removed,
// not its active one (that is what its other routes serve).
int64_t preview_target(catalog::Catalog& catalog, int64_t site_id, const RouteInput& in) {
  int64_t id = model::find_id(catalog.db(), "deployment", "deployment", *in.preview);
  catalog::Statement q(catalog.db(), "SELECT site_id, active, stage FROM deployment WHERE id = ?");
  q.bind(1, id);
  q.executeStep();
  bool of_site = !q.getColumn(0).isNull() && q.getColumn(0).getInt64() == site_id;
  bool active = q.getColumn(1).getInt() != 0, removed = q.getColumn(2).getString() == "removed";
  q.reset();
  if (!of_site || removed)
    throw Error(ErrorKind::Refused, fmt::format("deployment {} is not a live copy of site '{}'", model::shown(*in.preview), in.site));
  if (active)
    throw Error(ErrorKind::Refused,
                fmt::format("deployment {} is the active one of site '{}': its routes already serve it",
                            model::shown(*in.preview), in.site),
                "a preview route is for another copy, such as a clone (site clone --preview)");
  return id;
}

}  // namespace

Route add_route(run::Ops& ops, const RouteInput& in, Failure& cert_error) {
  const std::string& source = in.source;
  model::require(check_source(source), "route source", source);
  auto& db = ops.catalog.db();
  int64_t site_id = model::find_id(db, "site", "site", in.site);
  std::optional<model::Host> router;
  if (in.router) {
    router = model::get_host(ops.catalog, *in.router);
    if (std::find(router->roles.begin(), router->roles.end(), "router") == router->roles.end())
      throw Error(ErrorKind::Refused, fmt::format("host '{}' does not have the router role", router->name));
  } else {
    auto routers = model::list_hosts(ops.catalog, std::string("router"));
    if (routers.empty())
      throw Error(ErrorKind::Refused, "there is no host with the router role",
                  "hostctl host add NAME --role router ... (or host edit --role router)");
    if (routers.size() > 1)
      throw Error(ErrorKind::Usage, "there are several routers; say which with --router");
    router = routers.front();
  }
  if (!in.tls.empty()) check_tls_route(ops, *router, in);
  if (in.preview && (in.primary || in.redirect))
    throw Error(ErrorKind::Usage, "a preview route is neither --primary nor --redirect");
  catalog::Write write(ops.catalog, fmt::format("route add {} --site {}", source, in.site));
  catalog::Statement exists(db, "SELECT s.name FROM route r JOIN site s ON s.id = r.site_id WHERE r.source = ?");
  exists.bind(1, source);
  if (exists.executeStep())
    throw Error(ErrorKind::Refused,
                fmt::format("route '{}' already exists (site '{}')", source, exists.getColumn(0).getString()));
  Route candidate;
  candidate.source = source;
  candidate.redirect = in.redirect;
  std::vector<model::RuleRoute> current;
  for (const auto& r : routes_of_site(ops.catalog, site_id)) current.push_back(rule_view(r));
  model::check_primary_change(site_rules(ops.catalog, site_id), current, rule_view(candidate), in.primary);
  std::optional<int64_t> preview;
  if (in.preview) preview = preview_target(ops.catalog, site_id, in);
  insert_route(db, {source, site_id, router->id, in.primary, in.active_on_launch, in.redirect, in.tls, preview});
  Route added = get_route(ops.catalog, source);
  write.commit();
  if (!in.tls.empty()) {
    cert_error = obtain_certificate(ops, router->id, added.domain, in.tls == "manual" ? in.cert_pem : "",
                                    in.tls == "manual" ? in.key_pem : "");
    added = get_route(ops.catalog, source);
  }
  return added;
}

namespace {

// The router's location block for one active route: a disabled site's page
// (503), a redirect to the site's primary route (301, keeping the path), or
// the site's active deployment.
std::string route_location(catalog::Catalog& catalog, const Route& r) {
  std::string open = fmt::format("    location {}/ {{\n", r.path), close = "    }\n";
  if (!r.site_enabled)
    return fmt::format("    # route {} -> site '{}', disabled\n", r.source, r.site) + open +
           "        default_type text/html;\n"
           "        return 503 \"<!doctype html><title>Site disabled</title><h1>This site is disabled</h1>\\n\";\n" +
           close;
  if (r.redirect) {
    catalog::Statement q(catalog.db(), "SELECT source FROM route WHERE site_id = ? AND is_primary = 1");
    q.bind(1, r.site_id);
    if (!q.executeStep())
      return fmt::format("    # route {}: site '{}' has no primary route to redirect to\n", r.source, r.site);
    std::string target = q.getColumn(0).getString();
    return fmt::format("    # route {} -> redirect to {}\n", r.source, target) + open +
           fmt::format("        rewrite ^{}/(.*)$ $scheme://{}/$1 permanent;\n", r.path, target) + close;
  }
  auto copy = served_copy(catalog, r);
  if (!copy) return fmt::format("    # route {}: site '{}' has no {}\n", r.source, r.site,
                                r.preview_id ? "such deployment" : "active deployment");
  return fmt::format("    # route {} -> site '{}', deployment '{}'\n", r.source, r.site, copy->name) + open +
         location_body(catalog, *copy, !r.path.empty()) + close;
}

}  // namespace

namespace {

// How plain HTTP reaches an HTTPS domain: a 301 to the same URL over HTTPS.
std::string https_redirect(const model::Host& router) {
  auto port = model::https_endpoint(router).second;
  return fmt::format("    location / {{\n        return 301 https://$host{}$request_uri;\n    }}\n",
                     port == 443 ? "" : fmt::format(":{}", port));
}

}  // namespace

// One file per domain. A domain with a certificate is served over HTTPS, and
// plain HTTP answers 301 to it; a domain with an ACME route also serves the
// HTTP-01 challenges from ROUTER_DIR/acme, even before its routes are active.
std::map<std::string, std::string> router_files(catalog::Catalog& catalog, int64_t router_id) {
  auto router = model::get_host(catalog, std::to_string(router_id));
  struct Domain {
    std::vector<Route> active;
    bool acme = false, https = false;
    std::string serial;
  };
  std::map<std::string, Domain> domains;
  for (const auto& r : query(catalog, "WHERE r.router_id = ?1 AND (r.active = 1 OR r.tls != '')", router_id)) {
    auto& d = domains[r.domain];
    if (r.active) d.active.push_back(r);
    d.acme = d.acme || r.tls == "acme";
    d.https = r.https;
    d.serial = r.cert_serial;
  }
  std::map<std::string, std::string> files;
  for (const auto& [domain, d] : domains) {
    std::string locations;
    bool has_root = false;
    for (const auto& r : d.active) {
      std::string block = route_location(catalog, r);
      has_root = has_root || (r.path.empty() && block.find("    location ") != std::string::npos);
      locations += block;
    }
    if (!has_root) locations += "    location / {\n        return 404;\n    }\n";
    std::string body = fmt::format(
        "# Managed by hostctl for router '{}'; changes here are overwritten.\n"
        "server {{\n    listen {};\n    server_name {};\n",
        router.name, router.http_listen, domain);
    if (d.acme)
      body += fmt::format("    location /.well-known/acme-challenge/ {{\n        root {}/acme;\n"
                          "        default_type text/plain;\n    }}\n",
                          router.router_dir);
    body += (d.https ? https_redirect(router) : locations) + "}\n";
    if (d.https)
      body += fmt::format(
          "server {{\n    listen {} ssl;\n    server_name {};\n"
          "    ssl_certificate {}/tls/{}/{}.crt;\n    ssl_certificate_key {}/tls/{}/{}.key;\n",
          router.https_listen, domain, router.router_dir, domain, d.serial, router.router_dir, domain, d.serial) +
          locations + "}\n";
    files["hostctl-" + domain + ".conf"] = body;
  }
  return files;
}

namespace {

// One sync per router at a time (the outstanding-command index). A sync writes
// every active route of the router, so activations from concurrent scripts wait
// their turn rather than fail busy; a sync of a dead process is reconciled away.
// The wait gives up only when one sync holds the router for two minutes: while
// syncs keep finishing (the busy message names another command), it goes on.
int64_t begin_sync(run::Ops& ops, const std::string& router,
                   const std::function<run::CommandSpec()>& make_spec) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  std::string holder;
  for (int attempt = 0;; ++attempt) {
    try {
      return run::begin_command(ops.catalog, make_spec);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::Busy) throw;
      if (holder != e.what()) {
        holder = e.what();
        deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
      } else if (std::chrono::steady_clock::now() > deadline) {
        throw;
      }
      if (attempt == 0) ops.say(fmt::format("waiting for the sync running on router '{}'", router));
      std::this_thread::sleep_for(std::chrono::milliseconds(20 + 10 * std::min(attempt, 8)));
    }
  }
}

}  // namespace

bool router_synced(catalog::Catalog& catalog, int64_t router_id) {
  catalog::Statement q(catalog.db(),
                       "SELECT c.status FROM command c JOIN host h ON h.name = c.object_name WHERE h.id = ? AND "
                       "c.action = 'route sync' AND c.object_type = 'router' ORDER BY c.id DESC LIMIT 1");
  q.bind(1, router_id);
  return !q.executeStep() || q.getColumn(0).getInt() == run::kCompleted;
}

Failure sync_router(run::Ops& ops, int64_t router_id) {
  bool confirmed = false;
  return sync_router(ops, router_id, false, confirmed);
}

namespace {

// One directory a sync writes and the server that reads it: a router's server
// blocks, a web host's backend blocks, or its php-fpm pools.
struct SyncFiles {
  std::string server;  // nginx or php-fpm
  std::string bin, dir, conf;
  std::function<std::map<std::string, std::string>()> files;
};

// One recorded sync: "route sync" of a router, or "web sync" of a host (its
// php-fpm pools, then its backend blocks, one task each, in that order).
struct SyncTarget {
  std::string action, object_type;
  std::vector<SyncFiles> parts;
};

Failure sync_files(run::Ops& ops, const model::Host& host, const SyncTarget& target, bool wait,
                   bool& reload_confirmed) {
  // The files are read inside the transaction that takes the host's sync slot:
  // a change made after that has its own sync after this one.
  auto make_spec = [&] {
    run::CommandSpec spec{target.action, target.object_type, host.name, {}};
    for (const auto& part : target.parts) {
      std::string bundle;
      for (const auto& [name, body] : part.files()) bundle += "### hostctl-file: " + name + "\n" + body;
      run::TaskSpec task;
      task.host_id = host.id;
      task.host_name = host.name;
      task.name = part.server == "nginx" ? "sync" : "sync " + part.server;
      task.script = kSyncScript;
      task.timeout = 60;
      task.env = {{"HOSTCTL_SYNC_SERVER", part.server},
                  {"HOSTCTL_SYNC_BIN", part.bin},
                  {"HOSTCTL_SYNC_DIR", part.dir},
                  {"HOSTCTL_SYNC_CONF", part.conf},
                  {"HOSTCTL_SYNC_FILES", bundle}};
      // Only nginx has old workers to wait for; php-fpm's reload is done once its sockets are back.
      if (part.server == "nginx") task.env.emplace_back("HOSTCTL_RELOAD_WAIT", wait ? "1" : "0");
      spec.tasks.push_back(task);
    }
    return spec;
  };
  int64_t id = begin_sync(ops, host.name, make_spec);
  ops.say(fmt::format("{} on {} '{}': command {}", target.action, target.object_type, host.name, id));
  auto summary = run::execute(ops, id);
  catalog::Statement confirmed(ops.catalog.db(),
                               "SELECT 1 FROM directive d JOIN task t ON t.id = d.task_id WHERE t.command_id = ? AND "
                               "d.key = 'reload_confirmed'");
  confirmed.bind(1, id);
  reload_confirmed = confirmed.executeStep();
  if (summary.status == run::kCompleted) return {};
  return Error(run::failure_kind(summary), run::failure_report(ops.catalog, id, summary.failed_task, 3), summary.hint);
}

}  // namespace

Failure sync_router(run::Ops& ops, int64_t router_id, bool wait, bool& reload_confirmed) {
  auto router = model::get_host(ops.catalog, std::to_string(router_id));
  SyncTarget target{"route sync", "router",
                    {{"nginx", router.nginx_bin, router.router_dir, router.nginx_conf,
                      [&] { return router_files(ops.catalog, router_id); }}}};
  return sync_files(ops, router, target, wait, reload_confirmed);
}

std::string backend_name(int64_t deployment_id) { return fmt::format("d{}.backend.hostctl", deployment_id); }

namespace {

// Where a PHP deployment's pool listens.
std::string php_socket(const model::Host& host, int64_t id) { return fmt::format("{}/hostctl-{}.sock", host.php_pool_dir, id); }

// The application sees the public name the router was asked for.
constexpr const char* kPublicHost =
    "    set $public_host $http_x_forwarded_host;\n"
    "    if ($public_host = \"\") {\n        set $public_host $host;\n    }\n";

// A PHP deployment: files under its root only, every .php to its own pool
// (never sent as text), other PHP-looking sources refused, dotfiles hidden.
std::string php_block(const model::Host& host, int64_t id, const std::string& directory, const service::Serve& serve) {
  std::string front = serve.front_controller.empty() ? "=404" : "/" + serve.front_controller + "$is_args$args";
  std::string params;
  for (const auto& [name, value] : std::vector<std::pair<const char*, const char*>>{
           {"SCRIPT_FILENAME", "$document_root$fastcgi_script_name"},
           {"SCRIPT_NAME", "$fastcgi_script_name"},
           {"PATH_INFO", "$fastcgi_path_info"},
           {"QUERY_STRING", "$query_string"},
           {"REQUEST_METHOD", "$request_method"},
           {"CONTENT_TYPE", "$content_type"},
           {"CONTENT_LENGTH", "$content_length"},
           {"REQUEST_URI", "$request_uri"},
           {"DOCUMENT_URI", "$document_uri"},
           {"DOCUMENT_ROOT", "$document_root"},
           {"SERVER_PROTOCOL", "$server_protocol"},
           {"GATEWAY_INTERFACE", "CGI/1.1"},
           {"SERVER_SOFTWARE", "nginx"},
           {"REMOTE_ADDR", "$remote_addr"},
           {"REMOTE_PORT", "$remote_port"},
           {"SERVER_ADDR", "$server_addr"},
           {"SERVER_PORT", "$server_port"},
           {"SERVER_NAME", "$public_host"},
           {"HTTP_HOST", "$public_host"},
           {"HTTPS", "$php_https"},
           {"REDIRECT_STATUS", "200"}})
    params += fmt::format("        fastcgi_param {} {};\n", name, value);
  return fmt::format("server {{\n    listen {};\n    server_name {};\n", host.web_listen, backend_name(id)) +
         kPublicHost +
         "    set $php_https \"\";\n"
         "    if ($http_x_forwarded_proto = https) {\n        set $php_https on;\n    }\n" +
         fmt::format("    root {}/{};\n    index {} index.html;\n", directory, serve.root,
                     serve.front_controller.empty() ? "index.php" : serve.front_controller) +
         fmt::format("    location / {{\n        try_files $uri $uri/ {};\n    }}\n", front) +
         "    location ~ [^/]\\.php(/|$) {\n"
         "        fastcgi_split_path_info ^(.+?\\.php)(/.*)$;\n"
         "        try_files $fastcgi_script_name =404;\n" +
         fmt::format("        fastcgi_pass unix:{};\n", php_socket(host, id)) + params +
         // A page is held in memory whole (not spilled to a temporary file), so
         // a worker retiring after a reload has nothing left half-sent.
         "        fastcgi_buffer_size 32k;\n        fastcgi_buffers 32 16k;\n"
         "    }\n"
         "    location ~* \\.(phps|phtml|php[0-9]|inc)$ {\n        return 404;\n    }\n"
         "    location ~ /\\. {\n        return 404;\n    }\n}\n";
}

// The backend block of one deployment, as its plan's `serve:` says.
std::string backend_block(const model::Host& host, int64_t id, const std::string& directory,
                          const service::Serve& serve) {
  if (serve.kind == service::ServeKind::Php) return php_block(host, id, directory, serve);
  std::string head = fmt::format("server {{\n    listen {};\n    server_name {};\n", host.web_listen, backend_name(id));
  if (serve.kind == service::ServeKind::Static)
    return head + fmt::format("    root {}/{};\n    index index.html;\n}}\n", directory, serve.root);
  return head + kPublicHost +
         fmt::format("    location / {{\n"
                     "        proxy_pass http://unix:{}/{}:;\n"
                     "        proxy_set_header Host $public_host;\n"
                     "        proxy_set_header X-Forwarded-Host $public_host;\n"
                     "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
                     "        proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;\n"
                     "    }}\n}}\n",
                     directory, serve.socket);
}

// A deployment a web host serves.
struct Served {
  int64_t id = 0;
  std::string name, directory, site;
  service::Serve serve;
};

// Every deployment that has once been ready keeps its block until it is
// removed: one being rebuilt (an allocate, a restore) or one that failed later
// may be the one a site serves, and a sync run meanwhile must not drop it.
std::vector<Served> served_on(catalog::Catalog& catalog, int64_t host_id) {
  std::vector<Served> out;
  std::map<std::pair<int64_t, int64_t>, service::Serve> serve_of;  // by service id and version
  catalog::Statement q(catalog.db(),
                       "SELECT d.id, d.name, d.directory, coalesce(s.name, ''), d.service_id, d.service_version "
                       "FROM deployment d LEFT JOIN site s ON s.id = d.site_id WHERE d.host_id = ? AND "
                       "d.ready_at IS NOT NULL AND d.stage != 'removed' AND d.directory != '' ORDER BY d.id");
  q.bind(1, host_id);
  while (q.executeStep()) {
    std::pair<int64_t, int64_t> plan{q.getColumn(4).getInt64(), q.getColumn(5).getInt64()};
    if (!serve_of.count(plan)) serve_of[plan] = service::get_service_version(catalog, plan.first, plan.second).plan.serve;
    out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getString(), q.getColumn(2).getString(),
                   q.getColumn(3).getString(), serve_of[plan]});
  }
  return out;
}

std::string managed_header(const model::Host& host, const Served& d, const char* comment) {
  return fmt::format("{0} Managed by hostctl for web host '{1}'; changes here are overwritten.\n{0} deployment '{2}'{3}\n",
                     comment, host.name, d.name, d.site.empty() ? "" : fmt::format(" (site '{}')", d.site));
}

}  // namespace

std::map<std::string, std::string> web_files(catalog::Catalog& catalog, int64_t host_id) {
  auto host = model::get_host(catalog, std::to_string(host_id));
  std::map<std::string, std::string> files;
  for (const auto& d : served_on(catalog, host_id))
    files[fmt::format("hostctl-backend-{}.conf", d.id)] =
        managed_header(host, d, "#") + backend_block(host, d.id, d.directory, d.serve);
  return files;
}

// One pool per PHP deployment, as the host's login user (ignored by a php-fpm
// not run as root), confined to the deployment's directory.
std::map<std::string, std::string> php_files(catalog::Catalog& catalog, int64_t host_id) {
  auto host = model::get_host(catalog, std::to_string(host_id));
  std::map<std::string, std::string> files;
  for (const auto& d : served_on(catalog, host_id)) {
    if (d.serve.kind != service::ServeKind::Php) continue;
    std::string user = host.transport == "local" || host.user.empty() ? "" : fmt::format("user = {}\n", host.user);
    files[fmt::format("hostctl-{}.conf", d.id)] =
        managed_header(host, d, ";") +
        fmt::format("[d{}]\n{}listen = {}\nlisten.mode = 0660\npm = ondemand\npm.max_children = 5\n"
                    "pm.process_idle_timeout = 10s\nchdir = {}\nphp_admin_value[open_basedir] = {}/:/tmp/\n"
                    "security.limit_extensions = .php\n",
                    d.id, user, php_socket(host, d.id), d.directory, d.directory);
  }
  return files;
}

Failure sync_web(run::Ops& ops, int64_t host_id) {
  auto host = model::get_host(ops.catalog, std::to_string(host_id));
  if (host.web_listen.empty()) return std::nullopt;
  SyncTarget target{"web sync", "host",
                    {{"php-fpm", host.php_fpm_bin, host.php_pool_dir, host.php_fpm_conf,
                      [&] { return php_files(ops.catalog, host_id); }},
                     {"nginx", host.nginx_bin, host.web_dir, host.web_conf,
                      [&] { return web_files(ops.catalog, host_id); }}}};
  // Waits for the old workers, so a router or check that follows meets the new blocks.
  bool confirmed = false;
  return sync_files(ops, host, target, true, confirmed);
}

std::string backend_check(catalog::Catalog& catalog, int64_t deployment_id) {
  catalog::Statement q(catalog.db(), "SELECT host_id, service_id, service_version FROM deployment WHERE id = ?");
  q.bind(1, deployment_id);
  if (!q.executeStep()) return fmt::format("deployment {} not found", deployment_id);
  auto host = model::get_host(catalog, std::to_string(q.getColumn(0).getInt64()));
  if (host.web_listen.empty()) return {};
  const auto plan = service::get_service_version(catalog, q.getColumn(1).getInt64(), q.getColumn(2).getInt64()).plan;
  Endpoint at;
  std::tie(at.address, at.port) = model::web_endpoint(host);
  return http_get_check(catalog, at, backend_name(deployment_id),
                        HttpCheck{plan.check.path, static_cast<int>(plan.check.expect), plan.check.contains}, 1);
}

Failure sync_and_check(run::Ops& ops, int64_t router_id, const std::vector<Route>& routes) {
  bool confirmed = false;
  if (auto error = sync_router(ops, router_id, true, confirmed)) return error;
  auto router = model::get_host(ops.catalog, std::to_string(router_id));
  // Unconfirmed, the old configuration may still answer for a moment: ask for more in a row.
  for (const auto& r : routes.empty() ? list_routes(ops.catalog, std::nullopt) : routes) {
    if (!r.active || r.router_id != router_id) continue;
    if (auto error = http_check(ops.catalog, router, r, ops.tls.ca_bundle, confirmed ? 1 : 3); !error.empty())
      return Error(ErrorKind::RemoteFailed, fmt::format("route '{}' fails its check: {}", r.source, error));
  }
  return std::nullopt;
}

namespace {

void write_flags(run::Ops& ops, const std::vector<Route>& routes, bool active, const std::string& action) {
  catalog::Write write(ops.catalog, action);
  for (const auto& r : routes) {
    catalog::Statement st(ops.catalog.db(), "UPDATE route SET active = ? WHERE id = ?");
    st.bind(1, active ? 1 : 0);
    st.bind(2, r.id);
    st.exec();
  }
  write.commit();
}

// Syncs the routers of `routes`; `confirmed` ends true when every reload was confirmed.
Failure sync_all(run::Ops& ops, const std::vector<Route>& routes, bool wait, bool& confirmed) {
  std::set<int64_t> routers;
  for (const auto& r : routes)
    if (r.router_id) routers.insert(*r.router_id);
  confirmed = true;
  for (int64_t router : routers) {
    bool this_one = false;
    if (auto error = sync_router(ops, router, wait, this_one)) return error;
    confirmed = confirmed && this_one;
  }
  return std::nullopt;
}

}  // namespace

ChangeResult set_active(run::Ops& ops, const std::vector<int64_t>& route_ids, bool active) {
  ChangeResult result;
  std::vector<Route> changed, routes;  // routes: changed ones and those only re-synced
  for (int64_t id : route_ids) {
    Route r = get_route(ops.catalog, std::to_string(id));
    if (!active) model::check_route_deactivate(site_rules(ops.catalog, r.site_id), rule_view(r));
    if (active && r.redirect) {
      std::vector<model::RuleRoute> siblings;
      for (const auto& other : routes_of_site(ops.catalog, r.site_id)) siblings.push_back(rule_view(other));
      model::check_redirect_target(site_rules(ops.catalog, r.site_id), siblings, rule_view(r));
    } else if (active && !active_copy(ops.catalog, r.site_id)) {
      model::check_has_active(site_rules(ops.catalog, r.site_id), "", "serve");
    }
    if (!r.router_id) throw Error(ErrorKind::Refused, fmt::format("route '{}' has no router", r.source));
    if (r.active != active)
      changed.push_back(r);
    else if (!router_synced(ops.catalog, *r.router_id))  // a re-run after a sync was cut short
      routes.push_back(r);
  }
  routes.insert(routes.end(), changed.begin(), changed.end());
  if (routes.empty()) {
    for (int64_t id : route_ids) result.routes.push_back(get_route(ops.catalog, std::to_string(id)));
    return result;
  }
  std::vector<std::string> names;
  for (const auto& r : routes) names.push_back(r.source);
  write_flags(ops, changed, active, fmt::format("route {} {}", active ? "activate" : "deactivate", fmt::join(names, " ")));
  // When activation returns, every request must be served by the new
  // configuration: a script may run curl right after. So the sync waits until
  // nginx's old workers stop accepting (~110 ms measured after a reload).
  bool confirmed = false;
  Failure error = sync_all(ops, routes, active, confirmed);
  if (!error && active) {
    for (const auto& r : routes) {
      int stable = confirmed ? 1 : 3;
      auto check =
          http_check(ops.catalog, model::get_host(ops.catalog, std::to_string(*r.router_id)), r, ops.tls.ca_bundle, stable);
      if (!check.empty()) {
        error = Error(ErrorKind::RemoteFailed,
                      fmt::format("route '{}' does not answer after activation: {}", r.source, check));
        break;
      }
    }
  }
  if (error) {
    ops.say(std::string("undoing the route change: ") + error->what());
    write_flags(ops, changed, !active, "route change undone");
    if (auto undo = sync_all(ops, routes, false, confirmed))
      error = reworded(*error, std::string(error->what()) + "; undoing it also failed: " + undo->what());
    result.error = error;
  }
  for (int64_t id : route_ids) result.routes.push_back(get_route(ops.catalog, std::to_string(id)));
  return result;
}

void delete_route(run::Ops& ops, const std::string& ref) {
  Route r = get_route(ops.catalog, ref);
  model::check_route_delete(site_rules(ops.catalog, r.site_id), rule_view(r));
  if (r.active) {
    auto change = set_active(ops, {r.id}, false);
    if (change.error) throw *change.error;
  }
  catalog::Write write(ops.catalog, "route delete " + r.source);
  catalog::Statement del(ops.catalog.db(), "DELETE FROM route WHERE id = ?");
  del.bind(1, r.id);
  del.exec();
  // A domain's certificate goes with its last TLS route (its files stay on the router).
  bool last_tls = !r.tls.empty();
  for (const auto& other : query(ops.catalog, "WHERE r.router_id = ?1 AND r.tls != ''", r.router_id))
    if (other.domain == r.domain) last_tls = false;
  if (last_tls) {
    catalog::Statement forget(ops.catalog.db(), "DELETE FROM certificate WHERE router_id = ? AND domain = ?");
    forget.bind(1, *r.router_id);
    forget.bind(2, r.domain);
    forget.exec();
  }
  write.commit();
  if (!r.tls.empty() && r.router_id)
    if (auto error = sync_router(ops, *r.router_id)) throw *error;
}

}  // namespace hostctl::routing
