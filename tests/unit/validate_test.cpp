#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "model/validate.hpp"

using namespace hostctl::model;

TEST_CASE("names: lower-case letter first, a-z 0-9 and '-'") {
  CHECK(check_name("web1").empty());
  CHECK(check_name("my-site-2").empty());
  for (const char* bad : {"", "1web", "Web", "web_1", "web-", "a b", "a;b", "../x", "a\nb", "é"})
    CHECK_FALSE(check_name(bad).empty());
  CHECK_FALSE(check_name(std::string(64, 'a')).empty());
  CHECK(check_name(std::string(63, 'a')).empty());
}

TEST_CASE("addresses: IPv4, IPv6 and DNS names only") {
  CHECK(check_address("127.0.0.1").empty());
  CHECK(check_address("web-1.example.org").empty());
  CHECK(check_address("::1").empty());
  for (const char* bad : {"", "a..b", "-a.b", "a b", "a;b", "$(x)", "a_b"}) CHECK_FALSE(check_address(bad).empty());
}

TEST_CASE("ports are 1 to 65535") {
  int port = 0;
  CHECK(check_port("22", port).empty());
  CHECK(port == 22);
  for (const char* bad : {"0", "65536", "-1", "22a", "", "999999"}) CHECK_FALSE(check_port(bad, port).empty());
}

TEST_CASE("paths are absolute without '..' or odd characters") {
  CHECK(check_abs_path("/srv/hostctl").empty());
  for (const char* bad : {"srv", "/srv/../etc", "/srv/a b", "/srv/$x", "/srv/`x`", "/a\nb"})
    CHECK_FALSE(check_abs_path(bad).empty());
}

TEST_CASE("durations and windows") {
  int64_t s = 0;
  CHECK(check_duration("23h", s).empty());
  CHECK(s == 23 * 3600);
  CHECK(check_duration("7d", s).empty());
  CHECK(s == 7 * 86400);
  for (const char* bad : {"0s", "h", "5", "5x", "-5m", "1.5h"}) CHECK_FALSE(check_duration(bad, s).empty());
  CHECK(check_window("01:00-05:00").empty());
  CHECK(check_window("22:00-04:00").empty());
  for (const char* bad : {"1:00-05:00", "24:00-01:00", "01:00-01:00", "01:00_05:00", "01:60-02:00"})
    CHECK_FALSE(check_window(bad).empty());
}

TEST_CASE("text must be UTF-8 without control characters") {
  CHECK(check_text("héllo", 100).empty());
  CHECK_FALSE(check_text("\xff\xfe", 100).empty());
  CHECK_FALSE(check_text("\xc0\xaf", 100).empty());  // overlong '/'
  CHECK_FALSE(check_text("a\x01", 100).empty());
  CHECK_FALSE(check_text(std::string(101, 'a'), 100).empty());
}

TEST_CASE("require() names the field and shows the value safely") {
  try {
    require_name("host name", "bad\nname");
    FAIL("no error");
  } catch (const hostctl::Error& e) {
    CHECK(e.kind() == hostctl::ErrorKind::Usage);
    CHECK(std::string(e.what()) == "invalid host name 'bad\\x0aname': may hold only a-z, 0-9 and '-'");
  }
}

TEST_CASE("each error kind has its documented exit code") {
  using hostctl::ErrorKind;
  CHECK(hostctl::exit_code(ErrorKind::Internal) == 1);
  CHECK(hostctl::exit_code(ErrorKind::Usage) == 2);
  CHECK(hostctl::exit_code(ErrorKind::NotFound) == 3);
  CHECK(hostctl::exit_code(ErrorKind::Refused) == 4);
  CHECK(hostctl::exit_code(ErrorKind::RemoteFailed) == 5);
  CHECK(hostctl::exit_code(ErrorKind::Unreachable) == 6);
  CHECK(hostctl::exit_code(ErrorKind::Busy) == 7);
  CHECK(hostctl::exit_code(ErrorKind::Interrupted) == 130);
}
