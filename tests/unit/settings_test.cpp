#include <catch2/catch.hpp>
#include <map>

#include "config/settings.hpp"
#include "core/error.hpp"
#include "temp_dir.hpp"

using hostctl::config::Settings;

namespace {

struct FakeEnv {
  std::map<std::string, std::string> vars;
  hostctl::config::Getenv getenv() const {
    return [this](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

}  // namespace

TEST_CASE("defaults come from XDG directories") {
  FakeEnv env{{{"HOME", "/home/op"}, {"XDG_DATA_HOME", "/data"}}};
  auto s = Settings::load(std::nullopt, env.getenv());
  CHECK(s.get("catalog") == "/data/hostctl/catalog.db");
  CHECK(s.entry("catalog").origin == "default");
  CHECK(s.get("known_hosts") == "/home/op/.ssh/known_hosts");
  env.vars.erase("XDG_DATA_HOME");
  CHECK(Settings::load(std::nullopt, env.getenv()).get("catalog") == "/home/op/.local/share/hostctl/catalog.db");
}

TEST_CASE("precedence: flags > environment > config file > defaults") {
  TempDir dir;
  auto file = dir.write("config.yaml", "jobs: 3\noutput: yaml\ntimeout: 1m\n");
  FakeEnv env{{{"HOME", "/home/op"}, {"HOSTCTL_CONFIG", file.string()}, {"HOSTCTL_OUTPUT", "json"}}};
  auto s = Settings::load(std::nullopt, env.getenv());
  CHECK(s.get("jobs") == "3");
  CHECK(s.entry("jobs").origin == "file " + file.string() + ":1");
  CHECK(s.get("output") == "json");
  CHECK(s.entry("output").origin == "env HOSTCTL_OUTPUT");
  CHECK(s.seconds("timeout") == 60);
  CHECK(s.get("color") == "auto");
  s.set_flag("output", "tsv", "--output");
  CHECK(s.get("output") == "tsv");
  CHECK(s.entry("output").origin == "flag --output");
}

TEST_CASE("NO_COLOR turns colour off") {
  FakeEnv env{{{"HOME", "/h"}, {"NO_COLOR", "1"}}};
  auto s = Settings::load(std::nullopt, env.getenv());
  CHECK(s.get("color") == "never");
  CHECK(s.entry("color").origin == "env NO_COLOR");
}

TEST_CASE("bad configuration is a usage error with its place") {
  TempDir dir;
  FakeEnv env{{{"HOME", "/h"}}};
  auto unknown = dir.write("a.yaml", "jobs: 2\nbogus: 1\n");
  try {
    Settings::load(unknown.string(), env.getenv());
    FAIL("loaded");
  } catch (const hostctl::Error& e) {
    CHECK(e.kind() == hostctl::ErrorKind::Usage);
    CHECK(std::string(e.what()) == unknown.string() + ":2:1: unknown setting 'bogus'");
  }
  auto bad_value = dir.write("b.yaml", "jobs: many\n");
  CHECK_THROWS_WITH(Settings::load(bad_value.string(), env.getenv()), Catch::Contains("b.yaml:1:1: setting 'jobs'"));
  CHECK_THROWS_AS(Settings::load((dir.path / "missing.yaml").string(), env.getenv()), hostctl::Error);
  FakeEnv bad_env{{{"HOME", "/h"}, {"HOSTCTL_JOBS", "0"}}};
  CHECK_THROWS_WITH(Settings::load(std::nullopt, bad_env.getenv()), Catch::Contains("HOSTCTL_JOBS"));
  auto s = Settings::load(std::nullopt, env.getenv());
  CHECK_THROWS_AS(s.set_flag("output", "xml", "--output"), hostctl::Error);
}
