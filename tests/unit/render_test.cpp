#include <catch2/catch.hpp>

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
