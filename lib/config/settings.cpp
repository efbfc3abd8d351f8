#include "config/settings.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <unistd.h>

#include <climits>
#include <filesystem>
#include <regex>

#include "core/error.hpp"
#include "model/validate.hpp"

namespace hostctl::config {
namespace {

// The machine's name, the default name of this control node.
std::string host_name() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || !*name) return "localhost";
  std::string s(name);
  return s.substr(0, s.find('.'));
}

std::string home_dir(const Getenv& getenv) {
  const char* home = getenv("HOME");
  return home && *home ? home : "/root";
}

std::string xdg_dir(const Getenv& getenv, const char* var, const char* fallback) {
  const char* dir = getenv(var);
  if (dir && *dir == '/') return dir;
  return home_dir(getenv) + fallback;
}

// A value's problem for its key, or "" when acceptable.
std::string check_value(const std::string& key, const std::string& value) {
  int64_t n = 0;
  if (key == "output") {
    for (const char* f : {"table", "json", "yaml", "tsv", "id", "ansible"})
      if (value == f) return {};
    return "must be one of table, json, yaml, tsv, id (or ansible, for host list)";
  }
  if (key == "color") return value == "auto" || value == "always" || value == "never" ? "" : "must be auto, always or never";
  if (key == "jobs") {
    auto problem = model::check_count(value, n);
    if (!problem.empty() || n < 1 || n > 512) return "must be a whole number from 1 to 512";
    return {};
  }
  if (key == "timeout" || key == "connect_timeout") return model::check_duration(value, n);
  if (key == "node_lease") {
    auto problem = model::check_duration(value, n);
    if (!problem.empty()) return problem;
    return n >= 3 ? "" : "must be at least 3s (it is renewed every third of it)";
  }
  if (key == "node") {
    static const std::regex name("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    return std::regex_match(value, name) ? "" : "must be 1-63 letters, digits, '.', '_' or '-' (a host name)";
  }
  if (key == "min_free_kb") return model::check_count(value, n);
  if (key == "acme_renew_days") {
    auto problem = model::check_count(value, n);
    if (!problem.empty() || n < 1 || n > 3650) return "must be a whole number of days from 1 to 3650";
    return {};
  }
  if (key == "acme_directory" && !value.empty() && value.rfind("https://", 0) != 0)
    return "must be an https:// URL (the ACME server's directory)";
  if (key == "acme_email" && !value.empty() && value.find('@') == std::string::npos) return "must be an e-mail address";
  if (key == "acme_ca_bundle" && !value.empty() && value.front() != '/') return "must be an absolute path";
  if (key == "catalog" || key == "known_hosts" || key == "ssh_config") return value.empty() ? "must not be empty" : "";
  return {};
}

}  // namespace

const std::vector<KeyInfo>& Settings::keys() {
  static const std::vector<KeyInfo> k = {
      {"catalog", "HOSTCTL_CATALOG", "path of the SQLite catalog"},
      {"output", "HOSTCTL_OUTPUT", "default output format: table, json, yaml, tsv or id"},
      {"color", "HOSTCTL_COLOR", "auto, always or never (NO_COLOR forces never)"},
      {"jobs", "HOSTCTL_JOBS", "how many hosts to work on at once"},
      {"timeout", "HOSTCTL_TIMEOUT", "default time limit of one task (30s, 5m, 1h)"},
      {"connect_timeout", "HOSTCTL_CONNECT_TIMEOUT", "time limit to connect to a host"},
      {"node", "HOSTCTL_NODE", "this control node's name, recorded with each command it runs (default: the host name)"},
      {"node_lease", "HOSTCTL_NODE_LEASE",
       "how long a running command's claim holds unless its node renews it; other nodes judge it by that"},
      {"known_hosts", "HOSTCTL_KNOWN_HOSTS", "known_hosts file used to trust host keys"},
      {"ssh_config", "HOSTCTL_SSH_CONFIG", "OpenSSH client configuration to honour"},
      {"notify_command", "HOSTCTL_NOTIFY_COMMAND", "command that receives failed commands as JSON on stdin"},
      {"min_free_kb", "HOSTCTL_MIN_FREE_KB", "free KiB a host needs before install, clone, backup, restore"},
      {"acme_directory", "HOSTCTL_ACME_DIRECTORY", "directory URL of the ACME server for --tls acme routes"},
      {"acme_email", "HOSTCTL_ACME_EMAIL", "contact e-mail of the ACME account"},
      {"acme_ca_bundle", "HOSTCTL_ACME_CA_BUNDLE",
       "PEM file of CAs trusted for the ACME server and for HTTPS route checks (\"\": the system's)"},
      {"acme_renew_days", "HOSTCTL_ACME_RENEW_DAYS", "queue run certs renews certificates expiring within this many days"},
  };
  return k;
}

