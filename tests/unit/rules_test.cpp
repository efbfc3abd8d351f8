#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include "catalog/catalog.hpp"
#include "core/error.hpp"
#include "model/rules.hpp"
#include "temp_dir.hpp"

using namespace hostctl::model;

namespace {

bool refused(const std::function<void()>& f) {
  try {
    f();
  } catch (const hostctl::Error& e) {
    return e.kind() == hostctl::ErrorKind::Refused;
  }
  return false;
}

}  // namespace

TEST_CASE("rule 1: at most one active deployment per site, held by the catalog itself") {
  TempDir dir;
  hostctl::catalog::Catalog::init(dir.path / "c.db", {"tester", "[]"});
  SQLite::Database db((dir.path / "c.db").string(), SQLite::OPEN_READWRITE);
  db.exec("INSERT INTO host(id, name, transport, created_at) VALUES (1, 'h', 'local', 'x');"
          "INSERT INTO service(id, name, version, yaml, source_path, created_at, updated_at) VALUES (1, 's', 1, '', '', 'x', 'x');"
          "INSERT INTO site(id, name, service_id, created_at) VALUES (1, 'shop', 1, 'x');");
  auto add = [&](const char* name, int active) {
    db.exec(fmt::format("INSERT INTO deployment(name, service_id, host_id, site_id, stage, status, active, directory, "
                        "params, created_at) VALUES ('{}', 1, 1, 1, 'allocate', 5, {}, '/d', '{{}}', 'x')",
                        name, active));
  };
  add("a", 1);
  add("b", 0);
  CHECK_THROWS_AS(add("c", 1), SQLite::Exception);
  CHECK_THROWS_AS(db.exec("UPDATE deployment SET active = 1 WHERE name = 'b'"), SQLite::Exception);
}

TEST_CASE("an action that needs an active deployment, and removed is final: one wording each") {
  RuleSite site{"shop", false, false};
  CHECK(refused([&] { check_has_active(site, "", "back up"); }));
  CHECK_NOTHROW(check_has_active(site, "shop-d1", "back up"));
  try {
    check_not_removed({"old", Stage::Removed, 8, false}, "be cloned");
    FAIL("not refused");
  } catch (const hostctl::Error& e) {
    CHECK(std::string(e.what()) == "deployment 'old' is removed, which is final: it cannot be cloned");
  }
  CHECK_NOTHROW(check_not_removed({"live", Stage::Allocate, 5, true}, "be cloned"));
}

TEST_CASE("rule 2: a launched site's primary route cannot change") {
  RuleSite open{"s", false, false}, launched{"s", true, false};
  std::vector<RuleRoute> with_primary = {{"a.test", true, true, true}};
  RuleRoute other{"b.test", false, false, false};
  CHECK(refused([&] { check_primary_change(launched, with_primary, other, true); }));
  CHECK(refused([&] { check_primary_change(open, with_primary, other, true); }));  // one primary per site
  CHECK_NOTHROW(check_primary_change(open, {}, other, true));
  CHECK_NOTHROW(check_primary_change(launched, with_primary, other, false));
}

TEST_CASE("a redirect route is never primary, and is served only while its site has a primary route") {
  RuleSite open{"s", false, false};
  RuleRoute redirect{"old.test", false, false, false, true}, primary{"a.test", true, true, true};
  CHECK(refused([&] { check_primary_change(open, {}, redirect, true); }));
  CHECK_NOTHROW(check_primary_change(open, {}, redirect, false));
  CHECK(refused([&] { check_redirect_target(open, {redirect}, redirect); }));
  CHECK_NOTHROW(check_redirect_target(open, {primary, redirect}, redirect));
  CHECK_NOTHROW(check_redirect_target(open, {}, primary));  // not a redirect: nothing to check
}

TEST_CASE("rule 3: the primary route of a launched site cannot be deactivated") {
  RuleRoute primary{"a.test", true, true, true}, secondary{"b.test", true, false, false};
  CHECK(refused([&] { check_route_deactivate({"s", true, false}, primary); }));
  CHECK_NOTHROW(check_route_deactivate({"s", false, false}, primary));
  CHECK_NOTHROW(check_route_deactivate({"s", true, false}, secondary));
}

// Found by t0210 once doctor checked rule 6 after every step: deleting an
// inactive primary route left a launched site without one.
TEST_CASE("rules 3 and 6: the primary route of a launched site cannot be deleted, even inactive") {
  RuleRoute inactive_primary{"a.test", false, true, false}, secondary{"b.test", true, false, false};
  CHECK(refused([&] { check_route_delete({"s", true, false}, inactive_primary); }));
  CHECK_NOTHROW(check_route_delete({"s", false, false}, inactive_primary));
  CHECK_NOTHROW(check_route_delete({"s", true, false}, secondary));
}

TEST_CASE("rule 6: launch needs a primary route and activates the active-on-launch ones") {
  CHECK(refused([&] { check_launch({"s", false, false}, {{"a.test", false, false, true}}); }));
  CHECK(refused([&] { check_launch({"s", true, false}, {{"a.test", true, true, true}}); }));
  auto activated = check_launch({"s", false, false}, {{"a.test", false, true, true},
                                                      {"b.test", false, false, false},
                                                      {"c.test", true, false, true}});
  CHECK(activated == std::vector<std::string>{"a.test"});
}

TEST_CASE("rule 8: switching needs a ready, inactive deployment of the site") {
  RuleSite s{"s", true, false};
  std::vector<RuleDeployment> ds = {{"old", Stage::Allocate, 5, true},
                                    {"new", Stage::Allocate, 5, false},
                                    {"failed", Stage::Allocate, 9, false},
                                    {"gone", Stage::Removed, 8, false},
                                    {"kept", Stage::Archive, 5, false}};
  CHECK_NOTHROW(check_switch(s, ds, "new"));
  for (const char* bad : {"old", "failed", "gone", "kept", "elsewhere"})
    CHECK(refused([&] { check_switch(s, ds, bad); }));
}

TEST_CASE("stages: the active deployment may be locked, never archived; only a locked one unlocks; removed is final") {
  CHECK_NOTHROW(check_stage_change({"a", Stage::Allocate, 5, true}, Stage::Lock));
  CHECK(refused([&] { check_stage_change({"a", Stage::Allocate, 5, true}, Stage::Archive); }));
  CHECK(refused([&] { check_stage_change({"a", Stage::Lock, 5, true}, Stage::Archive); }));
  CHECK_NOTHROW(check_stage_change({"a", Stage::Lock, 5, true}, Stage::Allocate));
  CHECK(refused([&] { check_stage_change({"a", Stage::Allocate, 5, true}, Stage::Allocate); }));
  CHECK(refused([&] { check_stage_change({"a", Stage::Archive, 5, false}, Stage::Allocate); }));
  CHECK(refused([&] { check_stage_change({"a", Stage::Removed, 8, false}, Stage::Allocate); }));
  CHECK(refused([&] { check_stage_change({"a", Stage::Removed, 8, false}, Stage::Lock); }));
  CHECK(refused([&] { check_stage_change({"a", Stage::Lock, 5, false}, Stage::Lock); }));
  CHECK_NOTHROW(check_stage_change({"a", Stage::Lock, 5, false}, Stage::Archive));
}

TEST_CASE("protected sites refuse delete and disable") {
  CHECK(refused([&] { check_unprotected({"s", false, true}, "delete"); }));
  CHECK_NOTHROW(check_unprotected({"s", false, false}, "delete"));
}
