// What is on the hosts versus what the catalog says: `host import` registers
// the deployments whose manifests it finds (a lost catalog is rebuilt from the
// hosts), and the drift report lists each difference `host verify` sees.
#pragma once

#include <string>
#include <vector>

#include "model/host.hpp"
#include "run/operation.hpp"
#include "run/runner.hpp"

namespace hostctl::lifecycle {

struct ImportResult {
  std::vector<std::string> registered;  // deployment names
  std::vector<std::string> sites;       // sites created for them
  std::vector<std::string> skipped;     // "name: why"
  std::vector<std::string> clients;     // clients made for those sites
  std::vector<std::string> routes;      // routes brought back (those that were active, activated)
  Failure route_error;                  // activating them failed
  run::RunSummary summary;
};
ImportResult import_host(run::Ops& ops, const std::string& host);

// host verify's command: each host's checks (hostops::verify_spec) and, on a
// database server, the list of its hostctl databases, in the same lane.
run::CommandSpec verify_spec(catalog::Catalog& catalog, const std::vector<model::Host>& hosts, int64_t timeout);

struct Drift {
  std::string host;
  std::string kind;    // missing-on-host, unknown-on-host, stage, site, manifest-missing, manifest-stale,
                       // router-/web-file-missing, -extra, -differs, certificate-missing,
                       // database-missing (object: the deployment), database-extra (object: the database)
  std::string object;  // deployment name or router file
  std::string detail;
};
// The differences a finished `host verify` command saw.
std::vector<Drift> drift_of(catalog::Catalog& catalog, int64_t verify_command_id);
// Puts hosts back as the catalog says where it can: router files, manifests,
// a deployment's missing database (made again, empty: its data comes from a
// backup), the database of a deployment the catalog removed (dropped). A
// database no deployment ever owned is not the catalog's, and is left alone.
// Returns what it could not repair.
std::vector<Drift> repair(run::Ops& ops, const std::vector<Drift>& drift);

}  // namespace hostctl::lifecycle
