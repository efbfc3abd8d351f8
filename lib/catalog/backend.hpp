// What each engine provides behind catalog::Connection and catalog::Statement
// (lib/catalog only): sqlite_backend.cpp and postgres_backend.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/migrations.hpp"
#include "catalog/statement.hpp"

namespace hostctl::catalog::detail {

enum class ColumnType { Null, Integer, Float, Text, Blob };

// A prepared statement and, after a step, its current row.
class Rows {
 public:
  virtual ~Rows() = default;
  virtual void bind_int(int index, int64_t value) = 0;
  virtual void bind_double(int index, double value) = 0;
  virtual void bind_text(int index, const std::string& value) = 0;
  virtual void bind_blob(int index, std::string_view bytes) = 0;
  virtual void bind_null(int index) = 0;
  virtual int index_of(const char* name) const = 0;  // 0: no such parameter
  virtual bool step() = 0;
  virtual int exec() = 0;
  virtual void reset() = 0;
  virtual int column_count() const = 0;
  virtual const std::string& query() const = 0;
  virtual ColumnType type(int column) const = 0;
  virtual int64_t get_int64(int column) const = 0;
  virtual double get_double(int column) const = 0;
  virtual std::string get_string(int column) const = 0;
};

// Who holds a named lock, for the busy message; empty when nobody is known.
struct Holder {
  std::string text;
};

class Link {
 public:
  virtual ~Link() = default;
  virtual Engine engine() const = 0;
  virtual int exec(const std::string& sql) = 0;
  virtual std::unique_ptr<Rows> prepare(const std::string& sql) = 0;

  // A write transaction, serial with every other writer of the catalog.
  virtual void begin_write() = 0;
  virtual int schema_version() = 0;
  // Runs the steps in one transaction and records the new version.
  virtual void migrate(const std::vector<Migration>& steps) = 0;
  virtual std::vector<std::string> integrity_problems() = 0;
  virtual std::vector<TableColumn> columns(const std::string& table) = 0;
  // After rows were inserted with their ids given, new rows' ids follow them.
  virtual void continue_ids(const std::string& table) = 0;
  // Seconds since the epoch on the catalog's clock (the server's, when there is one).
  virtual int64_t clock() = 0;

  // A lock named `name` held by this connection until release or until the
  // process dies; `holder` is what others are told while it is held.
  virtual bool try_lock(const std::string& name, const std::string& holder) = 0;
  virtual void unlock(const std::string& name) = 0;
  virtual std::string lock_holder(const std::string& name) = 0;
};

std::unique_ptr<Link> open_sqlite(const std::string& path);
std::unique_ptr<Link> open_postgres(const std::string& uri);

// A failure PostgreSQL reported, with its SQLSTATE ("08006": the connection was lost).
class PostgresError : public std::runtime_error {
 public:
  PostgresError(std::string sqlstate, const std::string& message)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

}  // namespace hostctl::catalog::detail
