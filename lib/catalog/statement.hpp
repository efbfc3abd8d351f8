// The one way lib/ and cli/ speak SQL to the catalog: a connection and its
// statements. Only lib/catalog knows the engine (SQLite, through SQLiteCpp,
// whose method names these keep); a PostgreSQL connection fits behind the
// same classes (issue 15).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace SQLite {
class Database;
class Statement;
}  // namespace SQLite

namespace hostctl::catalog {

// One column of a statement's current row (or, from execAndGet, of a
// one-row query it keeps alive).
class Value {
 public:
  bool isNull() const;
  bool isInteger() const;
  bool isFloat() const;
  bool isText() const;
  int getInt() const;
  int64_t getInt64() const;
  double getDouble() const;
  std::string getString() const;

 private:
  friend class Statement;
  friend class Connection;
  Value(SQLite::Statement& statement, int index, std::shared_ptr<SQLite::Statement> owner = nullptr)
      : owner_(std::move(owner)), statement_(&statement), index_(index) {}
  std::shared_ptr<SQLite::Statement> owner_;
  SQLite::Statement* statement_;
  int index_;
};

class Connection {
 public:
  explicit Connection(const std::string& path);  // an existing catalog, read-write
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs statements that return no rows; the number of rows changed.
  int exec(const std::string& sql);
  // The first column of the first row of a query.
  Value execAndGet(const std::string& sql);

  // The engine's own handle, for lib/catalog alone (transactions, pragmas, busy handling).
  SQLite::Database& sqlite() { return *db_; }

 private:
  std::unique_ptr<SQLite::Database> db_;
};

class Statement {
 public:
  Statement(Connection& connection, const std::string& sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters by position (1, 2, ... or ?N) or by name (":name"); bind(i) is NULL.
  void bind(int index, int64_t value);
  void bind(int index, int value) { bind(index, static_cast<int64_t>(value)); }
  void bind(int index, unsigned value) { bind(index, static_cast<int64_t>(value)); }
  void bind(int index, long long value) { bind(index, static_cast<int64_t>(value)); }
  void bind(int index, unsigned long value) { bind(index, static_cast<int64_t>(value)); }
  void bind(int index, double value);
  void bind(int index, const std::string& value);
  void bind(int index, const char* value) { bind(index, std::string(value)); }
  void bind(int index);
  void bind_blob(int index, std::string_view bytes);  // bytes, not text (a service's files)
  template <class T>
  void bind(const char* name, const T& value) {
    bind(index_of(name), value);
  }
  void bind(const char* name) { bind(index_of(name)); }

  // The next row: false when there is none (a statement without rows runs here).
  bool executeStep();
  // Runs a statement that returns no rows; the number of rows changed.
  int exec();
  // Ready to run again, with the same bindings.
  void reset();
  Value getColumn(int index);
  int getColumnCount() const;
  std::string getQuery() const;

 private:
  int index_of(const char* name) const;
  std::unique_ptr<SQLite::Statement> statement_;
};

}  // namespace hostctl::catalog
