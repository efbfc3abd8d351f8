#include "exchange/copy.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "catalog/migrations.hpp"
#include "core/error.hpp"
#include "run/command.hpp"
#include "secrets/secrets.hpp"

namespace hostctl::exchange {
namespace {

// The target as a catalog at the current schema: made when it has none yet
// (a SQLite file that does not exist, a PostgreSQL database without the schema).
std::unique_ptr<catalog::Catalog> open_target(const std::string& to, const catalog::Actor& actor, bool& created) {
  try {
    return catalog::Catalog::open(to, actor);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::NotFound) throw;
  }
  created = catalog::Catalog::init(to, actor).created;
  return catalog::Catalog::open(to, actor);
}

// A table's columns as "a, b, c" and its primary key as the order to read it in.
struct TableShape {
  std::vector<catalog::TableColumn> columns;
  std::string names, order;
};

TableShape shape_of(catalog::Catalog& from, catalog::Catalog& to, const std::string& table) {
  TableShape s;
  s.columns = from.columns(table);
  auto theirs = to.columns(table);
  auto by_name = [](const auto& a, const auto& b) { return a.name < b.name; };
  auto mine = s.columns;
  std::sort(mine.begin(), mine.end(), by_name);
  std::sort(theirs.begin(), theirs.end(), by_name);
  if (mine.size() != theirs.size() ||
      !std::equal(mine.begin(), mine.end(), theirs.begin(), [](const auto& a, const auto& b) { return a.name == b.name; }))
    throw Error(ErrorKind::Internal, fmt::format("table {} has other columns in the target than in the source", table));
  for (const auto& c : s.columns) s.names += (s.names.empty() ? "" : ", ") + c.name;
  s.order = catalog::primary_key_order(s.columns);
  return s;
}

int64_t copy_rows(catalog::Catalog& from, catalog::Catalog& to, const std::string& table, const TableShape& s) {
  std::string marks;
  for (size_t i = 0; i < s.columns.size(); ++i) marks += i ? ", ?" : "?";
  catalog::Statement read(from.db(), fmt::format("SELECT {} FROM {} ORDER BY {}", s.names, table, s.order));
  catalog::Statement insert(to.db(), fmt::format("INSERT INTO {}({}) VALUES ({})", table, s.names, marks));
  int64_t n = 0;
  while (read.executeStep()) {
    for (size_t i = 0; i < s.columns.size(); ++i) {
      auto v = read.getColumn(static_cast<int>(i));
      int index = static_cast<int>(i) + 1;
      if (v.isNull()) insert.bind(index);
      else if (s.columns[i].type == "INTEGER") insert.bind(index, v.getInt64());
      else if (s.columns[i].type == "REAL") insert.bind(index, v.getDouble());
      else if (s.columns[i].type == "BLOB") insert.bind_blob(index, v.getString());
      else insert.bind(index, v.getString());
    }
    insert.exec();
    insert.reset();
    ++n;
  }
  to.continue_ids(table);
  return n;
}

bool same_value(catalog::Value a, catalog::Value b, const std::string& type) {
  if (a.isNull() || b.isNull()) return a.isNull() && b.isNull();
  if (type == "INTEGER") return a.getInt64() == b.getInt64();
  if (type == "REAL") return a.getDouble() == b.getDouble();
  return a.getString() == b.getString();
}

// Reads the table back from the target, in the same order as from the source,
// and compares every value: what commits is what was read.
void check_rows(catalog::Catalog& from, catalog::Catalog& to, const std::string& table, const TableShape& s,
                int64_t copied) {
  std::string sql = fmt::format("SELECT {} FROM {} ORDER BY {}", s.names, table, s.order);
  catalog::Statement mine(from.db(), sql), theirs(to.db(), sql);
  int64_t row = 0;
  for (;;) {
    bool a = mine.executeStep(), b = theirs.executeStep();
    if (a != b || (!a && row != copied))
      throw Error(ErrorKind::Internal, fmt::format("the copy of table {} has another number of rows than the source "
                                                   "(checked {}, copied {}); nothing was committed", table, row, copied));
    if (!a) return;
    ++row;
    for (size_t i = 0; i < s.columns.size(); ++i)
      if (!same_value(mine.getColumn(static_cast<int>(i)), theirs.getColumn(static_cast<int>(i)), s.columns[i].type))
        throw Error(ErrorKind::Internal, fmt::format("the copy of table {} differs from the source in row {} "
                                                     "(column {}); nothing was committed", table, row, s.columns[i].name));
  }
}

void refuse_unless_empty(catalog::Catalog& to, bool created) {
  for (const auto& table : catalog::tables()) {
    if (created && table == "audit") continue;  // the target's own "init" entry
    if (to.db().execAndGet(fmt::format("SELECT count(*) FROM {}", table)).getInt64() > 0)
      throw Error(ErrorKind::Refused,
                  fmt::format("catalog '{}' is not empty ({} has rows): a copy goes to a new catalog",
                              catalog::shown_location(to.location()), table),
                  "name a new SQLite file or an empty PostgreSQL database with --to");
  }
}

void refuse_while_running(catalog::Catalog& from) {
  int64_t pending = from.db().execAndGet("SELECT count(*) FROM command WHERE status = 1").getInt64();
  int64_t running = pending - run::count_interrupted(from);
  if (running > 0)
    throw Error(ErrorKind::Busy,
                fmt::format("{} command(s) of catalog '{}' are running: they would go on writing to it after the copy",
                            running, catalog::shown_location(from.location())),
                "wait for them ('hostctl task list'), and stop cron's queue run and reserve refill while copying");
}

}  // namespace

CopyReport copy_catalog(catalog::Catalog& from, const std::string& to_location, const catalog::Actor& actor) {
  auto same_file = [&] {
    std::error_code ec;
    return std::filesystem::equivalent(from.location(), to_location, ec);
  };
  if (to_location == from.location() || (catalog::engine_of(to_location) == catalog::Engine::SQLite && same_file()))
    throw Error(ErrorKind::Usage, fmt::format("--to names the catalog being copied ('{}')",
                                              catalog::shown_location(to_location)));
  refuse_while_running(from);
  CopyReport report;
  auto to = open_target(to_location, actor, report.created);
  refuse_unless_empty(*to, report.created);
  // One snapshot of the source for both the copy and the check.
  from.db().exec(from.engine() == catalog::Engine::PostgreSQL ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                                                              : "BEGIN");
  try {
    catalog::Write write(*to, fmt::format("catalog copy from {}", catalog::shown_location(from.location())));
    if (report.created) to->db().exec("DELETE FROM audit");  // the history comes from the source
    std::vector<TableShape> shapes;
    for (const auto& table : catalog::tables()) {
      shapes.push_back(shape_of(from, *to, table));
      int64_t n = copy_rows(from, *to, table, shapes.back());
      report.rows.emplace_back(table, n);
      report.total += n;
    }
    for (size_t i = 0; i < shapes.size(); ++i)
      check_rows(from, *to, report.rows[i].first, shapes[i], report.rows[i].second);
    report.key_path = secrets::carry_key(from, *to);
    write.commit();
  } catch (const std::exception& e) {
    from.db().exec("ROLLBACK");
    throw catalog::catalog_error(e, to_location);
  }
  from.db().exec("ROLLBACK");
  return report;
}

}  // namespace hostctl::exchange
