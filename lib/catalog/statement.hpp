// The one way lib/ and cli/ speak SQL to the catalog: a connection and its
// statements, on either engine. Only lib/catalog knows which: SQLite through
// SQLiteCpp (whose method names these keep) or PostgreSQL through libpq. SQL
// is written once, with SQLite's placeholders (?, ?N, :name); PostgreSQL
// receives them as $N.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace hostctl::catalog {

enum class Engine { SQLite, PostgreSQL };

// A postgresql:// or postgres:// URI names a PostgreSQL catalog; anything else is a SQLite file.
Engine engine_of(std::string_view location);

// A column of a catalog table, in the engine-neutral terms of the schema:
// type INTEGER, REAL, TEXT or BLOB; key its place in the primary key (0: none).
struct TableColumn {
  std::string name, type;
  int key = 0;
};

namespace detail {
class Rows;  // a statement of one engine (lib/catalog/backend.hpp)
class Link;  // a connection of one engine
}  // namespace detail

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
  Value(const detail::Rows& rows, int index, std::shared_ptr<detail::Rows> owner = nullptr)
      : owner_(std::move(owner)), rows_(&rows), index_(index) {}
  std::shared_ptr<detail::Rows> owner_;
  const detail::Rows* rows_;
  int index_;
};

class Connection {
 public:
  // An existing catalog, read-write: a SQLite file, or a PostgreSQL URI.
  explicit Connection(const std::string& location);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Engine engine() const;
  // Runs statements that return no rows; the number of rows changed.
  int exec(const std::string& sql);
  // The first column of the first row of a query.
  Value execAndGet(const std::string& sql);

  // The engine's side, for lib/catalog alone (transactions, locks, schema).
  detail::Link& link() { return *link_; }

 private:
  std::unique_ptr<detail::Link> link_;
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
  std::shared_ptr<detail::Rows> rows_;
};

}  // namespace hostctl::catalog
