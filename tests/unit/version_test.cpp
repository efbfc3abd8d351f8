#include <catch2/catch.hpp>

#include "model/version.hpp"

using hostctl::model::compare_versions;

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
