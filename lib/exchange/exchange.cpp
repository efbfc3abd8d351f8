#include "exchange/exchange.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <vector>

#include "catalog/migrations.hpp"
#include "core/error.hpp"
#include "model/validate.hpp"

namespace hostctl::exchange {
namespace {

// In foreign-key order.
const std::vector<std::string> kTables = {"host",       "host_role", "client",  "service", "service_file",
                                          "site",       "deployment", "route",  "fact",    "package",
                                          "backup",     "usage",     "schedule_run"};

struct Column {
  std::string name, type;
};

std::vector<Column> columns(SQLite::Database& db, const std::string& table) {
  std::vector<Column> out;
  SQLite::Statement q(db, "SELECT name, upper(type) FROM pragma_table_info(?) ORDER BY cid");
  q.bind(1, table);
  while (q.executeStep()) out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString()});
  return out;
}

}  // namespace

std::string export_yaml(catalog::Catalog& catalog) {
  auto& db = catalog.db();
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "hostctl_export" << YAML::Value << 1;
  out << YAML::Key << "schema_version" << YAML::Value << catalog.schema_version();
  for (const auto& table : kTables) {
    auto cols = columns(db, table);
    out << YAML::Key << table << YAML::Value << YAML::BeginSeq;
    SQLite::Statement q(db, fmt::format("SELECT * FROM {} ORDER BY rowid", table));
    while (q.executeStep()) {
      out << YAML::BeginMap;
      for (int i = 0; i < q.getColumnCount(); ++i) {
        out << YAML::Key << cols[i].name << YAML::Value;
        auto c = q.getColumn(i);
        if (c.isNull()) out << YAML::Null;
        else if (c.isInteger()) out << c.getInt64();
        else if (c.isFloat()) out << c.getDouble();
        else if (c.getString().find('\n') != std::string::npos) out << YAML::Literal << c.getString();
        else out << YAML::DoubleQuoted << c.getString();
      }
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string import_yaml(catalog::Catalog& catalog, const std::string& text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw Error(ErrorKind::Usage, fmt::format("{}:{}:{}: {}", source, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  auto where = [&](const YAML::Node& n) { return fmt::format("{}:{}:{}", source, n.Mark().line + 1, n.Mark().column + 1); };
  if (!root.IsMap() || !root["hostctl_export"])
    throw Error(ErrorKind::Usage, fmt::format("{}: not a hostctl export", source));
  if (root["schema_version"].as<int>(0) != catalog.schema_version())
    throw Error(ErrorKind::Refused,
                fmt::format("{} was exported at schema version {}, this catalog is at {}", source,
                            root["schema_version"].as<std::string>("?"), catalog.schema_version()),
                "import into a catalog made by the same hostctl version");
  auto& db = catalog.db();
  catalog::Write write(catalog, "import " + source);
  for (const auto& table : kTables) {
    SQLite::Statement count(db, fmt::format("SELECT count(*) FROM {}", table));
    count.executeStep();
    if (count.getColumn(0).getInt64() > 0)
      throw Error(ErrorKind::Refused, fmt::format("the catalog is not empty ({} has rows)", table),
                  "import into a new catalog: hostctl --catalog NEW.db init");
  }
  std::string report;
  for (const auto& table : kTables) {
    const YAML::Node rows = root[table];
    if (!rows) continue;
    if (!rows.IsSequence()) throw Error(ErrorKind::Usage, fmt::format("{}: {} must be a list", where(rows), table));
    auto cols = columns(db, table);
    std::string names, marks;
    for (const auto& c : cols) {
      names += (names.empty() ? "" : ", ") + c.name;
      marks += marks.empty() ? "?" : ", ?";
    }
    SQLite::Statement insert(db, fmt::format("INSERT INTO {}({}) VALUES ({})", table, names, marks));
    for (const auto& row : rows) {
      if (!row.IsMap()) throw Error(ErrorKind::Usage, fmt::format("{}: a {} row must be a mapping", where(row), table));
      for (const auto& item : row) {
        std::string key = item.first.as<std::string>();
        if (std::none_of(cols.begin(), cols.end(), [&](const Column& c) { return c.name == key; }))
          throw Error(ErrorKind::Usage, fmt::format("{}: unknown column '{}' of {}", where(item.first), key, table));
      }
      for (size_t i = 0; i < cols.size(); ++i) {
        const YAML::Node v = row[cols[i].name];
        int index = static_cast<int>(i) + 1;
        if (!v || v.IsNull()) {
          insert.bind(index);
        } else if (!v.IsScalar()) {
          throw Error(ErrorKind::Usage, fmt::format("{}: {}.{} must be a single value", where(v), table, cols[i].name));
        } else if (cols[i].type == "INTEGER" && v.Tag() != "!") {
          try {
            insert.bind(index, v.as<int64_t>());
          } catch (const YAML::Exception&) {
            throw Error(ErrorKind::Usage, fmt::format("{}: {}.{} must be a whole number", where(v), table, cols[i].name));
          }
        } else if (cols[i].type == "REAL" && v.Tag() != "!") {
          insert.bind(index, v.as<double>());
        } else {
          insert.bind(index, v.Scalar());
        }
      }
      try {
        insert.exec();
      } catch (const SQLite::Exception& e) {
        throw Error(ErrorKind::Usage, fmt::format("{}: this {} row is refused: {}", where(row), table, e.what()));
      }
      insert.reset();
    }
    report += fmt::format("{}{}={}", report.empty() ? "" : " ", table, rows.size());
  }
  write.commit();
  return report;
}

}  // namespace hostctl::exchange
