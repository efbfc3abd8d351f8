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
  // argv may hold any bytes; the audit trail keeps them readable, not exact.
  return {user, nlohmann::json(argv).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

void Context::info(const std::string& message) const {
  if (!quiet) std::fprintf(stderr, "%s\n", message.c_str());
}

void Context::warn(const std::string& message) const { std::fprintf(stderr, "hostctl: warning: %s\n", message.c_str()); }

}  // namespace hostctl::cli
