#include <catch2/catch.hpp>

#include <string>

#include "model/version.hpp"

using hostctl::model::compare_versions;
using hostctl::model::version_problem;

TEST_CASE("versions compare like dpkg's") {
  CHECK(compare_versions("1.0", "1.0") == 0);
  CHECK(compare_versions("1.9", "1.10") < 0);
  CHECK(compare_versions("3.40.1", "3.9.9") > 0);
  CHECK(compare_versions("1.0~rc1", "1.0") < 0);
  CHECK(compare_versions("1.0a", "1.0") > 0);
  CHECK(compare_versions("7.x-1.2", "7.x-1.10") < 0);
  CHECK(compare_versions("010", "10") == 0);
  CHECK(compare_versions("2", "10") < 0);
}

// Each line as `dpkg --compare-versions A lt|eq|gt B` answers it (dpkg 1.21, Debian 12).
TEST_CASE("epochs and revisions order as dpkg --compare-versions does") {
  struct Case {
    const char *a, *b;
    int sign;
  };
  for (const Case& c : std::initializer_list<Case>{{"1:1.0", "2.0", 1},
                                                   {"1.0+dfsg-2", "1.0-2", 1},
                                                   {"1.0~rc1-1", "1.0-1", -1},
                                                   {"1.0-1", "1.0-1~bpo1", 1},
                                                   {"2:0.1", "1:9.9", 1},
                                                   {"0:1.0", "1.0", 0},
                                                   {"1.0", "1.0-0", 0},
                                                   {"1.2.3-1", "1.2.3-1.1", -1},
                                                   {"1.0a", "1.0+", -1},
                                                   {"1.0.0", "1.0", 1},
                                                   {"1.0-1ubuntu1", "1.0-1", 1},
                                                   {"1.0~~", "1.0~", -1},
                                                   {"1.0-beta1", "1.0-alpha2", 1},
                                                   {"6.1.9", "6.1.10", -1}}) {
    INFO(c.a << " vs " << c.b);
    int got = compare_versions(c.a, c.b);
    CHECK((got > 0) - (got < 0) == c.sign);
    int back = compare_versions(c.b, c.a);
    CHECK((back > 0) - (back < 0) == -c.sign);
  }
}

TEST_CASE("a version dpkg refuses is named with what is wrong") {
  for (const char* good : {"1.0", "1:2.3-4", "7.x-1.2", "1.0+dfsg~rc1-2ubuntu0.1", "0:0"})
    CHECK(version_problem(good).empty());
  for (const char* bad : {"", "abc", "x1.0", ":1.0", "a:1.0", "1:", "1.0-", "1.0 beta", "1.0_2", "1.0-1_2", "1:-1"})
    CHECK_FALSE(version_problem(bad).empty());
}
