#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "service/plan.hpp"

using namespace hostctl::service;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

LoadResult load_example(const std::string& name) {
  std::string dir = std::string(HOSTCTL_SOURCE_DIR) + "/schemas/examples/" + name + "/";
  return load_plan(slurp(dir + "service.yaml"), [&](const std::string& rel) -> std::optional<std::string> {
    std::ifstream in(dir + rel);
    if (!in) return std::nullopt;
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  });
}

const ScriptReader kNoFiles = [](const std::string&) { return std::nullopt; };

std::string problems_of(const std::string& yaml) {
  return describe(load_plan(yaml, kNoFiles).problems, "f.yaml");
}

const std::string kMinimal = "name: s\nversion: 1\nactions:\n  install:\n    - {name: a, run: 'true'}\n";

}  // namespace

TEST_CASE("the shipped examples load cleanly") {
  for (const char* name : {"static-site", "notes-sqlite"}) {
    auto r = load_example(name);
    INFO(describe(r.problems, name));
    CHECK(r.problems.empty());
    CHECK(r.plan.name == name);
    CHECK(r.plan.actions.count("install"));
    CHECK(r.plan.actions.count("verify"));
    CHECK_FALSE(r.files.empty());
  }
  auto notes = load_example("notes-sqlite");
  CHECK(notes.plan.reserve.window == "22:00-04:00");
  CHECK(notes.plan.params.size() == 2);
  CHECK(notes.plan.params[1].secret);
  CHECK(notes.plan.price_monthly == Approx(12.5));
}

TEST_CASE("a minimal plan loads with defaults") {
  auto r = load_plan(kMinimal, kNoFiles);
  REQUIRE(r.problems.empty());
  CHECK(r.plan.timeout == 300);
  CHECK(r.plan.roles == std::vector<std::string>{"web"});
  CHECK(r.plan.reserve.max_age == 23 * 3600);
}

TEST_CASE("problems carry file:line:column") {
  CHECK(problems_of(kMinimal + "extra: 1\n") == "f.yaml:6:1: unknown key 'extra' in the service");
  CHECK(problems_of("name: s\nversion: x\nactions:\n  install:\n    - {name: a, run: 'true'}\n") ==
        "f.yaml:2:10: version must be a whole number from 0");
  CHECK(problems_of("name: [a\n") .find("f.yaml:") == 0);
  CHECK(problems_of("") == "f.yaml:1:1: the file is empty");
  CHECK(problems_of("name: s\nversion: 1\nactions: {}\n") == "f.yaml:3:10: actions must include 'install'");
}

TEST_CASE("every problem is listed, in order") {
  auto text = problems_of(
      "name: Bad\nversion: 1\nreserve: {size: 1, minimum: 2, window: '25:00-01:00'}\n"
      "actions:\n  install:\n    - {name: a}\n    - {name: a, run: x}\n  nope: []\n");
  CHECK(text.find("f.yaml:1:7: name must start with a lower-case letter") != std::string::npos);
  CHECK(text.find("f.yaml:3:40: reserve.window") != std::string::npos);
  CHECK(text.find("reserve.minimum must not exceed reserve.size") != std::string::npos);
  CHECK(text.find("needs exactly one of 'run' and 'script'") != std::string::npos);
  CHECK(text.find("unknown action 'nope'") != std::string::npos);
}

TEST_CASE("scripts must stay inside the service directory") {
  for (const char* path : {"../x.sh", "/etc/passwd", "a/../../b", "a b.sh", "$(x).sh"}) {
    auto r = load_plan(std::string("name: s\nversion: 1\nactions:\n  install:\n    - name: a\n      script: '") + path +
                           "'\n",
                       [](const std::string&) { return std::string("true"); });
    CHECK_FALSE(r.problems.empty());
  }
  auto missing = load_plan("name: s\nversion: 1\nactions:\n  install:\n    - {name: a, script: gone.sh}\n", kNoFiles);
  CHECK(describe(missing.problems, "f") == "f:5:25: script 'gone.sh' cannot be read");
}

TEST_CASE("params: names, patterns and defaults are checked") {
  CHECK(problems_of(kMinimal + "params:\n  Bad: {}\n").find("parameter name 'Bad'") != std::string::npos);
  CHECK(problems_of(kMinimal + "params:\n  t: {pattern: '('}\n").find("not a valid extended regular expression") !=
        std::string::npos);
  CHECK(problems_of(kMinimal + "params:\n  t: {pattern: '^[a-z]+$', default: '1'}\n")
            .find("default does not match its pattern") != std::string::npos);
}

TEST_CASE("hostile documents are refused before parsing") {
  CHECK(problems_of(std::string(100, '[')) .find("nests deeper") != std::string::npos);
  CHECK(problems_of("name: \xff\xfe\n").find("not valid UTF-8") != std::string::npos);
  CHECK(problems_of(std::string("name: a\0b\n", 10)).find("NUL") != std::string::npos);
  CHECK(problems_of(std::string((1 << 20) + 1, '#')).find("larger than 1 MiB") != std::string::npos);
  CHECK(problems_of("a: &a [*a]\n").find("f.yaml") == 0);
}

