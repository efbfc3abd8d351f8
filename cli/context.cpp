#include "context.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace hostctl::cli {

catalog::Catalog& Context::catalog() {
  if (!catalog_) catalog_ = catalog::Catalog::open(settings.get("catalog"), actor());
  return *catalog_;
}

catalog::Actor Context::actor() const {
  std::string user;
  if (const passwd* pw = ::getpwuid(::geteuid())) user = pw->pw_name;
  else user = "uid:" + std::to_string(::geteuid());
  // Parameter values are kept in the deployment (masked there when secret); the
  // command line recorded for the audit trail and `task list` never holds them.
  std::vector<std::string> recorded = argv;
  for (size_t i = 0; i < recorded.size(); ++i) {
    std::string& arg = recorded[i];
    size_t value_at = std::string::npos;
    if (arg.rfind("--param=", 0) == 0)
      value_at = arg.find('=', 8);
    else if (i > 0 && recorded[i - 1] == "--param")
      value_at = arg.find('=');
    if (value_at != std::string::npos) arg = arg.substr(0, value_at + 1) + "********";
  }
  // argv may hold any bytes; the audit trail keeps them readable, not exact.
  return {user, nlohmann::json(recorded).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
          settings.get("node"), settings.seconds("node_lease")};
}

void Context::info(const std::string& message) const {
  if (!quiet) std::fprintf(stderr, "%s\n", message.c_str());
}

void Context::warn(const std::string& message) const { std::fprintf(stderr, "hostctl: warning: %s\n", message.c_str()); }

}  // namespace hostctl::cli
