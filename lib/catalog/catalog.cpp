#include "catalog/catalog.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <filesystem>
#include <regex>
#include <thread>

#include <SQLiteCpp/Exception.h>

#include "catalog/backend.hpp"
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

}  // namespace

std::vector<Migration> migration_steps(Engine engine, int from) {
  std::vector<Migration> steps;
  auto common = migrations();
  if (engine == Engine::SQLite) {
    for (const Migration& m : common)
      if (m.version > from) steps.push_back(m);
    return steps;
  }
  auto own = postgres_migrations();
  int baseline = own.empty() ? 0 : own.front().version;
  auto own_of = [&](int version) -> const Migration* {
    for (const Migration& m : own)
      if (m.version == version) return &m;
    return nullptr;
  };
  if (from < baseline) steps.push_back(own.front());
  for (const Migration& m : common) {
    if (m.version <= std::max(from, baseline)) continue;
    const Migration* replacement = own_of(m.version);
    steps.push_back(replacement ? *replacement : m);
  }
  return steps;
}

const std::vector<std::string>& tables() {
  static const std::vector<std::string> all = {
      "host",    "host_role", "client",  "service", "service_file", "service_version", "service_version_file",
      "site",    "deployment", "secret", "route",   "fact",         "package",         "backup",
      "usage",   "schedule_run", "certificate", "site_record_due", "audit", "command", "task",
      "task_log", "directive"};
  return all;
}

std::string primary_key_order(const std::vector<TableColumn>& columns) {
  std::vector<TableColumn> keys;
  std::copy_if(columns.begin(), columns.end(), std::back_inserter(keys), [](const auto& c) { return c.key > 0; });
  if (keys.empty()) keys = columns;
  std::stable_sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k.name;
  return out;
}

namespace {
// Compiled on first use, not at every start of hostctl.
const std::regex& user_password() {
  static const std::regex re(R"(^([a-z]+://[^:/@?]*):[^@/]*@)");
  return re;
}
const std::regex& password_parameter() {
  static const std::regex re(R"(([?&]password=)[^&]*)");
  return re;
}

bool carries_password(const std::string& location) {
  return engine_of(location) == Engine::PostgreSQL &&
         (std::regex_search(location, user_password()) || std::regex_search(location, password_parameter()));
}
}  // namespace

std::string shown_location(const std::string& location) {
  if (engine_of(location) == Engine::SQLite) return location;
  return std::regex_replace(std::regex_replace(location, user_password(), "$1:***@"), password_parameter(), "$1***");
}

void refuse_password_on_command_line(const std::string& location, const std::string& option) {
  if (!carries_password(location)) return;
  throw Error(ErrorKind::Usage,
              fmt::format("{} {}: a password on the command line shows in any user's ps and in the recorded "
                          "command line",
                          option, shown_location(location)),
              "put the password in ~/.pgpass or the file PGPASSFILE names (mode 0600), or the whole URI in "
              "HOSTCTL_CATALOG or the configuration file");
}

int64_t insert_returning_id(Statement& insert) {
  if (!insert.executeStep()) throw Error(ErrorKind::Internal, "an insert returned no id: " + insert.getQuery());
  int64_t id = insert.getColumn(0).getInt64();
  while (insert.executeStep()) {
  }
  return id;
}

std::optional<Error> engine_error(const std::exception& e, const std::string& location) {
  std::string where = shown_location(location);
  if (auto* pe = dynamic_cast<const detail::PostgresError*>(&e)) {
    const std::string& state = pe->sqlstate();
    // 08: the connection failed or broke; 57P0x: the server shut down or is starting.
    if (state.starts_with("08") || state.starts_with("57P"))
      return Error(ErrorKind::Unreachable, fmt::format("catalog server {}: {}", where, pe->what()),
                   "check that PostgreSQL runs and answers there; the command changed nothing it did not commit");
    if (state == "55P03" || state == "40001" || state == "40P01")
      return Error(ErrorKind::Busy, fmt::format("catalog {} stayed busy: {}", where, pe->what()),
                   "other hostctl processes kept the catalog locked; try again");
    if (state == "3D000" || state == "28000" || state == "28P01")
      return Error(ErrorKind::Usage, fmt::format("cannot use catalog {}: {}", where, pe->what()));
    return Error(ErrorKind::Internal, fmt::format("catalog {}: {}", where, pe->what()));
  }
  if (auto* se = dynamic_cast<const SQLite::Exception*>(&e)) {
    int code = se->getErrorCode() & 0xff;
    // Refused at once, no waiting: this process began a write while one of its
    // own statements still read an older snapshot. A bug in hostctl, not load.
    if (se->getExtendedErrorCode() == SQLITE_BUSY_SNAPSHOT)
      return Error(ErrorKind::Internal,
                   fmt::format("catalog '{}': a write began under a read left open by this process: {}", where,
                               se->what()));
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
      return Error(ErrorKind::Busy,
                   fmt::format("catalog '{}' stayed busy (no write committed for {} s, or {} s waited): {}", where,
                               kBusyTimeoutSeconds, kBusyLimitSeconds, se->what()),
                   "other hostctl processes kept the catalog locked; try again");
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
      return Error(ErrorKind::Usage, fmt::format("'{}' is not a usable catalog: {}", where, se->what()));
    return Error(ErrorKind::Internal, fmt::format("catalog '{}': {}", where, e.what()));
  }
  return std::nullopt;
}

