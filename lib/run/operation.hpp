// What every lifecycle operation needs: the catalog, how to run commands, and
// a way to tell the operator what is happening (lib never prints itself).
#pragma once

#include <functional>
#include <string>

#include "catalog/catalog.hpp"
#include "run/runner.hpp"

namespace hostctl::lifecycle {

struct Ops {
  catalog::Catalog& catalog;
  run::RunOptions run;
  int64_t min_free_kb = 10240;  // pre-flight: refuse install/clone/backup/restore below this
  std::function<void(const std::string&)> say = [](const std::string&) {};
};

}  // namespace hostctl::lifecycle