Settings Settings::load(const std::optional<std::string>& config_flag, const Getenv& getenv) {
  Settings s;
  std::string home = home_dir(getenv);
  s.set("catalog", xdg_dir(getenv, "XDG_DATA_HOME", "/.local/share") + "/hostctl/catalog.db", "default");
  s.set("output", "table", "default");
  s.set("color", "auto", "default");
  s.set("jobs", "8", "default");
  s.set("timeout", "300s", "default");
  s.set("connect_timeout", "10s", "default");
  s.set("node", host_name(), "default");
  s.set("node_lease", "30s", "default");
  s.set("known_hosts", home + "/.ssh/known_hosts", "default");
  s.set("ssh_config", home + "/.ssh/config", "default");
  s.set("notify_command", "", "default");
  s.set("min_free_kb", "10240", "default");
  s.set("acme_directory", "", "default");
  s.set("acme_email", "", "default");
  s.set("acme_ca_bundle", "", "default");
  s.set("acme_renew_days", "30", "default");

  bool explicit_file = true;
  std::string file;
  if (config_flag) {
    file = *config_flag;
  } else if (const char* env = getenv("HOSTCTL_CONFIG"); env && *env) {
    file = env;
  } else {
    file = xdg_dir(getenv, "XDG_CONFIG_HOME", "/.config") + "/hostctl/config.yaml";
    explicit_file = false;
  }
  if (std::filesystem::exists(file)) {
    s.config_file_ = file;
    YAML::Node root;
    try {
      root = YAML::LoadFile(file);
    } catch (const YAML::Exception& e) {
      throw Error(ErrorKind::Usage,
                  fmt::format("{}:{}:{}: {}", file, e.mark.line + 1, e.mark.column + 1, e.msg));
    }
    if (root && !root.IsNull()) {
      if (!root.IsMap())
        throw Error(ErrorKind::Usage, fmt::format("{}:{}:{}: the configuration must be a mapping of settings", file,
                                                  root.Mark().line + 1, root.Mark().column + 1));
      for (const auto& item : root) {
        auto where = fmt::format("{}:{}:{}", file, item.first.Mark().line + 1, item.first.Mark().column + 1);
        std::string key = item.first.Scalar();
        if (!s.values_.count(key))
          throw Error(ErrorKind::Usage, fmt::format("{}: unknown setting '{}'", where, key),
                      "'hostctl config show' lists the settings");
        if (!item.second.IsScalar())
          throw Error(ErrorKind::Usage, fmt::format("{}: setting '{}' must be a single value", where, key));
        std::string value = item.second.Scalar();
        if (auto problem = check_value(key, value); !problem.empty())
          throw Error(ErrorKind::Usage, fmt::format("{}: setting '{}' {}", where, key, problem));
        s.values_[key] = {value, fmt::format("file {}:{}", file, item.first.Mark().line + 1)};
      }
    }
  } else if (explicit_file) {
    throw Error(ErrorKind::NotFound, fmt::format("configuration file '{}' does not exist", file));
  }

  for (const KeyInfo& key : keys()) {
    const char* env = getenv(key.env.c_str());
    if (!env || !*env) continue;
    if (auto problem = check_value(key.name, env); !problem.empty())
      throw Error(ErrorKind::Usage, fmt::format("environment variable {}={}: {}", key.env, model::shown(env), problem));
    s.values_[key.name] = {env, "env " + key.env};
  }
  if (const char* no_color = getenv("NO_COLOR"); no_color && *no_color) s.values_["color"] = {"never", "env NO_COLOR"};
  return s;
}

void Settings::set(const std::string& key, const std::string& value, const std::string& origin) {
  values_[key] = {value, origin};
}

void Settings::set_flag(const std::string& key, const std::string& value, const std::string& flag) {
  if (auto problem = check_value(key, value); !problem.empty())
    throw Error(ErrorKind::Usage, fmt::format("invalid {} {}: {}", flag, model::shown(value), problem));
  set(key, value, "flag " + flag);
}

const Value& Settings::entry(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) throw Error(ErrorKind::Internal, "unknown setting '" + key + "'");
  return it->second;
}

const std::string& Settings::get(const std::string& key) const { return entry(key).value; }

int64_t Settings::seconds(const std::string& key) const {
  int64_t s = 0;
  model::check_duration(get(key), s);
  return s;
}

int64_t Settings::integer(const std::string& key) const { return std::stoll(get(key)); }

std::vector<std::pair<std::string, Value>> Settings::all() const {
  std::vector<std::pair<std::string, Value>> out;
  for (const KeyInfo& key : keys()) out.emplace_back(key.name, entry(key.name));
  return out;
}

}  // namespace hostctl::config
