#include "catalog/statement.hpp"

#include <fmt/format.h>

#include "catalog/backend.hpp"
#include "core/error.hpp"

namespace hostctl::catalog {

Engine engine_of(std::string_view location) {
  return location.starts_with("postgresql://") || location.starts_with("postgres://") ? Engine::PostgreSQL
                                                                                     : Engine::SQLite;
}

using detail::ColumnType;

bool Value::isNull() const { return rows_->type(index_) == ColumnType::Null; }
bool Value::isInteger() const { return rows_->type(index_) == ColumnType::Integer; }
bool Value::isFloat() const { return rows_->type(index_) == ColumnType::Float; }
bool Value::isText() const { return rows_->type(index_) == ColumnType::Text; }
int Value::getInt() const { return static_cast<int>(rows_->get_int64(index_)); }
int64_t Value::getInt64() const { return rows_->get_int64(index_); }
double Value::getDouble() const { return rows_->get_double(index_); }
std::string Value::getString() const { return rows_->get_string(index_); }

Connection::Connection(const std::string& location)
    : link_(engine_of(location) == Engine::PostgreSQL ? detail::open_postgres(location)
                                                      : detail::open_sqlite(location)) {}

Connection::~Connection() = default;

Engine Connection::engine() const { return link_->engine(); }

int Connection::exec(const std::string& sql) { return link_->exec(sql); }

Value Connection::execAndGet(const std::string& sql) {
  std::shared_ptr<detail::Rows> rows = link_->prepare(sql);
  if (!rows->step()) throw Error(ErrorKind::Internal, fmt::format("the query returned no row: {}", sql));
  return Value(*rows, 0, rows);
}

Statement::Statement(Connection& connection, const std::string& sql) : rows_(connection.link().prepare(sql)) {}

Statement::~Statement() = default;

void Statement::bind(int index, int64_t value) { rows_->bind_int(index, value); }
void Statement::bind(int index, double value) { rows_->bind_double(index, value); }
void Statement::bind(int index, const std::string& value) { rows_->bind_text(index, value); }
void Statement::bind(int index) { rows_->bind_null(index); }
void Statement::bind_blob(int index, std::string_view bytes) { rows_->bind_blob(index, bytes); }

bool Statement::executeStep() { return rows_->step(); }
int Statement::exec() { return rows_->exec(); }
void Statement::reset() { rows_->reset(); }
Value Statement::getColumn(int index) { return Value(*rows_, index); }
int Statement::getColumnCount() const { return rows_->column_count(); }
std::string Statement::getQuery() const { return rows_->query(); }

int Statement::index_of(const char* name) const {
  int index = rows_->index_of(name);
  if (index == 0) throw Error(ErrorKind::Internal, fmt::format("no parameter {} in: {}", name, getQuery()));
  return index;
}

}  // namespace hostctl::catalog
