#include "hostops/hostops.hpp"

#include <fmt/format.h>

#include <map>

#include <algorithm>

#include "core/clock.hpp"
#include "model/validate.hpp"

namespace hostctl::hostops {
namespace {

// Checks a host can do hostctl's work; prints facts as @hostctl directives.
constexpr const char* kVerifyScript = R"sh(set -u
fail() { echo "$*" >&2; exit 3; }
for tool in sh mktemp timeout tar sed df; do
  command -v "$tool" >/dev/null 2>&1 || fail "missing tool: $tool"
done
mkdir -p "$HOSTCTL_BASE_DIR" 2>/dev/null || fail "cannot create base directory $HOSTCTL_BASE_DIR"
test -w "$HOSTCTL_BASE_DIR" || fail "base directory $HOSTCTL_BASE_DIR is not writable by $(id -un)"
echo "@hostctl set os=$(uname -sr | tr ' ' '-')"
echo "@hostctl set user=$(id -un)"
echo "@hostctl set free_kb=$(df -Pk "$HOSTCTL_BASE_DIR" | awk 'NR==2 {print $4}')"
case ",$HOSTCTL_ROLES," in
  *,router,*)
    nginx_bin=$(command -v nginx 2>/dev/null || { test -x /usr/sbin/nginx && echo /usr/sbin/nginx; })
    test -n "$nginx_bin" || fail "role router needs nginx, which is not installed"
    echo "@hostctl set nginx=$("$nginx_bin" -v 2>&1 | sed 's/.*nginx\///')"
    ;;
esac
# What is on the host, for the drift report: deployment manifests, router
# files, certificates and backend blocks. A link is a deployment's permanent name, not a deployment of its own.
for f in "$HOSTCTL_BASE_DIR"/*/.hostctl-manifest.json; do
  [ -L "$(dirname "$f")" ] && continue
  [ -f "$f" ] && printf '@hostctl-manifest %s %s\n' "$(dirname "$f")" "$(cat "$f")"
done
for d in "$HOSTCTL_BASE_DIR"/*/; do
  [ -L "${d%/}" ] && continue
  [ -d "$d" ] && printf '@hostctl-dir %s\n' "${d%/}"
done
# kind DIR: the hostctl-*.conf files of DIR as @hostctl-KIND-file / -line lines.
list_files() {
  for f in "$2"/hostctl-*.conf; do
    [ -f "$f" ] || continue
    name=$(basename "$f")
    printf '@hostctl-%s-file %s\n' "$1" "$name"
    sed "s|^|@hostctl-$1-line $name |" "$f"
  done
}
case ",$HOSTCTL_ROLES," in
  *,router,*)
    list_files router "$HOSTCTL_ROUTER_DIR"
    # Certificates: DOMAIN SERIAL of each whole pair.
    for c in "$HOSTCTL_ROUTER_DIR"/tls/*/*.crt; do
      [ -f "$c" ] && [ -f "${c%.crt}.key" ] || continue
      printf '@hostctl-cert %s %s\n' "$(basename "$(dirname "$c")")" "$(basename "$c" .crt)"
    done
    ;;
esac
[ -z "$HOSTCTL_WEB_DIR" ] || list_files web "$HOSTCTL_WEB_DIR"
[ -z "$HOSTCTL_PHP_DIR" ] || list_files php "$HOSTCTL_PHP_DIR"
echo "verified: $(hostname) as $(id -un), base $HOSTCTL_BASE_DIR"
)sh";

std::string joined_names(const std::vector<model::Host>& hosts) {
  std::vector<std::string> names;
  for (const auto& h : hosts) names.push_back(h.name);
  std::sort(names.begin(), names.end());
  return fmt::format("{}", fmt::join(names, ","));
}

run::TaskSpec task_for(const model::Host& h, int lane, const std::string& name, const std::string& script,
                       int64_t timeout) {
  run::TaskSpec t;
  t.lane = lane;
  t.host_id = h.id;
  t.host_name = h.name;
  t.name = name;
  t.script = script;
  t.timeout = timeout;
  t.env = {{"HOSTCTL_HOST", h.name},
           {"HOSTCTL_BASE_DIR", h.base_dir},
           {"HOSTCTL_ROLES", fmt::format("{}", fmt::join(h.roles, ","))},
           {"HOSTCTL_ROUTER_DIR", h.router_dir},
           {"HOSTCTL_WEB_DIR", h.web_listen.empty() ? "" : h.web_dir},
           {"HOSTCTL_PHP_DIR", h.web_listen.empty() ? "" : h.php_pool_dir}};
  return t;
}

}  // namespace

run::CommandSpec exec_spec(const std::vector<model::Host>& hosts, const std::string& shell, int64_t timeout) {
  run::CommandSpec spec{"host exec", "host", joined_names(hosts), {}};
  int lane = 0;
  for (const auto& h : hosts) spec.tasks.push_back(task_for(h, lane++, "exec", shell, timeout));
  return spec;
}

run::CommandSpec verify_spec(const std::vector<model::Host>& hosts, int64_t timeout) {
  run::CommandSpec spec{"host verify", "host", joined_names(hosts), {}};
  int lane = 0;
  for (const auto& h : hosts) spec.tasks.push_back(task_for(h, lane++, "verify", kVerifyScript, timeout));
  return spec;
}

void record_verify_results(catalog::Catalog& catalog, int64_t command_id) {
  auto command = run::get_command(catalog, command_id);
  // A host's result is its first failed step's, else ok (a db host has two steps).
  std::map<std::string, std::string> results;
  for (const auto& t : command.tasks) {
    auto& result = results.try_emplace(t.host_name, "ok").first->second;
    if (result == "ok" && t.status != run::kCompleted) result = t.error.empty() ? "failed" : t.error;
  }
  catalog::Write write(catalog, "");
  for (const auto& [host, result] : results) {
    catalog::Statement st(catalog.db(), "UPDATE host SET verified_at = ?, verify_result = ? WHERE name = ?");
    st.bind(1, now_utc());
    st.bind(2, result);
    st.bind(3, host);
    st.exec();
  }
  write.commit();
}

nlohmann::ordered_json host_results(catalog::Catalog& catalog, int64_t command_id) {
  auto command = run::get_command(catalog, command_id);
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  // One row per host: the steps of a host's lane (verify, then a db host's
  // database listing) are one result, failed as soon as one step failed.
  std::map<std::string, size_t> row_of;
  for (const auto& t : command.tasks) {
    auto [at, first] = row_of.try_emplace(t.host_name, rows.size());
    if (first) {
      rows.push_back({{"host", t.host_name}, {"status", t.status}, {"status_name", run::status_name(t.status)},
                      {"exit_code", t.exit_code ? nlohmann::ordered_json(*t.exit_code) : nullptr},
                      {"error", t.error}, {"stdout", nlohmann::ordered_json::array()},
                      {"stderr", nlohmann::ordered_json::array()}, {"facts", nlohmann::ordered_json::object()},
                      {"command_id", command_id}, {"task_id", t.id}});
    }
    auto& row = rows[at->second];
    if (!first && row["status"] == run::kCompleted && t.status != run::kCompleted) {
      row["status"] = t.status;
      row["status_name"] = run::status_name(t.status);
      row["exit_code"] = t.exit_code ? nlohmann::ordered_json(*t.exit_code) : nullptr;
      row["error"] = t.error;
    }
    for (const auto& line : run::command_log(catalog, command_id, 0, t.id)) {
      if (line.stream == "out" && line.line.rfind("@hostctl", 0) != 0) row["stdout"].push_back(line.line);
      if (line.stream == "err") row["stderr"].push_back(line.line);
    }
    catalog::Statement q(catalog.db(), "SELECT key, value FROM directive WHERE task_id = ? AND kind = 'set'");
    q.bind(1, t.id);
    while (q.executeStep()) row["facts"][q.getColumn(0).getString()] = q.getColumn(1).getString();
  }
  return rows;
}

}  // namespace hostctl::hostops
