// The catalog on SQLite (the default): one file, WAL mode, BEGIN IMMEDIATE for
// writers, and flock files beside it for the named locks.
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <algorithm>
#include <chrono>
#include <map>

#include "catalog/backend.hpp"
#include "catalog/catalog.hpp"
#include "core/clock.hpp"
#include "core/lockfile.hpp"

namespace hostctl::catalog::detail {
namespace {

class SqliteRows final : public Rows {
 public:
  SqliteRows(SQLite::Database& db, const std::string& sql) : statement_(db, sql), query_(sql) {}
  void bind_int(int index, int64_t value) override { statement_.bind(index, value); }
  void bind_double(int index, double value) override { statement_.bind(index, value); }
  void bind_text(int index, const std::string& value) override { statement_.bind(index, value); }
  void bind_blob(int index, std::string_view bytes) override {
    statement_.bind(index, bytes.data(), static_cast<int>(bytes.size()));
  }
  void bind_null(int index) override { statement_.bind(index); }
  int index_of(const char* name) const override { return statement_.getIndex(name); }
  bool step() override { return statement_.executeStep(); }
  int exec() override { return statement_.exec(); }
  void reset() override { statement_.reset(); }
  int column_count() const override { return statement_.getColumnCount(); }
  const std::string& query() const override { return query_; }
  ColumnType type(int column) const override {
    switch (statement_.getColumn(column).getType()) {
      case SQLITE_INTEGER: return ColumnType::Integer;
      case SQLITE_FLOAT: return ColumnType::Float;
      case SQLITE_BLOB: return ColumnType::Blob;
      case SQLITE_NULL: return ColumnType::Null;
      default: return ColumnType::Text;
    }
  }
  int64_t get_int64(int column) const override { return statement_.getColumn(column).getInt64(); }
  double get_double(int column) const override { return statement_.getColumn(column).getDouble(); }
  std::string get_string(int column) const override { return statement_.getColumn(column).getString(); }

 private:
  // SQLiteCpp's accessors are not const; reading a column changes nothing we keep.
  mutable SQLite::Statement statement_;
  std::string query_;
};

// What the busy handler of one connection remembers while it waits.
struct BusyWait {
  std::string wal_path;
  std::chrono::steady_clock::time_point started, progress;
  std::pair<int64_t, int64_t> wal{};  // size and mtime (ns) of the WAL file when last seen changing
};

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

class SqliteLink final : public Link {
 public:
  explicit SqliteLink(const std::string& path) : path_(path), db_(path, SQLite::OPEN_READWRITE) {
    busy_.wal_path = path + "-wal";
    ::sqlite3_busy_handler(db_.getHandle(), busy_handler, &busy_);
    db_.exec("PRAGMA foreign_keys = ON");
    db_.exec("PRAGMA synchronous = NORMAL");
    if (db_.execAndGet("PRAGMA journal_mode").getString() != "wal") db_.execAndGet("PRAGMA journal_mode = WAL");
  }

  Engine engine() const override { return Engine::SQLite; }
  int exec(const std::string& sql) override { return db_.exec(sql); }
  std::unique_ptr<Rows> prepare(const std::string& sql) override { return std::make_unique<SqliteRows>(db_, sql); }
  void begin_write() override { db_.exec("BEGIN IMMEDIATE"); }
  int schema_version() override { return db_.execAndGet("PRAGMA user_version").getInt(); }

  void migrate(const std::vector<Migration>& steps) override {
    SQLite::Transaction txn(db_, SQLite::TransactionBehavior::IMMEDIATE);
    for (const Migration& m : steps) {
      db_.exec(m.sql);
      db_.exec(fmt::format("PRAGMA user_version = {}", m.version));
    }
    txn.commit();
  }

  std::vector<std::string> integrity_problems() override {
    std::vector<std::string> problems;
    SQLite::Statement check(db_, "PRAGMA integrity_check");
    while (check.executeStep()) {
      std::string line = check.getColumn(0).getString();
      if (line != "ok") problems.push_back(line);
    }
    SQLite::Statement fk(db_, "PRAGMA foreign_key_check");
    while (fk.executeStep())
      problems.push_back(fmt::format("table {} row {} refers to a missing {} row", fk.getColumn(0).getString(),
                                     fk.getColumn(1).getInt64(), fk.getColumn(2).getString()));
    return problems;
  }

  std::vector<TableColumn> columns(const std::string& table) override {
    std::vector<TableColumn> out;
    SQLite::Statement q(db_, "SELECT name, upper(type), pk FROM pragma_table_info(?) ORDER BY cid");
    q.bind(1, table);
    while (q.executeStep()) out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getInt()});
    return out;
  }
  void continue_ids(const std::string&) override {}  // a rowid follows the largest one by itself

  int64_t clock() override { return now_epoch(); }

  bool try_lock(const std::string& name, const std::string& holder) override {
    auto& lock = locks_[name];
    if (!lock) lock = std::make_unique<FileLock>(fmt::format("{}.{}.lock", path_, name));
    return lock->try_acquire(holder);
  }
  void unlock(const std::string& name) override { locks_.erase(name); }
  std::string lock_holder(const std::string& name) override {
    auto& lock = locks_[name];
    if (!lock) lock = std::make_unique<FileLock>(fmt::format("{}.{}.lock", path_, name));
    return lock->holder();
  }

 private:
  std::string path_;
  SQLite::Database db_;
  BusyWait busy_;
  std::map<std::string, std::unique_ptr<FileLock>> locks_;  // flock files beside the catalog
};

}  // namespace

std::unique_ptr<Link> open_sqlite(const std::string& path) { return std::make_unique<SqliteLink>(path); }

}  // namespace hostctl::catalog::detail
