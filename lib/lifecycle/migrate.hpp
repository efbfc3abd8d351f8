// Moving a site to another host (Aegir's migrate).
#pragma once

#include <string>

#include "core/error.hpp"
#include "run/operation.hpp"
#include "run/runner.hpp"

namespace hostctl::lifecycle {

struct MigrateResult {
  std::string from_host, to_host, deployment;
  Failure error;
  run::RunSummary failed;  // the run that failed, when one did
};

// Back up the active deployment, install a fresh copy on the target host,
// stream the archive there host to host (checksum checked), restore it, then
// switch the site to it (health-gated). The old copy is locked on its host,
// not removed.
MigrateResult migrate_site(run::Ops& ops, const std::string& site, const std::string& to_host);

}  // namespace hostctl::lifecycle
