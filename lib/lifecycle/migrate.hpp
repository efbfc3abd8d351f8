// Moving a site to another host (Aegir's migrate).
#pragma once

#include <optional>
#include <string>

#include "core/error.hpp"
#include "run/operation.hpp"
#include "run/runner.hpp"

namespace hostctl::lifecycle {

struct MigrateResult {
  std::string from_host, to_host, deployment;
  std::string from_db_host, to_db_host;  // for a plan with a database
  Failure error;
  run::RunSummary failed;  // the run that failed, when one did
};

// Back up the active deployment, install a fresh copy on the target host,
// stream the archive there host to host (checksum checked), restore it, then
// switch the site to it (health-gated). The old copy is locked on its host,
// not removed. Either or both move: the web host (default: the same one) and
// the database server (default: the least loaded one, for a new web host;
// the same one otherwise).
MigrateResult migrate_site(run::Ops& ops, const std::string& site, const std::optional<std::string>& to_host,
                           const std::optional<std::string>& to_db_host = std::nullopt);

}  // namespace hostctl::lifecycle
