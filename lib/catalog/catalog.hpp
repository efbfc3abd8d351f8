// The catalog, on SQLite or PostgreSQL: opening, creating and upgrading it,
// write transactions that record who made each change (the audit trail), and
// the named locks one process holds at a time (the refill, a queue's lease).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "catalog/statement.hpp"
#include "core/error.hpp"

namespace hostctl::catalog {

// Who is changing the catalog, for the audit trail, and from which control
// node: a command it runs is claimed for lease_seconds at a time.
struct Actor {
  std::string user;
  std::string argv;  // the command line, as JSON array text
  std::string node = "local";
  int64_t lease_seconds = 30;
};

class Catalog;

// BEGIN IMMEDIATE ... COMMIT (on PostgreSQL: BEGIN and the catalog's write
// lock, so check-then-write stays serial). Rolls back unless commit() is called. Never make
// a remote call while one is open. A change made on an operator's behalf names
// its action and is audited; bookkeeping (task states, logs) passes "".
class Write {
 public:
  Write(Catalog& catalog, std::string action);
  ~Write();
  Write(const Write&) = delete;
  Write& operator=(const Write&) = delete;
  void set_action(std::string action) { action_ = std::move(action); }  // when known only inside
  void commit();

 private:
  Catalog& catalog_;
  std::string action_;
  bool open_ = false;
};

struct InitReport {
  bool created = false;
  int from_version = 0;
  int to_version = 0;
  std::string backup_path;  // empty unless an existing catalog was upgraded
};

class Catalog {
 public:
  // Opens an existing catalog at the current schema version: a SQLite file, or a postgresql:// URI.
  static std::unique_ptr<Catalog> open(const std::string& location, Actor actor);
  // Creates the catalog, or upgrades it (a SQLite file after keeping a copy of
  // it; PostgreSQL in one transaction, which a failure rolls back whole).
  static InitReport init(const std::string& location, const Actor& actor);

  Connection& db() { return db_; }
  Engine engine() const { return db_.engine(); }
  const std::string& location() const { return location_; }
  // Ends a SELECT that picks a row to take (a ready copy, a queued command):
  // on PostgreSQL a row another transaction holds is passed over, never handed
  // out twice; SQLite's one writer at a time needs nothing.
  const char* skip_locked() const { return engine() == Engine::PostgreSQL ? " FOR UPDATE SKIP LOCKED" : ""; }
  // Seconds since the epoch on the catalog's clock: PostgreSQL's when the
  // catalog is shared, so that nodes compare leases on one clock.
  int64_t clock();
  const Actor& actor() const { return actor_; }
  int schema_version();
  // With dry-run on, the whole command runs inside one transaction that is
  // rolled back at the end: each Write is a savepoint, so later steps see what
  // earlier ones wrote, and nothing is kept. The runner runs no task then.
  void set_dry_run(bool on);
  bool dry_run() const { return dry_run_; }
  // In a dry run: the actions of the writes that would have been committed.
  const std::vector<std::string>& dry_run_changes() const { return dry_run_changes_; }
  void note_dry_run_change(std::string action) { dry_run_changes_.push_back(std::move(action)); }
  // The problems SQLite's integrity_check and foreign_key_check report (none: all is well).
  std::vector<std::string> integrity_problems();
  // A table's columns in their order, as both engines describe them alike.
  std::vector<TableColumn> columns(const std::string& table);
  // After rows were inserted with their ids given, new rows' ids follow them.
  void continue_ids(const std::string& table);

  Catalog(const std::string& location, Actor actor);
  ~Catalog();
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

 private:
  std::string location_;
  Connection db_;
  Actor actor_;
  bool dry_run_ = false;
  std::vector<std::string> dry_run_changes_;
};

// A command waits for other processes' write transactions as long as one of
// them commits every kBusyTimeoutSeconds, up to kBusyLimitSeconds in all.
inline constexpr int kBusyTimeoutSeconds = 30;
inline constexpr int kBusyLimitSeconds = 300;

// A lock one process of all that share the catalog holds at a time: a flock
// file beside a SQLite catalog, a session advisory lock on PostgreSQL. Either
// is freed when its holder dies. Released when this object goes.
class Lock {
 public:
  Lock(Catalog& catalog, std::string name);
  ~Lock();
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;
  // `holder` (who, which process, which node) is what others are told while it is held.
  [[nodiscard]] bool try_acquire(const std::string& holder);
  // Polls until acquired or `seconds` have passed.
  [[nodiscard]] bool acquire_within(const std::string& holder, double seconds);
  std::string holder();

 private:
  Catalog& catalog_;
  std::string name_;
  bool held_ = false;
};

// Every table of the schema, each after the tables it refers to: the order
// rows can be inserted in (export, import, catalog copy).
const std::vector<std::string>& tables();
// The order to read a table's rows in, the same on both engines: its primary
// key's columns ("id", or "a, b"), or every column when it has none (directive).
std::string primary_key_order(const std::vector<TableColumn>& columns);

// The location as it may be shown: a URI's password (user:PASSWORD@ or
// ?password=) masked.
std::string shown_location(const std::string& location);
// Refuses (a usage error) a location given on the command line (OPTION) whose
// URI carries a password, which any user's ps and the recorded command line
// would show: the password belongs in ~/.pgpass or PGPASSFILE.
void refuse_password_on_command_line(const std::string& location, const std::string& option);

// Runs an "INSERT ... RETURNING id" and gives the new row's id: the one way
// every engine tells it (no engine's last-insert rowid).
int64_t insert_returning_id(Statement& insert);

// A failure of the catalog's engine as a typed error (busy -> Busy, not a
// database -> Usage, its server unreachable -> Unreachable, the rest
// Internal); nullopt for any other exception.
std::optional<Error> engine_error(const std::exception& e, const std::string& location);
// The same, for any exception: what is not the engine's is Internal.
Error catalog_error(const std::exception& e, const std::string& location);

}  // namespace hostctl::catalog
