// A deployment's own database on a database server (a host with --db-engine):
// the steps that make, copy, dump, load and drop it. Each runs the engine's
// client on the db host through hostctl's session, as the host's admin user,
// whose password reaches it only inside the task's stdin (an option file the
// step writes with umask 077), never in a command line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "model/host.hpp"
#include "run/command.hpp"

namespace hostctl::databases {

// The name of a deployment's database password among its secrets.
inline constexpr const char* kPassword = "db_password";

// Where a deployment's database is, and who it belongs to (the user has the
// database's name and rights on it alone).
struct Placement {
  model::Host server;
  std::string name;
  std::string password;
};

// The name of a new deployment's database (and user): hc_ + its name.
std::string database_name(const std::string& deployment_name);

// The least loaded database server of `engine` with room; Refused when none.
model::Host choose_server(catalog::Catalog& catalog, const std::string& engine, const std::string& service);
// The named host, checked: a database server of `engine` with room.
model::Host named_server(catalog::Catalog& catalog, const std::string& engine, const std::string& ref);

// What every task of a deployment with a database gets: HOSTCTL_DB_HOST,
// _PORT, _NAME, _USER, _PASSWORD (the last a secret).
run::Env application_env(const Placement& db);

// Steps on the database server. `lane` is the lane of the command they join.
run::TaskSpec create_step(catalog::Catalog& catalog, const Placement& db, int lane);
run::TaskSpec drop_step(catalog::Catalog& catalog, const Placement& db, int lane);
// Empties `to` and copies `from` into it: one step on a shared server, else a
// dump on the source, a load on the target (copied between them) and a cleanup.
std::vector<run::TaskSpec> copy_steps(catalog::Catalog& catalog, const Placement& from, const Placement& to,
                                      int lane);
// Dumps the database into `file` on host `into` (the deployment's own host),
// for its backup; the dump passes through hostctl's sessions.
std::vector<run::TaskSpec> dump_steps(catalog::Catalog& catalog, const Placement& db, const model::Host& into,
                                      const std::string& file, int lane);
// Empties the database and loads `file` from host `from` (a restored backup) into it.
std::vector<run::TaskSpec> load_steps(catalog::Catalog& catalog, const Placement& db, const model::Host& from,
                                      const std::string& file, int lane);
// The deployment's user may write its database, or (a locked deployment) only read it.
run::TaskSpec access_step(catalog::Catalog& catalog, const Placement& db, bool writable, int lane);
// Lists the server's hostctl databases (hc_*), one `@hostctl set database=NAME` each.
run::TaskSpec list_step(catalog::Catalog& catalog, const model::Host& server, int lane);

}  // namespace hostctl::databases
