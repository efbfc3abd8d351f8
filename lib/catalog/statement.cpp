#include "catalog/statement.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>

#include "core/error.hpp"

namespace hostctl::catalog {

bool Value::isNull() const { return statement_->getColumn(index_).isNull(); }
bool Value::isInteger() const { return statement_->getColumn(index_).isInteger(); }
bool Value::isFloat() const { return statement_->getColumn(index_).isFloat(); }
bool Value::isText() const { return statement_->getColumn(index_).isText(); }
int Value::getInt() const { return statement_->getColumn(index_).getInt(); }
int64_t Value::getInt64() const { return statement_->getColumn(index_).getInt64(); }
double Value::getDouble() const { return statement_->getColumn(index_).getDouble(); }
std::string Value::getString() const { return statement_->getColumn(index_).getString(); }

Connection::Connection(const std::string& path)
    : db_(std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE)) {}

Connection::~Connection() = default;

int Connection::exec(const std::string& sql) { return db_->exec(sql); }

Value Connection::execAndGet(const std::string& sql) {
  auto statement = std::make_shared<SQLite::Statement>(*db_, sql);
  if (!statement->executeStep())
    throw Error(ErrorKind::Internal, fmt::format("the query returned no row: {}", sql));
  return Value(*statement, 0, statement);
}

Statement::Statement(Connection& connection, const std::string& sql)
    : statement_(std::make_unique<SQLite::Statement>(connection.sqlite(), sql)) {}

Statement::~Statement() = default;

void Statement::bind(int index, int64_t value) { statement_->bind(index, value); }
void Statement::bind(int index, double value) { statement_->bind(index, value); }
void Statement::bind(int index, const std::string& value) { statement_->bind(index, value); }
void Statement::bind(int index) { statement_->bind(index); }
void Statement::bind_blob(int index, std::string_view bytes) {
  statement_->bind(index, bytes.data(), static_cast<int>(bytes.size()));
}

bool Statement::executeStep() { return statement_->executeStep(); }
int Statement::exec() { return statement_->exec(); }
void Statement::reset() { statement_->reset(); }
Value Statement::getColumn(int index) { return Value(*statement_, index); }
int Statement::getColumnCount() const { return statement_->getColumnCount(); }
std::string Statement::getQuery() const { return statement_->getQuery(); }

int Statement::index_of(const char* name) const {
  int index = statement_->getIndex(name);
  if (index == 0) throw Error(ErrorKind::Internal, fmt::format("no parameter {} in: {}", name, getQuery()));
  return index;
}

}  // namespace hostctl::catalog
