#include "exchange/exchange.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

#include "catalog/migrations.hpp"
#include "core/error.hpp"
#include "model/validate.hpp"
#include "secrets/secrets.hpp"

namespace hostctl::exchange {
namespace {

// The inventory's tables, in foreign-key order: every table but the history
// (commands, their tasks and logs, the audit trail), certificates and the
// usage-record schedule. `catalog copy` moves those too.
const std::vector<std::string> kTables = [] {
  const std::vector<std::string> left_behind = {"certificate", "site_record_due", "audit",   "command",
                                                "task",        "task_log",        "directive"};
  std::vector<std::string> out;
  for (const auto& t : catalog::tables())
    if (std::find(left_behind.begin(), left_behind.end(), t) == left_behind.end()) out.push_back(t);
  return out;
}();

// How secrets travel in an export: masked, or (--with-secrets) open, marked,
// to be sealed again with the importing catalog's key.
constexpr std::string_view kMasked = "********";
constexpr std::string_view kOpen = "hostctl-secret:";

// The columns that hold sealed values: the secret table's, and secret
// parameters inside a deployment's params (a JSON object).
bool holds_secrets(const std::string& table, const std::string& column) {
  return (table == "secret" && column == "sealed") || (table == "deployment" && column == "params");
}

// Applies `one` to each sealed value of the column's text.
std::string each_secret(const std::string& table, const std::string& text,
                        const std::function<std::string(const std::string&)>& one) {
  if (table == "secret") return one(text);
  auto params = nlohmann::json::parse(text, nullptr, false);
  if (!params.is_object()) return text;
  for (auto& [_, v] : params.items())
    if (v.is_string()) v = one(v.get<std::string>());
  return params.dump();
}

}  // namespace

std::string export_yaml(catalog::Catalog& catalog, bool with_secrets) {
  auto out_secret = [&](const std::string& v) {
    if (!secrets::is_sealed(v)) return v;
    return with_secrets ? std::string(kOpen) + secrets::unseal(catalog, v) : std::string(kMasked);
  };
  auto& db = catalog.db();
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "hostctl_export" << YAML::Value << 1;
  out << YAML::Key << "schema_version" << YAML::Value << catalog.schema_version();
  for (const auto& table : kTables) {
    auto cols = catalog.columns(table);
    out << YAML::Key << table << YAML::Value << YAML::BeginSeq;
    catalog::Statement q(db, fmt::format("SELECT * FROM {} ORDER BY {}", table, catalog::primary_key_order(cols)));
    while (q.executeStep()) {
      out << YAML::BeginMap;
      for (int i = 0; i < q.getColumnCount(); ++i) {
        out << YAML::Key << cols[i].name << YAML::Value;
        auto c = q.getColumn(i);
        if (c.isText() && holds_secrets(table, cols[i].name)) out << YAML::DoubleQuoted << each_secret(table, c.getString(), out_secret);
        else if (c.isNull()) out << YAML::Null;
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
    catalog::Statement count(db, fmt::format("SELECT count(*) FROM {}", table));
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
    auto cols = catalog.columns(table);
    std::string names, marks;
    for (const auto& c : cols) {
      names += (names.empty() ? "" : ", ") + c.name;
      marks += marks.empty() ? "?" : ", ?";
    }
    catalog::Statement insert(db, fmt::format("INSERT INTO {}({}) VALUES ({})", table, names, marks));
    for (const auto& row : rows) {
      if (!row.IsMap()) throw Error(ErrorKind::Usage, fmt::format("{}: a {} row must be a mapping", where(row), table));
      for (const auto& item : row) {
        std::string key = item.first.as<std::string>();
        if (std::none_of(cols.begin(), cols.end(), [&](const catalog::TableColumn& c) { return c.name == key; }))
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
        } else if (holds_secrets(table, cols[i].name)) {
          insert.bind(index, each_secret(table, v.Scalar(), [&](const std::string& value) {
            if (value == kMasked)
              throw Error(ErrorKind::Refused, fmt::format("{}: {}.{} holds a masked secret", where(v), table, cols[i].name),
                          "export with --with-secrets to carry the secrets");
            return value.starts_with(kOpen) ? secrets::seal(catalog, value.substr(kOpen.size())) : value;
          }));
        } else if (cols[i].type == "BLOB") {
          insert.bind_blob(index, v.Scalar());
        } else {
          insert.bind(index, v.Scalar());
        }
      }
      try {
        insert.exec();
      } catch (const std::exception& e) {  // the engine refused the row (a constraint)
        throw Error(ErrorKind::Usage, fmt::format("{}: this {} row is refused: {}", where(row), table, e.what()));
      }
      insert.reset();
    }
    catalog.continue_ids(table);
    report += fmt::format("{}{}={}", report.empty() ? "" : " ", table, rows.size());
  }
  write.commit();
  return report;
}

}  // namespace hostctl::exchange