Error catalog_error(const std::exception& e, const std::string& location) {
  if (auto* error = dynamic_cast<const Error*>(&e)) return *error;
  return engine_error(e, location)
      .value_or(Error(ErrorKind::Internal, fmt::format("catalog '{}': {}", shown_location(location), e.what())));
}

Catalog::Catalog(const std::string& location, Actor actor)
    : location_(location), db_(location), actor_(std::move(actor)) {}

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
  db_.link().begin_write();
  dry_run_ = true;
}

std::unique_ptr<Catalog> Catalog::open(const std::string& location, Actor actor) {
  if (engine_of(location) == Engine::SQLite && !fs::exists(location))
    throw Error(ErrorKind::NotFound, fmt::format("catalog '{}' does not exist", location),
                "run 'hostctl init' to create it, or point --catalog at an existing one");
  try {
    auto catalog = std::make_unique<Catalog>(location, std::move(actor));
    int version = catalog->schema_version();
    std::string where = shown_location(location);
    if (version == 0 && catalog->engine() == Engine::PostgreSQL)
      throw Error(ErrorKind::NotFound, fmt::format("catalog '{}' does not exist: the database has no hostctl schema", where),
                  "run 'hostctl init' to create it there");
    if (version < latest_version())
      throw Error(ErrorKind::Refused,
                  fmt::format("catalog '{}' has schema version {}; this hostctl needs {}", where, version,
                              latest_version()),
                  catalog->engine() == Engine::SQLite ? "run 'hostctl init' to upgrade it (a copy of the old file is kept)"
                                                      : "run 'hostctl init' to upgrade it");
    if (version > latest_version())
      throw Error(ErrorKind::Refused,
                  fmt::format("catalog '{}' has schema version {}, newer than this hostctl knows ({})", where,
                              version, latest_version()),
                  "use a newer hostctl");
    return catalog;
  } catch (const std::exception& e) {
    throw catalog_error(e, location);
  }
}

InitReport Catalog::init(const std::string& location, const Actor& actor) {
  InitReport report;
  report.to_version = latest_version();
  try {
    Engine engine = engine_of(location);
    if (engine == Engine::SQLite && !fs::exists(location)) {
      create_private_file(location);
      report.created = true;
    }
    Catalog catalog(location, actor);
    report.from_version = catalog.schema_version();
    if (engine == Engine::PostgreSQL) report.created = report.from_version == 0;
    if (report.from_version > report.to_version)
      throw Error(ErrorKind::Refused, fmt::format("catalog '{}' has schema version {}, newer than this hostctl ({})",
                                                  shown_location(location), report.from_version, report.to_version));
    if (report.from_version == report.to_version) return report;
    if (!report.created && engine == Engine::SQLite) {
      // A consistent copy even while other connections use the WAL.
      report.backup_path = fmt::format("{}.v{}-{}.bak", location, report.from_version, now_utc());
      Statement vacuum(catalog.db(), "VACUUM INTO ?");
      vacuum.bind(1, report.backup_path);
      vacuum.exec();
      ::chmod(report.backup_path.c_str(), 0600);
    }
    catalog.db().link().migrate(migration_steps(engine, report.from_version));
    Write audit(catalog, fmt::format("init: schema {} -> {}", report.from_version, report.to_version));
    audit.commit();
    return report;
  } catch (const std::exception& e) {
    throw catalog_error(e, location);
  }
}

int Catalog::schema_version() { return db_.link().schema_version(); }

int64_t Catalog::clock() { return db_.link().clock(); }

std::vector<std::string> Catalog::integrity_problems() { return db_.link().integrity_problems(); }
std::vector<TableColumn> Catalog::columns(const std::string& table) { return db_.link().columns(table); }
void Catalog::continue_ids(const std::string& table) { db_.link().continue_ids(table); }

Write::Write(Catalog& catalog, std::string action) : catalog_(catalog), action_(std::move(action)) {
  if (catalog_.dry_run())
    catalog_.db().exec("SAVEPOINT hostctl_write");
  else
    catalog_.db().link().begin_write();
  open_ = true;
}

Write::~Write() {
  if (open_) {
    try {
      catalog_.db().exec(catalog_.dry_run() ? "ROLLBACK TO hostctl_write; RELEASE hostctl_write" : "ROLLBACK");
    } catch (...) {
      // Nothing more can be done: the engine rolls back on close anyway.
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

Lock::Lock(Catalog& catalog, std::string name) : catalog_(catalog), name_(std::move(name)) {}

Lock::~Lock() {
  if (!held_) return;
  try {
    catalog_.db().link().unlock(name_);
  } catch (...) {
    // The lock goes with the connection (or the file) when the process ends.
  }
}

bool Lock::try_acquire(const std::string& holder) {
  held_ = catalog_.db().link().try_lock(name_, holder);
  return held_;
}

bool Lock::acquire_within(const std::string& holder, double seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!try_acquire(holder)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

std::string Lock::holder() { return catalog_.db().link().lock_holder(name_); }

}  // namespace hostctl::catalog
