#include <catch2/catch.hpp>

#include "exec/directive.hpp"

using namespace hostctl::exec;

TEST_CASE("directives are parsed") {
  std::string error;
  auto set = parse_directive("@hostctl set page_bytes=123", error);
  REQUIRE(set);
  CHECK(set->kind == Directive::Kind::Set);
  CHECK(set->key == "page_bytes");
  CHECK(set->value == "123");
  auto pkg = parse_directive("@hostctl package sqlite3 3.40.1", error);
  REQUIRE(pkg);
  CHECK((pkg->kind == Directive::Kind::Package && pkg->key == "sqlite3" && pkg->value == "3.40.1"));
  auto usage = parse_directive("@hostctl usage disk_bytes=4096", error);
  REQUIRE(usage);
  CHECK(usage->value == "4096");
  auto progress = parse_directive("@hostctl progress 3/10", error);
  REQUIRE(progress);
  CHECK(progress->value == "3/10");
}

TEST_CASE("ordinary lines are not directives") {
  std::string error;
  CHECK_FALSE(parse_directive("hello", error));
  CHECK(error.empty());
  CHECK_FALSE(parse_directive(" @hostctl set a=b", error));
  CHECK(error.empty());
}

TEST_CASE("malformed directives are reported") {
  std::string error;
  for (const char* bad : {"@hostctl set", "@hostctl set A=b", "@hostctl usage x=abc", "@hostctl progress 5/3",
                          "@hostctl package ;rm 1", "@hostctl launch x",
                          "@hostctl set a=\x1b[31mred", "@hostctl set a=b\rc", "@hostctl set a=\xff\xfe"}) {
    CHECK_FALSE(parse_directive(bad, error));
    CHECK_FALSE(error.empty());
  }
}