// Both found by fuzz/service_plan.cpp.
TEST_CASE("a repeated key is refused, not silently shadowed") {
  CHECK(problems_of(kMinimal + "version: 2\n") == "f.yaml:6:1: key 'version' appears twice in the service");
  CHECK(problems_of(kMinimal + "  install:\n    - {name: b, run: 'true'}\n") ==
        "f.yaml:6:3: key 'install' appears twice in actions");
  CHECK(problems_of("name: s\nversion: 1\nparams:\n  a: {}\n  a: {}\n" + kMinimal.substr(19)) ==
        "f.yaml:5:3: key 'a' appears twice in params");
}

TEST_CASE("a task whose run is empty is refused") {
  CHECK(problems_of("name: s\nversion: 1\nactions:\n  install:\n    - name: a\n      run: |\n\n") ==
        "f.yaml:6:12: task 'a' of 'install'.run is empty");
}

TEST_CASE("the small grammars: amounts, currencies, task names, script paths") {
  auto with = [](const std::string& extra) { return problems_of(kMinimal + extra); };
  CHECK(with("price: {monthly: 12.50, currency: EUR}\n").empty());
  for (const char* bad : {"5.001", "5.", ".5", "1234567890", "-5", "5e3"})
    CHECK(with(std::string("price: {monthly: '") + bad + "'}\n").find("must be an amount") != std::string::npos);
  for (const char* bad : {"eur", "EURO", "E1R"})
    CHECK(with(std::string("price: {currency: '") + bad + "'}\n").find("three-letter code") != std::string::npos);
  for (const char* bad : {"-a", "A", "a b", "_a"})
    CHECK(problems_of(std::string("name: s\nversion: 1\nactions:\n  install:\n    - {name: '") + bad + "', run: x}\n")
              .find("must match") != std::string::npos);
  for (const char* bad : {"a//b", "./x", "/abs", "a/", ".hidden", "a/../b", "a b"})
    CHECK(problems_of(std::string("name: s\nversion: 1\nactions:\n  install:\n    - {name: a, script: '") + bad +
                      "'}\n")
              .find("must be a relative path") != std::string::npos);
}

TEST_CASE("serve: and check: default to a static public/ and a 200 on /, and are checked") {
  auto plain = load_plan(kMinimal, kNoFiles);
  CHECK(plain.plan.serve.kind == ServeKind::Static);
  CHECK(plain.plan.serve.root == "public");
  CHECK(plain.plan.check.path == "/");
  CHECK(plain.plan.check.expect == 200);
  auto app = load_plan(kMinimal + "serve: {http: {socket: run/app.sock}}\ncheck: {path: /health, contains: OK}\n",
                       kNoFiles);
  REQUIRE(app.problems.empty());
  CHECK(app.plan.serve.kind == ServeKind::Http);
  CHECK(app.plan.serve.socket == "run/app.sock");
  CHECK(app.plan.check.path == "/health");
  CHECK(app.plan.check.contains == "OK");
  CHECK(problems_of(kMinimal + "serve: {static: ../x}\n") ==
        "f.yaml:6:17: serve.static must be a relative path inside the deployment (no '..')");
  CHECK(problems_of(kMinimal + "serve: {static: a, http: {socket: b}}\n") ==
        "f.yaml:6:8: serve needs exactly one of 'static', 'php' and 'http'");
  CHECK(problems_of(kMinimal + "serve: {ruby: {}}\n") ==
        "f.yaml:6:8: serve needs exactly one of 'static', 'php' and 'http'\nf.yaml:6:9: unknown key 'ruby' in serve");
  auto php = load_plan(kMinimal + "serve: {php: {root: web, front_controller: index.php}}\n", kNoFiles);
  REQUIRE(php.problems.empty());
  CHECK(php.plan.serve.kind == ServeKind::Php);
  CHECK(php.plan.serve.root == "web");
  CHECK(php.plan.serve.front_controller == "index.php");
  CHECK(load_plan(kMinimal + "serve: {php: {}}\n", kNoFiles).plan.serve.root == "public");
  CHECK(problems_of(kMinimal + "serve: {php: {front_controller: app/index.php}}\n") ==
        "f.yaml:6:33: serve.php.front_controller must be a .php file in the root");
  CHECK(problems_of(kMinimal + "serve: {php: {root: ../etc}}\n") ==
        "f.yaml:6:21: serve.php.root must be a relative path inside the deployment (no '..')");
  CHECK(problems_of(kMinimal + "check: {expect: 42}\n") == "f.yaml:6:17: check.expect must be an HTTP status (100-599)");
  CHECK(problems_of(kMinimal + "check: {path: health}\n") == "f.yaml:6:15: check.path must start with '/' and hold no spaces");
}
