// The SQLite catalog: opening, creating and upgrading it, and write
// transactions that record who made each change (the audit trail).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
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

// BEGIN IMMEDIATE ... COMMIT. Rolls back unless commit() is called. Never make
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

// What the busy handler of one connection remembers while it waits.
struct BusyWait {
  std::string wal_path;
  std::chrono::steady_clock::time_point started, progress;
  std::pair<int64_t, int64_t> wal{};  // size and mtime (ns) of the WAL file when last seen changing
};

class Catalog {
 public:
  // Opens an existing catalog at the current schema version.
  static std::unique_ptr<Catalog> open(const std::filesystem::path& path, Actor actor);
  // Creates the catalog, or upgrades it after keeping a copy of the old file.
  static InitReport init(const std::filesystem::path& path, const Actor& actor);

  Connection& db() { return db_; }
  const std::filesystem::path& path() const { return path_; }
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
  // "ok", or the problems PRAGMA integrity_check and foreign_key_check report.
  std::vector<std::string> integrity_problems();

  Catalog(const std::filesystem::path& path, Actor actor);
  ~Catalog();
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

 private:
  std::filesystem::path path_;
  Connection db_;
  BusyWait busy_;
  Actor actor_;
  bool dry_run_ = false;
  std::vector<std::string> dry_run_changes_;
};

// A command waits for other processes' write transactions as long as one of
// them commits every kBusyTimeoutSeconds, up to kBusyLimitSeconds in all.
inline constexpr int kBusyTimeoutSeconds = 30;
inline constexpr int kBusyLimitSeconds = 300;

// Runs an "INSERT ... RETURNING id" and gives the new row's id: the one way
// every engine tells it (no engine's last-insert rowid).
int64_t insert_returning_id(Statement& insert);

// A failure of the catalog's engine as a typed error (busy -> Busy, not a
// database -> Usage, the rest Internal); nullopt for any other exception.
std::optional<Error> engine_error(const std::exception& e, const std::filesystem::path& path);

}  // namespace hostctl::catalog
