#include "render.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cwchar>

#include "core/error.hpp"

namespace hostctl::cli {
namespace {

using Json = nlohmann::ordered_json;

// Where rendered text goes: a string, or a file written in large pieces, so a
// listing of 100,000 rows is never held whole.
class Sink {
 public:
  explicit Sink(std::FILE* file) : file_(file) {}
  explicit Sink(std::string& text) : text_(&text) {}
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;
  ~Sink() { flush(); }

  Sink& operator<<(std::string_view s) {
    buffer_.append(s);
    if (buffer_.size() >= kChunk) flush();
    return *this;
  }

 private:
  static constexpr size_t kChunk = 1 << 16;
  void flush() {
    if (text_) text_->append(buffer_);
    else if (!buffer_.empty()) std::fwrite(buffer_.data(), 1, buffer_.size(), file_);
    buffer_.clear();
  }
  std::FILE* file_ = nullptr;
  std::string* text_ = nullptr;
  std::string buffer_;
};

// Each row of a listing (streamed or held), or a record as the one row.
void each_row(const Output& output, const RowSink& sink) {
  if (output.rows) return output.rows(sink);
  if (output.data.is_array()) {
    for (const auto& row : output.data) sink(row);
  } else if (!output.data.is_null()) {
    sink(output.data);
  }
}

bool is_listing(const Output& output) { return output.rows || output.data.is_array(); }

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

// Calls f(bytes, cells) for each character of UTF-8 text. A byte that does not
// decode, or a character without a width (a control), takes one cell.
template <class F>
void each_char(std::string_view s, F f) {
  std::mbstate_t state{};
  for (size_t i = 0; i < s.size();) {
    wchar_t wc = 0;
    size_t n = std::mbrtowc(&wc, s.data() + i, s.size() - i, &state);
    if (n == static_cast<size_t>(-1) || n == static_cast<size_t>(-2) || n == 0) {
      state = {};
      n = 1;
      wc = 0;
    }
    int w = wc ? ::wcwidth(wc) : 1;
    f(s.substr(i, n), static_cast<size_t>(w < 0 ? 1 : w));
    i += n;
  }
}

// The text in exactly `width` cells: padded, or cut with "…".
std::string fit(const std::string& s, size_t width, bool right) {
  std::string shown = shorten(s, width);
  size_t w = display_width(shown);
  std::string pad(width > w ? width - w : 0, ' ');
  return right ? pad + shown : shown + pad;
}

// A status name in colour, as gh and git show state; other text as it is.
std::string painted(const std::string& key, const std::string& shown, bool color) {
  if (!color || key != "status_name") return shown;
  size_t end = shown.find_last_not_of(' ') + 1;
  std::string_view word = std::string_view(shown).substr(0, end);
  const char* code = word == "COMPLETED"                          ? "32"
                     : word == "FAILED" || word == "INTERRUPTED"   ? "31"
                     : word == "PENDING" || word == "INITIATED"    ? "33"
                                                                   : nullptr;
  if (!code) return shown;
  return fmt::format("\033[{}m{}\033[0m{}", code, word, shown.substr(end));
}

std::vector<std::string> columns_of(const std::vector<std::string>& given, const Json& first_row) {
  if (!given.empty()) return given;
  std::vector<std::string> cols;
  if (first_row.is_object())
    for (const auto& item : first_row.items()) cols.push_back(item.key());
  return cols;
}

std::string table(const Json& rows, const std::vector<std::string>& columns, int width,
                  const std::set<std::string>& right, bool color) {
  auto cols = columns_of(columns, rows.empty() ? Json() : rows.front());
  std::vector<std::vector<std::string>> grid;
  std::vector<std::string> header;
  for (const auto& c : cols) {
    std::string h = c;
    std::transform(h.begin(), h.end(), h.begin(), [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
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
    for (size_t i = 0; i < line.size(); ++i) widths[i] = std::max(widths[i], display_width(line[i]));
  // On a narrow terminal the last column gives way first.
  if (width > 0 && !widths.empty()) {
    size_t used = 0;
    for (size_t i = 0; i + 1 < widths.size(); ++i) used += widths[i] + 2;
    if (used + widths.back() > static_cast<size_t>(width))
      widths.back() = std::max<size_t>(used < static_cast<size_t>(width) ? width - used : 0, 8);
  }
  std::string out;
  for (size_t r = 0; r < grid.size(); ++r) {
    std::string text;
    for (size_t i = 0; i < grid[r].size(); ++i) {
      std::string shown = fit(grid[r][i], widths[i], right.count(cols[i]) > 0);
      text += (i ? "  " : "") + (r ? painted(cols[i], shown, color) : shown);
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  }
  return out;
}

bool is_list_of_records(const Json& v) { return v.is_array() && !v.empty() && v.front().is_object(); }

// key: value lines; a list of records under a key is shown as an indented
// table, in `columns` when given.
std::string record(const Json& obj, const std::vector<std::string>& columns, int width, bool color) {
  size_t key_width = 0;
  for (const auto& item : obj.items()) key_width = std::max(key_width, item.key().size());
  std::string out, tables;
  for (const auto& item : obj.items()) {
    if (is_list_of_records(item.value())) {
      tables += "\n" + item.key() + ":\n";
      std::string t = table(item.value(), columns, width > 2 ? width - 2 : 0, {}, color);
      for (size_t start = 0, end; (end = t.find('\n', start)) != std::string::npos; start = end + 1)
        tables += "  " + t.substr(start, end - start + 1);
      continue;
    }
    out += fmt::format("{:<{}}  {}\n", item.key() + ":", key_width + 1,
                       painted(item.key(), cell(item.value(), "-"), color));
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

std::string dump_json(const Json& v) { return v.dump(2, ' ', false, Json::error_handler_t::replace); }

// The same text as dumping the whole array: each row one level deeper.
void json_listing(const Output& output, Sink& out) {
  bool first = true;
  each_row(output, [&](const Json& row) {
    out << (first ? "[\n  " : ",\n  ");
    first = false;
    std::string text = dump_json(row);
    size_t start = 0;
    for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
      out << std::string_view(text).substr(start, nl + 1 - start) << "  ";
    out << std::string_view(text).substr(start);
  });
  out << (first ? "[]\n" : "\n]\n");
}

void yaml_listing(const Output& output, Sink& out) {
  bool any = false;
  each_row(output, [&](const Json& row) {
    YAML::Emitter e;
    e << YAML::BeginSeq;
    emit_yaml(e, row);
    e << YAML::EndSeq;
    out << e.c_str() << "\n";
    any = true;
  });
  if (!any) out << "[]\n";
}

void tsv(const Output& output, Sink& out) {
  std::vector<std::string> cols;
  bool first = true;
  each_row(output, [&](const Json& row) {
    if (first) cols = columns_of(output.columns, row);
    first = false;
    std::string line;
    for (size_t i = 0; i < cols.size(); ++i)
      line += (i ? "\t" : "") + escape_tsv(cell(row.contains(cols[i]) ? row[cols[i]] : Json(), ""));
    out << line << "\n";
  });
}

void bare(const Output& output, const std::string& field, bool id_mode, Sink& out) {
  each_row(output, [&](const Json& row) {
    if (!row.is_object()) return;
    std::string key = field;
    if (id_mode) key = row.contains("id") ? "id" : "name";
    if (!row.contains(key)) {
      std::vector<std::string> keys;
      for (const auto& item : row.items()) keys.push_back(item.key());
      throw Error(ErrorKind::Usage, fmt::format("no field '{}' in this output", key),
                  fmt::format("fields: {}", fmt::join(keys, ", ")));
    }
    out << cell(row[key], "") << "\n";
  });
}

void render_into(const Output& output, const RenderOptions& options, Sink& out) {
  if (output.data.is_null() && !output.rows) return;
  if (!options.field.empty()) return bare(output, options.field, false, out);
  const std::string& f = options.format;
  if (f == "ansible")
    throw Error(ErrorKind::Usage, "-o ansible is only for 'hostctl host list'", "use -o json for other commands");
  if (f == "json") {
    if (is_listing(output)) return json_listing(output, out);
    out << dump_json(output.data) << "\n";
    return;
  }
  if (f == "yaml") {
    if (is_listing(output)) return yaml_listing(output, out);
    YAML::Emitter e;
    emit_yaml(e, output.data);
    out << e.c_str() << "\n";
    return;
  }
  if (f == "id") return bare(output, "", true, out);
  if (f == "tsv") return tsv(output, out);
  if (!output.text.empty() && f == "table") {
    out << output.text;
    return;
  }
  if (is_listing(output)) {
    Json rows = Json::array();
    each_row(output, [&](const Json& row) { rows.push_back(row); });
    if (!rows.empty()) out << table(rows, output.columns, options.width, {}, options.color);
    return;
  }
  if (output.data.is_object()) {
    out << record(output.data, output.columns, options.width, options.color);
    return;
  }
  out << cell(output.data, "") << "\n";
}

}  // namespace

size_t display_width(std::string_view text) {
  size_t width = 0;
  each_char(text, [&](std::string_view, size_t cells) { width += cells; });
  return width;
}

std::string shorten(const std::string& text, size_t width) {
  if (display_width(text) <= width) return text;
  std::string out;
  size_t used = 0;
  bool full = false;
  each_char(text, [&](std::string_view bytes, size_t cells) {
    if (full || used + cells + 1 > width) {
      full = true;
      return;
    }
    out.append(bytes);
    used += cells;
  });
  return out + "…";
}

void render(const Output& output, const RenderOptions& options, std::FILE* out) {
  Sink sink(out);
  render_into(output, options, sink);
}

std::string render(const Output& output, const RenderOptions& options) {
  std::string text;
  {
    Sink sink(text);
    render_into(output, options, sink);
  }
  return text;
}

std::string table_text(const Json& rows, const std::vector<std::string>& columns, const std::set<std::string>& right) {
  return table(rows, columns, 0, right, false);
}

}  // namespace hostctl::cli
