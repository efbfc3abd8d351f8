#include "render.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "core/error.hpp"

namespace hostctl::cli {
namespace {

using Json = nlohmann::ordered_json;

std::string cell(const Json& v, const char* null_text) {
  if (v.is_null()) return null_text;
  if (v.is_string()) {
    // One line per row: embedded newlines would break the table.
    std::string s = v.get<std::string>();
    std::replace(s.begin(), s.end(), '\n', ' ');
    return s;
  }
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_array()) {
    std::string s;
    for (const auto& item : v) s += (s.empty() ? "" : ",") + cell(item, null_text);
    return s;
  }
  if (v.is_object() && v.empty()) return "";
  return v.dump();
}

std::string escape_tsv(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '\t') out += "\\t";
    else if (c == '\n') out += "\\n";
    else if (c == '\\') out += "\\\\";
    else out += c;
  }
  return out;
}

// Display width in code points, close enough for names and dates.
size_t text_width(const std::string& s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string fit(const std::string& s, size_t width) {
  if (text_width(s) <= width) return s + std::string(width - text_width(s), ' ');
  std::string out;
  size_t w = 0;
  for (size_t i = 0; i < s.size() && w + 1 < width; ++i) {
    out += s[i];
    if ((s[i] & 0xC0) != 0x80) ++w;
  }
  while (!out.empty() && (out.back() & 0xC0) == 0x80 && (out.back() & 0x40) == 0) out.pop_back();
  return out + "…";
}

std::vector<std::string> columns_of(const Output& output, const Json& rows) {
  if (!output.columns.empty()) return output.columns;
  std::vector<std::string> cols;
  if (!rows.empty() && rows.front().is_object())
    for (const auto& item : rows.front().items()) cols.push_back(item.key());
  return cols;
}

std::string table(const Output& output, const Json& rows, int width) {
  auto cols = columns_of(output, rows);
  std::vector<std::vector<std::string>> grid;
  std::vector<std::string> header;
  for (const auto& c : cols) {
    std::string h = c;
    std::transform(h.begin(), h.end(), h.begin(), ::toupper);
    header.push_back(h);
  }
  grid.push_back(header);
  for (const auto& row : rows) {
    std::vector<std::string> line;
    for (const auto& c : cols) line.push_back(cell(row.contains(c) ? row[c] : Json(), "-"));
    grid.push_back(line);
  }
  std::vector<size_t> widths(cols.size(), 0);
  for (const auto& line : grid)
    for (size_t i = 0; i < line.size(); ++i) widths[i] = std::max(widths[i], text_width(line[i]));
  // On a narrow terminal the last column gives way first.
  if (width > 0 && !widths.empty()) {
    size_t used = 0;
    for (size_t i = 0; i + 1 < widths.size(); ++i) used += widths[i] + 2;
    if (used + widths.back() > static_cast<size_t>(width))
      widths.back() = std::max<size_t>(used < static_cast<size_t>(width) ? width - used : 0, 8);
  }
  std::string out;
  for (const auto& line : grid) {
    std::string text;
    for (size_t i = 0; i < line.size(); ++i) {
      std::string c = fit(line[i], widths[i]);
      text += (i ? "  " : "") + c;
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  }
  return out;
}

bool is_list_of_records(const Json& v) { return v.is_array() && !v.empty() && v.front().is_object(); }

// key: value lines; a list of records under a key is shown as an indented table.
std::string record(const Json& obj, int width) {
  size_t key_width = 0;
  for (const auto& item : obj.items()) key_width = std::max(key_width, item.key().size());
  std::string out, tables;
  for (const auto& item : obj.items()) {
    if (is_list_of_records(item.value())) {
      tables += "\n" + item.key() + ":\n";
      std::string t = table(Output{}, item.value(), width > 2 ? width - 2 : 0);
      for (size_t start = 0, end; (end = t.find('\n', start)) != std::string::npos; start = end + 1)
        tables += "  " + t.substr(start, end - start + 1);
      continue;
    }
    out += fmt::format("{:<{}}  {}\n", item.key() + ":", key_width + 1, cell(item.value(), "-"));
  }
  return out + tables;
}

void emit_yaml(YAML::Emitter& e, const Json& v) {
  if (v.is_object()) {
    e << YAML::BeginMap;
    for (const auto& item : v.items()) {
      e << YAML::Key << item.key() << YAML::Value;
      emit_yaml(e, item.value());
    }
    e << YAML::EndMap;
  } else if (v.is_array()) {
    e << YAML::BeginSeq;
    for (const auto& item : v) emit_yaml(e, item);
    e << YAML::EndSeq;
  } else if (v.is_null()) {
    e << YAML::Null;
  } else if (v.is_string()) {
    e << YAML::DoubleQuoted << v.get<std::string>();
  } else {
    e << v.dump();
  }
}

// The rows of a listing, or a record as one row, without copying a listing.
const Json& as_rows(const Json& data, Json& single) {
  if (data.is_array()) return data;
  single = Json::array({data});
  return single;
}

std::string bare(const Json& data, const std::string& field, bool id_mode) {
  std::string out;
  Json single;
  for (const auto& row : as_rows(data, single)) {
    if (!row.is_object()) continue;
    std::string key = field;
    if (id_mode) key = row.contains("id") ? "id" : "name";
    if (!row.contains(key)) {
      std::vector<std::string> keys;
      for (const auto& item : row.items()) keys.push_back(item.key());
      throw Error(ErrorKind::Usage, fmt::format("no field '{}' in this output", key),
                  fmt::format("fields: {}", fmt::join(keys, ", ")));
    }
    out += cell(row[key], "") + "\n";
  }
  return out;
}

}  // namespace

std::string render(const Output& output, const RenderOptions& options) {
  const Json& data = output.data;
  if (data.is_null()) return {};
  if (!options.field.empty()) return bare(data, options.field, false);
  const std::string& f = options.format;
  if (f == "ansible")
    throw Error(ErrorKind::Usage, "-o ansible is only for 'hostctl host list'", "use -o json for other commands");
  if (f == "json") return data.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
  if (f == "yaml") {
    YAML::Emitter e;
    emit_yaml(e, data);
    return std::string(e.c_str()) + "\n";
  }
  if (f == "id") return bare(data, "", true);
  if (f == "tsv") {
    std::string out;
    Json single;
    const Json& rows = as_rows(data, single);
    auto cols = columns_of(output, rows);
    for (const auto& row : rows) {
      std::string line;
      for (size_t i = 0; i < cols.size(); ++i)
        line += (i ? "\t" : "") + escape_tsv(cell(row.contains(cols[i]) ? row[cols[i]] : Json(), ""));
      out += line + "\n";
    }
    return out;
  }
  if (!output.text.empty() && f == "table") return output.text;
  if (data.is_array()) return data.empty() ? std::string() : table(output, data, options.width);
  if (data.is_object()) return record(data, options.width);
  return cell(data, "") + "\n";
}

}  // namespace hostctl::cli
