#include "catalog/catalog.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Transaction.h>

#include "catalog/migrations.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"

namespace hostctl::catalog {
namespace fs = std::filesystem;

namespace {

// SQLite gives the -wal and -shm files the mode of the database file, so
// creating the file 0600 first keeps all three private.
void create_private_file(const fs::path& path) {
  std::error_code ec;
  if (path.has_parent_path()) {
    fs::create_directories(path.parent_path(), ec);
    if (ec)
      throw Error(ErrorKind::Internal,
                  fmt::format("cannot create directory '{}': {}", path.parent_path().string(), ec.message()));
  }
  int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    throw Error(ErrorKind::Internal, fmt::format("cannot create catalog '{}': {}", path.string(), strerror(errno)));
  ::close(fd);
}

int user_version(SQLite::Database& db) { return db.execAndGet("PRAGMA user_version").getInt(); }

void apply_migrations(SQLite::Database& db, int from) {
  SQLite::Transaction txn(db, SQLite::TransactionBehavior::IMMEDIATE);
  for (const Migration& m : migrations()) {
    if (m.version <= from) continue;
    db.exec(m.sql);
    db.exec(fmt::format("PRAGMA user_version = {}", m.version));
  }
  txn.commit();
}

}  // namespace

int64_t insert_returning_id(Statement& insert) {
  if (!insert.executeStep()) throw Error(ErrorKind::Internal, "an insert returned no id: " + insert.getQuery());
  int64_t id = insert.getColumn(0).getInt64();
  while (insert.executeStep()) {
  }
  return id;
}

std::optional<Error> engine_error(const std::exception& e, const fs::path& path) {
  if (auto* se = dynamic_cast<const SQLite::Exception*>(&e)) {
    int code = se->getErrorCode() & 0xff;
    // Refused at once, no waiting: this process began a write while one of its
    // own statements still read an older snapshot. A bug in hostctl, not load.
    if (se->getExtendedErrorCode() == SQLITE_BUSY_SNAPSHOT)
      return Error(ErrorKind::Internal,
                   fmt::format("catalog '{}': a write began under a read left open by this process: {}",
                               path.string(), se->what()));
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
      return Error(ErrorKind::Busy,
                   fmt::format("catalog '{}' stayed busy (no write committed for {} s, or {} s waited): {}",
                               path.string(), kBusyTimeoutSeconds, kBusyLimitSeconds, se->what()),
                   "other hostctl processes kept the catalog locked; try again");
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
      return Error(ErrorKind::Usage, fmt::format("'{}' is not a usable catalog: {}", path.string(), se->what()));
    return Error(ErrorKind::Internal, fmt::format("catalog '{}': {}", path.string(), e.what()));
  }
  return std::nullopt;
}

namespace {

// A writer waits while other writers make progress, and gives up only when
// no transaction has committed for kBusyTimeoutSeconds (the WAL file, which
// every commit writes, kept its size and mtime), or after kBusyLimitSeconds in
// all. A fixed 30 s wait failed 75 of 200 processes on a slow CI machine under
// ASan although commits never stopped. Sleeps start short, so the lock is
// handed on within a millisecond, and back off to 8 ms (jittered) so that
// hundreds of waiters polling do not take the CPU from the one holding it.
int busy_handler(void* state, int attempt) {
  auto& busy = *static_cast<BusyWait*>(state);
  auto now = std::chrono::steady_clock::now();
  struct stat st {};
  bool has_wal = ::stat(busy.wal_path.c_str(), &st) == 0;
  std::pair<int64_t, int64_t> wal{has_wal ? st.st_size : -1,
                                has_wal ? int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec : 0};
  if (attempt == 0) {
    busy.started = now;
    busy.progress = now;
    busy.wal = wal;
  } else if (wal != busy.wal) {
    busy.progress = now;
    busy.wal = wal;
  }
  if (now - busy.progress > std::chrono::seconds(kBusyTimeoutSeconds) ||
      now - busy.started > std::chrono::seconds(kBusyLimitSeconds))
    return 0;
  int ceiling = std::min(8000, 500 << std::min(attempt, 4));
  ::usleep(static_cast<useconds_t>(ceiling / 2 + (::getpid() * 7919 + attempt * 104729) % (ceiling / 2)));
  return 1;
}

}  // namespace

Catalog::Catalog(const fs::path& path, Actor actor)
    : path_(path), db_(path.string()), actor_(std::move(actor)) {
  busy_.wal_path = path.string() + "-wal";
  ::sqlite3_busy_handler(db_.sqlite().getHandle(), busy_handler, &busy_);
  db_.exec("PRAGMA foreign_keys = ON");
  db_.exec("PRAGMA synchronous = NORMAL");
  if (db_.execAndGet("PRAGMA journal_mode").getString() != "wal") db_.execAndGet("PRAGMA journal_mode = WAL");
}

Catalog::~Catalog() {
  if (!dry_run_) return;
  try {
    db_.exec("ROLLBACK");
  } catch (...) {
    // Closing the connection rolls the transaction back as well.
  }
}

void Catalog::set_dry_run(bool on) {
  if (on == dry_run_) return;
  if (!on) throw Error(ErrorKind::Internal, "a dry run cannot be turned off");
  db_.exec("BEGIN IMMEDIATE");
  dry_run_ = true;
}

std::unique_ptr<Catalog> Catalog::open(const fs::path& path, Actor actor) {
  if (!fs::exists(path))
    throw Error(ErrorKind::NotFound, fmt::format("catalog '{}' does not exist", path.string()),
                "run 'hostctl init' to create it, or point --catalog at an existing one");
  try {
    auto catalog = std::make_unique<Catalog>(path, std::move(actor));
    int version = catalog->schema_version();
    if (version < latest_version())
      throw Error(ErrorKind::Refused,
                  fmt::format("catalog '{}' has schema version {}; this hostctl needs {}", path.string(), version,
                              latest_version()),
                  "run 'hostctl init' to upgrade it (a copy of the old file is kept)");
    if (version > latest_version())
      throw Error(ErrorKind::Refused,
                  fmt::format("catalog '{}' has schema version {}, newer than this hostctl knows ({})",
                              path.string(), version, latest_version()),
                  "use a newer hostctl");
    return catalog;
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw engine_error(e, path).value_or(Error(ErrorKind::Internal, fmt::format("catalog '{}': {}", path.string(), e.what())));
  }
}

InitReport Catalog::init(const fs::path& path, const Actor& actor) {
  InitReport report;
  report.to_version = latest_version();
  try {
    if (!fs::exists(path)) {
      create_private_file(path);
      report.created = true;
    }
    Catalog catalog(path, actor);
    report.from_version = catalog.schema_version();
    if (report.from_version > report.to_version)
      throw Error(ErrorKind::Refused, fmt::format("catalog '{}' has schema version {}, newer than this hostctl ({})",
                                                  path.string(), report.from_version, report.to_version));
    if (report.from_version == report.to_version) return report;
    if (!report.created) {
      // A consistent copy even while other connections use the WAL.
      report.backup_path =
          fmt::format("{}.v{}-{}.bak", path.string(), report.from_version, now_utc());
      Statement vacuum(catalog.db(), "VACUUM INTO ?");
      vacuum.bind(1, report.backup_path);
      vacuum.exec();
      ::chmod(report.backup_path.c_str(), 0600);
    }
    apply_migrations(catalog.db().sqlite(), report.from_version);
    Write audit(catalog, fmt::format("init: schema {} -> {}", report.from_version, report.to_version));
    audit.commit();
    return report;
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw engine_error(e, path).value_or(Error(ErrorKind::Internal, fmt::format("catalog '{}': {}", path.string(), e.what())));
  }
}

int Catalog::schema_version() { return user_version(db_.sqlite()); }

std::vector<std::string> Catalog::integrity_problems() {
  std::vector<std::string> problems;
  Statement check(db_, "PRAGMA integrity_check");
  while (check.executeStep()) {
    std::string line = check.getColumn(0).getString();
    if (line != "ok") problems.push_back(line);
  }
  Statement fk(db_, "PRAGMA foreign_key_check");
  while (fk.executeStep())
    problems.push_back(fmt::format("table {} row {} refers to a missing {} row", fk.getColumn(0).getString(),
                                   fk.getColumn(1).getInt64(), fk.getColumn(2).getString()));
  return problems;
}

Write::Write(Catalog& catalog, std::string action) : catalog_(catalog), action_(std::move(action)) {
  catalog_.db().exec(catalog_.dry_run() ? "SAVEPOINT hostctl_write" : "BEGIN IMMEDIATE");
  open_ = true;
}

Write::~Write() {
  if (open_) {
    try {
      catalog_.db().exec(catalog_.dry_run() ? "ROLLBACK TO hostctl_write; RELEASE hostctl_write" : "ROLLBACK");
    } catch (...) {
      // Nothing more can be done: SQLite rolls back on close anyway.
    }
  }
}

void Write::commit() {
  if (catalog_.dry_run()) {
    catalog_.db().exec("RELEASE hostctl_write");
    if (!action_.empty()) catalog_.note_dry_run_change(action_);
    open_ = false;
    return;
  }
  if (!action_.empty()) {
    Statement audit(catalog_.db(), "INSERT INTO audit(at, actor, argv, action) VALUES (?, ?, ?, ?)");
    audit.bind(1, now_utc());
    audit.bind(2, catalog_.actor().user);
    audit.bind(3, catalog_.actor().argv);
    audit.bind(4, action_);
    audit.exec();
  }
  catalog_.db().exec("COMMIT");
  open_ = false;
}

}  // namespace hostctl::catalog
