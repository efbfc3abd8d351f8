// What every handler gets: settings, global flags, the catalog, and stderr.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "config/settings.hpp"

namespace hostctl::cli {

struct Context {
  config::Settings settings;
  std::vector<std::string> argv;
  std::string field;  // --field NAME
  bool quiet = false;
  bool verbose = false;
  bool dry_run = false;
  bool yes = false;
  bool stderr_tty = false;
  bool stdout_tty = false;
  bool stdin_tty = false;
  std::unique_ptr<catalog::Catalog> catalog_;
  // The help of the command the words name ("site", "site create"), from the parser.
  std::function<std::string(const std::vector<std::string>&)> help_for;

  catalog::Catalog& catalog();
  catalog::Actor actor() const;
  const std::string& output() const { return settings.get("output"); }
  bool json_errors() const { return output() == "json"; }

  // Messages to stderr; info is silenced by -q.
  void info(const std::string& message) const;
  void warn(const std::string& message) const;
};

}  // namespace hostctl::cli
