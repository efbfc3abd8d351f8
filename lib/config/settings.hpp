// Settings and where each came from: flags > environment > config file > defaults.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hostctl::config {

struct KeyInfo {
  std::string name;  // "connect_timeout"
  std::string env;   // "HOSTCTL_CONNECT_TIMEOUT"
  std::string help;
};

struct Value {
  std::string value;
  std::string origin;  // "default", "env HOSTCTL_JOBS", "file /path:3", "flag --jobs"
};

using Getenv = std::function<const char*(const char*)>;

class Settings {
 public:
  static const std::vector<KeyInfo>& keys();

  // Defaults, then the config file (--config, else HOSTCTL_CONFIG, else
  // $XDG_CONFIG_HOME/hostctl/config.yaml when present), then the environment.
  static Settings load(const std::optional<std::string>& config_flag, const Getenv& getenv);

  // A command-line flag, the strongest source.
  void set_flag(const std::string& key, const std::string& value, const std::string& flag);

  const std::string& get(const std::string& key) const;
  const Value& entry(const std::string& key) const;
  int64_t seconds(const std::string& key) const;  // for duration settings
  int64_t integer(const std::string& key) const;
  const std::string& config_file() const { return config_file_; }
  std::vector<std::pair<std::string, Value>> all() const;

 private:
  void set(const std::string& key, const std::string& value, const std::string& origin);
  std::map<std::string, Value> values_;
  std::string config_file_;
};

}  // namespace hostctl::config
