#include "plugin.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <sstream>

#include "command.hpp"
#include "core/error.hpp"
#include "model/validate.hpp"
#include "suggest.hpp"

namespace hostctl::cli {
namespace {

std::string find_in_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    std::string candidate = dir + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

}  // namespace

std::optional<int> run_plugin_if_unknown(const std::vector<std::string>& argv) {
  static const std::set<std::string> takes_value = {"--catalog", "--config", "-o", "--output",
                                                    "--field",   "--jobs",   "--timeout"};
  size_t i = 1;
  std::string catalog;
  for (; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--") return std::nullopt;
    if (a.empty() || a[0] != '-') break;
    if (takes_value.count(a) && i + 1 < argv.size()) {
      if (a == "--catalog") catalog = argv[i + 1];
      ++i;
    }
  }
  if (i >= argv.size()) return std::nullopt;
  const std::string& word = argv[i];
  std::set<std::string> known;
  for (const Group& g : command_groups()) known.insert(g.name);
  for (const Command& c : command_table()) known.insert(c.path.substr(0, c.path.find(' ')));
  if (known.count(word)) return std::nullopt;

  if (model::check_name(word).empty()) {
    std::string plugin = find_in_path("hostctl-" + word);
    if (!plugin.empty()) {
      if (!catalog.empty()) ::setenv("HOSTCTL_CATALOG", catalog.c_str(), 1);
      std::vector<char*> args;
      args.push_back(const_cast<char*>(plugin.c_str()));
      for (size_t k = i + 1; k < argv.size(); ++k) args.push_back(const_cast<char*>(argv[k].c_str()));
      args.push_back(nullptr);
      std::fflush(nullptr);
      ::execv(plugin.c_str(), args.data());
      throw Error(ErrorKind::Internal, fmt::format("cannot run plugin '{}': {}", plugin, std::strerror(errno)));
    }
  }
  auto best = nearest(word, std::vector<std::string>(known.begin(), known.end()));
  throw Error(ErrorKind::Usage, fmt::format("unknown command {}", model::shown(word)),
              best ? fmt::format("did you mean '{}'?", *best) : "run 'hostctl help' for the commands");
}

}  // namespace hostctl::cli
