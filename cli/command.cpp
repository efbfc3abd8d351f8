#include "command.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "core/error.hpp"

namespace hostctl::cli {

const std::string& Args::get(const std::string& name) const {
  auto it = values.find(name);
  if (it == values.end() || it->second.empty())
    throw Error(ErrorKind::Usage, fmt::format("missing {}", name));
  return it->second.back();
}

std::optional<std::string> Args::opt(const std::string& name) const {
  auto it = values.find(name);
  if (it == values.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> Args::all(const std::string& name) const {
  auto it = values.find(name);
  return it == values.end() ? std::vector<std::string>{} : it->second;
}

std::vector<std::string> choices(const Opt& o) {
  const std::string& v = o.value_name;
  if (v.empty() || std::any_of(v.begin(), v.end(), [](char ch) { return std::isupper(static_cast<unsigned char>(ch)); }))
    return {};
  return split(v, '|');
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> words;
  for (size_t start = 0;;) {
    auto at = text.find(sep, start);
    words.push_back(text.substr(start, at - start));
    if (at == std::string::npos) return words;
    start = at + 1;
  }
}

bool Args::flag(const std::string& name) const {
  auto it = flags.find(name);
  return it != flags.end() && it->second;
}

const std::vector<Group>& command_groups() {
  static const std::vector<Group> groups = {
      {"service", "service plans: what a deployment installs and runs"},
      {"host", "machines that run deployments or route traffic"},
      {"client", "who owns sites"},
      {"config", "settings and where they come from"},
      {"deployment", "installed copies of services on hosts"},
      {"site", "what clients buy: deployments and routes"},
      {"route", "domains and paths routers serve for sites"},
      {"backup", "archives of sites on their hosts"},
      {"reserve", "ready copies made ahead, so new sites go live at once"},
      {"queue", "what cron runs every minute"},
      {"usage", "metered usage of deployments"},
      {"package", "the package inventory the deployments report"},
      {"task", "commands and their tasks: status, logs, retry, cancel"},
      {"audit", "the audit trail: who changed the catalog, and when"},
      {"catalog", "the catalog itself: copy it to another, such as PostgreSQL"},
  };
  return groups;
}

const std::vector<Command>& command_table() {
  static const std::vector<Command> table = [] {
    std::vector<Command> t;
    add_admin_commands(t);
    add_service_commands(t);
    add_host_commands(t);
    add_client_commands(t);
    add_deployment_commands(t);
    add_site_commands(t);
    add_route_commands(t);
    add_backup_commands(t);
    add_reserve_commands(t);
    add_queue_commands(t);
    add_usage_commands(t);
    add_exchange_commands(t);
    add_package_commands(t);
    add_task_commands(t);
    add_audit_commands(t);
    return t;
  }();
  return table;
}

}  // namespace hostctl::cli
