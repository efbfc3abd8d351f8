// The catalog on PostgreSQL, through libpq (loaded on first use, like libssh:
// a SQLite catalog never pays for it). Writers are serial as under SQLite's
// BEGIN IMMEDIATE: each takes one transaction advisory lock at BEGIN. Named
// locks (the refill lock, queue leases) are session advisory locks, freed by
// the server when their holder's connection ends, as flock is by the kernel.
#include <fmt/format.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <cstring>
#include <map>

#include "catalog/backend.hpp"
#include "catalog/catalog.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/library.hpp"

namespace hostctl::catalog::detail {
namespace {

#define HOSTCTL_LIBPQ_FUNCTIONS(X) \
  X(PQconnectdbParams)             \
  X(PQstatus)                      \
  X(PQerrorMessage)                \
  X(PQfinish)                      \
  X(PQexec)                        \
  X(PQexecParams)                  \
  X(PQresultStatus)                \
  X(PQresultErrorField)            \
  X(PQresultErrorMessage)          \
  X(PQclear)                       \
  X(PQntuples)                     \
  X(PQnfields)                     \
  X(PQgetvalue)                    \
  X(PQgetlength)                   \
  X(PQgetisnull)                   \
  X(PQftype)                       \
  X(PQcmdTuples)                   \
  X(PQsetNoticeProcessor)

constexpr const char* kLibPq = "libpq.so.5";

struct LibPq {
#define HOSTCTL_DECLARE(name) decltype(&::name) name = nullptr;
  HOSTCTL_LIBPQ_FUNCTIONS(HOSTCTL_DECLARE)
#undef HOSTCTL_DECLARE
};

const LibPq& libpq() {
  static const LibPq api = [] {
    void* handle = load_library(kLibPq, "libpq5");
    LibPq loaded;
#define HOSTCTL_RESOLVE(name) loaded.name = reinterpret_cast<decltype(&::name)>(library_symbol(handle, kLibPq, #name));
    HOSTCTL_LIBPQ_FUNCTIONS(HOSTCTL_RESOLVE)
#undef HOSTCTL_RESOLVE
    return loaded;
  }();
  return api;
}

// Type OIDs (pg_type.dat) of the columns the catalog reads.
constexpr Oid kBool = 16, kBytea = 17, kInt8 = 20, kInt2 = 21, kInt4 = 23, kFloat4 = 700, kFloat8 = 701,
              kNumeric = 1700;

// Every hostctl advisory lock lives in this space ("host"), keyed by a hash of its name.
constexpr int32_t kLockSpace = 0x686f7374;
int32_t lock_key(const std::string& name) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : name) h = (h ^ c) * 16777619u;
  return static_cast<int32_t>(h);
}

using Result = std::unique_ptr<PGresult, void (*)(PGresult*)>;
Result owned(PGresult* r) { return Result(r, [](PGresult* p) { libpq().PQclear(p); }); }

// The SQL with SQLite's placeholders as PostgreSQL's: ?N -> $N, ? -> the next
// number, :name -> a number of its own (kept in `names`). Quoted text,
// identifiers and comments are left alone.
std::string to_dollar_params(const std::string& sql, std::map<std::string, int>& names, int& count) {
  std::string out;
  out.reserve(sql.size() + 8);
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (size_t i = 0; i < sql.size();) {
    char c = sql[i];
    if (c == '\'' || c == '"') {
      size_t end = sql.find(c, i + 1);
      while (end != std::string::npos && end + 1 < sql.size() && sql[end + 1] == c) end = sql.find(c, end + 2);
      end = end == std::string::npos ? sql.size() : end + 1;
      out.append(sql, i, end - i);
      i = end;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      size_t end = sql.find('\n', i);
      end = end == std::string::npos ? sql.size() : end;
      out.append(sql, i, end - i);
      i = end;
    } else if (c == '?') {
      size_t j = i + 1;
      while (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j]))) ++j;
      int n = j > i + 1 ? std::stoi(sql.substr(i + 1, j - i - 1)) : count + 1;
      count = std::max(count, n);
      out += fmt::format("${}", n);
      i = j;
    } else if (c == ':' && i + 1 < sql.size() && (std::isalpha(static_cast<unsigned char>(sql[i + 1])) || sql[i + 1] == '_') &&
               (i == 0 || sql[i - 1] != ':')) {
      size_t j = i + 1;
      while (j < sql.size() && word(sql[j])) ++j;
      std::string name = sql.substr(i, j - i);
      auto [it, added] = names.emplace(name, count + 1);
      if (added) ++count;
      out += fmt::format("${}", it->second);
      i = j;
    } else {
      out += c;
      ++i;
    }
  }
  return out;
}

