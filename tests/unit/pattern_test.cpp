#include <catch2/catch.hpp>

#include <chrono>

#include "model/pattern.hpp"

using namespace hostctl::model;

TEST_CASE("a pattern must match the whole value") {
  REQUIRE(check_pattern("[a-z]+").empty());
  CHECK(matches_pattern("abc", "[a-z]+"));
  CHECK_FALSE(matches_pattern("abc1", "[a-z]+"));
  CHECK_FALSE(matches_pattern("1abc", "[a-z]+"));
  // Alternatives are grouped before anchoring: "a|b" is not "^a|b$".
  CHECK_FALSE(matches_pattern("ax", "a|b"));
  CHECK(matches_pattern("b", "a|b"));
  // The shipped examples' patterns.
  CHECK(matches_pattern("New site", "^[^<>&]{1,80}$"));
  CHECK_FALSE(matches_pattern("<b>", "^[^<>&]{1,80}$"));
  CHECK(matches_pattern("change-me", "^[A-Za-z0-9_-]{8,64}$"));
}

TEST_CASE("patterns that would take unbounded time or memory are refused") {
  CHECK(check_pattern("(").find("is not a valid extended regular expression") == 0);
  CHECK(check_pattern("(a*)\\1").find("back-reference") != std::string::npos);
  CHECK(check_pattern("a{1001}").find("repeats too much") == 0);
  CHECK(check_pattern("([a-z]{1,100}){1,100}").find("repeats too much") == 0);
  CHECK(check_pattern("a{56666666666666666666666666666666666666}").find("repeats too much") == 0);  // fuzz find
  CHECK(check_pattern("[a-z]{8,}+++++").find("one repetition operator right after another") != std::string::npos);
  CHECK(check_pattern("a**").find("one repetition operator right after another") != std::string::npos);
  CHECK(check_pattern(std::string(257, 'a')).find("is longer than 256") == 0);
  CHECK(check_pattern("[{]{1,1000}").empty());  // a brace in brackets is a member, not a count
  CHECK(check_pattern("([a-z]{1,10}){1,100}").empty());
}

TEST_CASE("matching stays fast on the worst accepted patterns") {
  // std::regex took exponential time on (a*)*b; glibc's matcher does not.
  std::string value(4096, 'a');
  auto start = std::chrono::steady_clock::now();
  for (const char* p : {"(a*)*b", "(a|aa)*c", "([a-z]{1,10}){1,100}", ".{0,1000}"}) {
    REQUIRE(check_pattern(p).empty());
    CHECK_FALSE(matches_pattern(value, p));
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
}
