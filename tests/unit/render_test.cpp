#include <catch2/catch.hpp>

#include <clocale>
#include <regex>

#include "core/error.hpp"
#include "render.hpp"

using namespace hostctl::cli;
using Json = nlohmann::ordered_json;

namespace {

Output sample() {
  Json rows = Json::array();
  rows.push_back({{"id", 1}, {"name", "web1"}, {"roles", {"router", "web"}}, {"note", nullptr}});
  rows.push_back({{"id", 2}, {"name", "db-one"}, {"roles", Json::array()}, {"note", "a\tb"}});
  return {rows, {}};
}

std::string as(const std::string& format, const std::string& field = "") {
  return render(sample(), {format, field, 0});
}

}  // namespace

TEST_CASE("table: header, aligned columns, lists joined") {
  CHECK(as("table") ==
        "ID  NAME    ROLES       NOTE\n"
        "1   web1    router,web  -\n"
        "2   db-one              a\tb\n");
}

TEST_CASE("json is one document that parses back") {
  auto parsed = Json::parse(as("json"));
  CHECK(parsed == sample().data);
}

TEST_CASE("yaml, tsv, id and --field") {
  CHECK(as("yaml").find("- id: 1\n  name: \"web1\"") != std::string::npos);
  CHECK(as("tsv") == "1\tweb1\trouter,web\t\n2\tdb-one\t\ta\\tb\n");
  CHECK(as("id") == "1\n2\n");
  CHECK(as("table", "name") == "web1\ndb-one\n");
  CHECK_THROWS_AS(as("table", "nope"), hostctl::Error);
}

TEST_CASE("a single record prints as key: value lines") {
  Output one{Json{{"name", "x"}, {"port", 22}}, {}};
  CHECK(render(one, {"table", "", 0}) == "name:  x\nport:  22\n");
  CHECK(render(one, {"id", "", 0}) == "x\n");
}

TEST_CASE("narrow terminals shorten the last column") {
  Json rows = Json::array({Json{{"name", "a"}, {"description", std::string(100, 'x')}}});
  auto text = render({rows, {}}, {"table", "", 40});
  for (size_t start = 0, end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    std::string line = text.substr(start, end - start);
    size_t width = 0;
    for (char c : line) width += (c & 0xC0) != 0x80;
    CHECK(width <= 40);
  }
}

TEST_CASE("nothing to print prints nothing") { CHECK(render(Output{}, {"json", "", 0}).empty()); }

namespace {

// The renderer counts terminal cells as hostctl's main() sets it up: UTF-8.
struct Utf8Locale {
  Utf8Locale() { std::setlocale(LC_CTYPE, "C.UTF-8"); }
  ~Utf8Locale() { std::setlocale(LC_CTYPE, "C"); }
};

// The cell at which `needle` starts on `line`, counted in display width.
size_t column_of(const std::string& line, const std::string& needle) {
  return display_width(line.substr(0, line.find(needle)));
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  for (size_t start = 0, end; (end = text.find('\n', start)) != std::string::npos; start = end + 1)
    out.push_back(text.substr(start, end - start));
  return out;
}

}  // namespace

TEST_CASE("columns line up by display width: wide characters take two cells") {
  Utf8Locale utf8;
  CHECK(display_width("日本語") == 6);
  CHECK(display_width("café") == 4);
  CHECK(display_width("e\u0301") == 1);  // a combining accent takes no cell
  Json rows = Json::array({Json{{"name", "日本語のサイト"}, {"after", "x"}}, Json{{"name", "plain"}, {"after", "y"}}});
  auto lines = lines_of(render({rows, {}}, {"table", "", 0}));
  REQUIRE(lines.size() == 3);
  CHECK(column_of(lines[0], "AFTER") == 16);
  CHECK(column_of(lines[1], "x") == 16);
  CHECK(column_of(lines[2], "y") == 16);
  // Cut on a narrow terminal at a character, never inside one.
  Json wide = Json::array({Json{{"name", "a"}, {"description", "日本語のサイトです日本語のサイトです"}}});
  for (const auto& line : lines_of(render({wide, {}}, {"table", "", 20}))) CHECK(display_width(line) <= 20);
}

TEST_CASE("reports right-align their amounts") {
  Utf8Locale utf8;
  Json rows = Json::array({Json{{"site", std::string(40, 's')}, {"amount", "7.50"}},
                           Json{{"site", "TOTAL"}, {"amount", "1234.00"}}});
  auto lines = lines_of(table_text(rows, {"site", "amount"}, {"amount"}));
  REQUIRE(lines.size() == 3);
  CHECK(lines[1].size() == lines[0].size());
  CHECK(lines[1].size() == lines[2].size());
  CHECK(lines[1].substr(lines[1].size() - 4) == "7.50");
}

TEST_CASE("status names in colour only when asked") {
  Json rows = Json::array({Json{{"id", 1}, {"status_name", "COMPLETED"}, {"user", "a"}},
                           Json{{"id", 2}, {"status_name", "FAILED"}, {"user", "b"}}});
  auto coloured = render({rows, {}}, {"table", "", 0, true});
  CHECK(coloured.find("\033[32mCOMPLETED\033[0m") != std::string::npos);
  CHECK(coloured.find("\033[31mFAILED\033[0m") != std::string::npos);
  // The colour codes take no cell: the next column still lines up.
  auto plain = std::regex_replace(coloured, std::regex("\033\\[[0-9]+m"), "");
  CHECK(plain == render({rows, {}}, {"table", "", 0, false}));
  CHECK(render({rows, {}}, {"table", "", 0, false}).find('\033') == std::string::npos);
  CHECK(render({rows, {}}, {"json", "", 0, true}).find('\033') == std::string::npos);
}

TEST_CASE("a streamed listing renders as the same text as the whole document") {
  Output streamed;
  streamed.rows = [](const RowSink& sink) {
    for (const auto& row : sample().data) sink(row);
  };
  for (const char* format : {"json", "yaml", "tsv", "id", "table"})
    CHECK(render(streamed, {format, "", 0}) == render(sample(), {format, "", 0}));
  CHECK(render(streamed, {"table", "name", 0}) == "web1\ndb-one\n");
  Output empty;
  empty.rows = [](const RowSink&) {};
  CHECK(render(empty, {"json", "", 0}) == "[]\n");
  CHECK(render(empty, {"yaml", "", 0}) == "[]\n");
  CHECK(render(empty, {"table", "", 0}).empty());
}