std::string decode_hex_bytea(const char* text, int length) {
  // "\x" then two hex digits a byte (bytea_output = hex, set at connect).
  std::string out;
  if (length < 2) return out;
  out.reserve(static_cast<size_t>(length - 2) / 2);
  auto digit = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (int i = 2; i + 1 < length; i += 2) out += static_cast<char>(digit(text[i]) << 4 | digit(text[i + 1]));
  return out;
}

class PostgresLink;

class PostgresRows final : public Rows {
 public:
  PostgresRows(PGconn* conn, const std::string& sql) : conn_(conn), query_(sql), result_(nullptr, nullptr) {
    int count = 0;
    text_ = to_dollar_params(sql, names_, count);
    params_.resize(static_cast<size_t>(count));
  }

  void bind_int(int index, int64_t value) override { set(index, std::to_string(value), kInt8, 0); }
  void bind_double(int index, double value) override { set(index, fmt::format("{}", value), kFloat8, 0); }
  // Text goes untyped, as libpq's own callers send it: the server gives it the
  // type its place needs (a TEXT column, an integer column an import fills).
  void bind_text(int index, const std::string& value) override { set(index, value, 0, 0); }
  void bind_blob(int index, std::string_view bytes) override { set(index, std::string(bytes), kBytea, 1); }
  void bind_null(int index) override { param(index) = Param{}; }
  int index_of(const char* name) const override {
    auto it = names_.find(name);
    return it == names_.end() ? 0 : it->second;
  }

  bool step() override {
    if (!result_) run();
    return ++row_ < rows_;
  }
  int exec() override {
    run();
    const char* n = libpq().PQcmdTuples(result_.get());
    return n && *n ? std::atoi(n) : 0;
  }
  void reset() override {
    result_.reset();
    row_ = -1;
    rows_ = 0;
  }
  int column_count() const override { return result_ ? libpq().PQnfields(result_.get()) : 0; }
  const std::string& query() const override { return query_; }

  ColumnType type(int column) const override {
    if (libpq().PQgetisnull(result_.get(), row_, column)) return ColumnType::Null;
    switch (libpq().PQftype(result_.get(), column)) {
      case kBool:
      case kInt2:
      case kInt4:
      case kInt8: return ColumnType::Integer;
      case kFloat4:
      case kFloat8: return ColumnType::Float;
      case kNumeric: return std::strchr(raw(column), '.') ? ColumnType::Float : ColumnType::Integer;
      case kBytea: return ColumnType::Blob;
      default: return ColumnType::Text;
    }
  }
  int64_t get_int64(int column) const override {
    const char* v = raw(column);
    if (*v == 't') return 1;  // a boolean, as SQLite gives it
    if (std::strchr(v, '.')) return static_cast<int64_t>(std::strtod(v, nullptr));
    return std::strtoll(v, nullptr, 10);
  }
  double get_double(int column) const override { return *raw(column) == 't' ? 1.0 : std::strtod(raw(column), nullptr); }
  std::string get_string(int column) const override {
    if (libpq().PQgetisnull(result_.get(), row_, column)) return "";
    Oid type = libpq().PQftype(result_.get(), column);
    if (type == kBytea) return decode_hex_bytea(raw(column), libpq().PQgetlength(result_.get(), row_, column));
    if (type == kBool) return *raw(column) == 't' ? "1" : "0";
    return std::string(raw(column), static_cast<size_t>(libpq().PQgetlength(result_.get(), row_, column)));
  }

 private:
  struct Param {
    std::optional<std::string> value;
    Oid type = 0;
    int format = 0;  // 0 text, 1 binary
  };
  Param& param(int index) {
    if (index < 1 || index > static_cast<int>(params_.size()))
      throw Error(ErrorKind::Internal, fmt::format("no parameter {} in: {}", index, query_));
    return params_[static_cast<size_t>(index - 1)];
  }
  void set(int index, std::string value, Oid type, int format) { param(index) = Param{std::move(value), type, format}; }
  const char* raw(int column) const { return libpq().PQgetvalue(result_.get(), row_, column); }

  void run();

  PGconn* conn_;
  std::string query_, text_;
  std::map<std::string, int> names_;
  std::vector<Param> params_;
  Result result_;
  int row_ = -1, rows_ = 0;
};

[[noreturn]] void fail(PGconn* conn, PGresult* result, const std::string& sql) {
  const char* state = result ? libpq().PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = result ? libpq().PQresultErrorMessage(result) : libpq().PQerrorMessage(conn);
  if (message.empty()) message = libpq().PQerrorMessage(conn);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  // No SQLSTATE and a broken connection: the server went away.
  std::string sqlstate = state ? state : (libpq().PQstatus(conn) == CONNECTION_BAD ? "08006" : "XX000");
  throw PostgresError(sqlstate, fmt::format("{} (in: {})", message, sql.substr(0, 200)));
}

Result checked(PGconn* conn, PGresult* r, const std::string& sql) {
  auto result = owned(r);
  auto status = r ? libpq().PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY)
    fail(conn, r, sql);
  return result;
}

void PostgresRows::run() {
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  std::vector<Oid> types;
  for (const auto& p : params_) {
    values.push_back(p.value ? p.value->data() : nullptr);
    lengths.push_back(p.value ? static_cast<int>(p.value->size()) : 0);
    formats.push_back(p.format);
    types.push_back(p.type);
  }
  int n = static_cast<int>(params_.size());
  result_ = checked(conn_,
                    libpq().PQexecParams(conn_, text_.c_str(), n, types.data(), values.data(), lengths.data(),
                                         formats.data(), 0),
                    query_);
  row_ = -1;
  rows_ = libpq().PQntuples(result_.get());
}

void ignore_notice(void*, const char*) {}

class PostgresLink final : public Link {
 public:
  explicit PostgresLink(const std::string& uri) {
    // The URI comes first and expands; what follows it wins.
    const char* keys[] = {"dbname", "connect_timeout", nullptr};
    const char* values[] = {uri.c_str(), "10", nullptr};
    conn_ = libpq().PQconnectdbParams(keys, values, 1);
    if (!conn_ || libpq().PQstatus(conn_) != CONNECTION_OK) {
      std::string message = conn_ ? libpq().PQerrorMessage(conn_) : "out of memory";
      while (!message.empty() && message.back() == '\n') message.pop_back();
      if (conn_) libpq().PQfinish(conn_);
      throw PostgresError("08001", message);
    }
    libpq().PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
    // A writer waits for others as long as SQLite's busy handler would.
    exec(fmt::format("SET lock_timeout = '{}s'; SET bytea_output = 'hex'; SET application_name = 'hostctl'",
                     kBusyLimitSeconds));
  }
  ~PostgresLink() override { libpq().PQfinish(conn_); }

  Engine engine() const override { return Engine::PostgreSQL; }

  int exec(const std::string& sql) override {
    auto r = checked(conn_, libpq().PQexec(conn_, sql.c_str()), sql);
    const char* n = libpq().PQcmdTuples(r.get());
    return n && *n ? std::atoi(n) : 0;
  }
  std::unique_ptr<Rows> prepare(const std::string& sql) override { return std::make_unique<PostgresRows>(conn_, sql); }

  void begin_write() override {
    exec(fmt::format("BEGIN; SELECT pg_advisory_xact_lock({}, {})", kLockSpace, lock_key("write")));
  }

  int schema_version() override {
    exec("CREATE TABLE IF NOT EXISTS hostctl_schema (version BIGINT NOT NULL)");
    PostgresRows q(conn_, "SELECT coalesce(max(version), 0) FROM hostctl_schema");
    q.step();
    return static_cast<int>(q.get_int64(0));
  }

  void migrate(const std::vector<Migration>& steps) override {
    begin_write();
    try {
      int at = schema_version();  // another node may have upgraded it while this one waited
      for (const Migration& m : steps) {
        if (m.version <= at) continue;
        exec(m.sql);
        exec(fmt::format("DELETE FROM hostctl_schema; INSERT INTO hostctl_schema VALUES ({})", m.version));
      }
      exec("COMMIT");
    } catch (...) {
      exec_quietly("ROLLBACK");
      throw;
    }
  }

  // The server keeps its own pages and foreign keys whole; what is left to check is that it answers.
  std::vector<std::string> integrity_problems() override {
    exec("SELECT 1");
    return {};
  }

  std::vector<TableColumn> columns(const std::string& table) override {
    std::vector<TableColumn> out;
    PostgresRows q(conn_,
                   "SELECT c.column_name, CASE WHEN c.data_type IN ('bigint', 'integer', 'smallint') THEN 'INTEGER' "
                   "WHEN c.data_type IN ('double precision', 'real') THEN 'REAL' WHEN c.data_type = 'bytea' THEN 'BLOB' "
                   "ELSE 'TEXT' END, coalesce((SELECT k.ordinal_position FROM information_schema.key_column_usage k "
                   "JOIN information_schema.table_constraints t ON t.constraint_name = k.constraint_name AND "
                   "t.table_schema = k.table_schema AND t.constraint_type = 'PRIMARY KEY' WHERE k.table_schema = "
                   "c.table_schema AND k.table_name = c.table_name AND k.column_name = c.column_name), 0) "
                   "FROM information_schema.columns c WHERE c.table_schema = current_schema() AND c.table_name = ? "
                   "ORDER BY c.ordinal_position");
    q.bind_text(1, table);
    while (q.step()) out.push_back({q.get_string(0), q.get_string(1), static_cast<int>(q.get_int64(2))});
    return out;
  }
  void continue_ids(const std::string& table) override {
    PostgresRows identity(conn_, "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
                                 "AND table_name = ? AND column_name = 'id' AND is_identity = 'YES'");
    identity.bind_text(1, table);
    if (identity.step())
      exec(fmt::format("SELECT setval(pg_get_serial_sequence('{0}', 'id'), coalesce(max(id), 0) + 1, false) FROM {0}",
                       table));
  }

  int64_t clock() override {
    if (const char* pinned = std::getenv("HOSTCTL_NOW"); pinned && *pinned) return now_epoch();
    PostgresRows q(conn_, "SELECT floor(extract(epoch FROM clock_timestamp()))::bigint");
    q.step();
    return q.get_int64(0);
  }

  bool try_lock(const std::string& name, const std::string& holder) override {
    PostgresRows name_it(conn_, "SELECT set_config('application_name', ?, false)");
    name_it.bind_text(1, holder.substr(0, 63));
    name_it.step();
    PostgresRows q(conn_, fmt::format("SELECT pg_try_advisory_lock({}, {})", kLockSpace, lock_key(name)));
    q.step();
    return q.get_int64(0) == 1;
  }
  void unlock(const std::string& name) override {
    exec(fmt::format("SELECT pg_advisory_unlock({}, {})", kLockSpace, lock_key(name)));
  }
  std::string lock_holder(const std::string& name) override {
    PostgresRows q(conn_,
                   fmt::format("SELECT a.application_name, coalesce(host(a.client_addr), 'local socket') "
                               "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                               "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = {} "
                               "AND l.objid = {}::bigint::oid AND l.objsubid = 2",
                               kLockSpace, static_cast<uint32_t>(lock_key(name))));
    if (!q.step()) return "another process";
    return fmt::format("{}, connected from {}", q.get_string(0), q.get_string(1));
  }

 private:
  void exec_quietly(const char* sql) { libpq().PQclear(libpq().PQexec(conn_, sql)); }
  PGconn* conn_ = nullptr;
};

}  // namespace

std::unique_ptr<Link> open_postgres(const std::string& uri) { return std::make_unique<PostgresLink>(uri); }

}  // namespace hostctl::catalog::detail
