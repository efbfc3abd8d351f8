// The runner with the local transport: real processes, real catalog.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>

#include "catalog/catalog.hpp"
#include "core/error.hpp"
#include "model/host.hpp"
#include "run/command.hpp"
#include "run/runner.hpp"
#include "catalog_fixture.hpp"

using namespace hostctl;

namespace {

struct Fixture : CatalogWithHost {
  Fixture() : CatalogWithHost("me") {}
  run::TaskSpec task(const std::string& name, const std::string& script, int lane = 0) {
    run::TaskSpec t;
    t.lane = lane;
    t.host_id = host.id;
    t.host_name = host.name;
    t.name = name;
    t.script = script;
    t.timeout = 30;
    t.env = {{"DIR", dir.path.string()}};
    return t;
  }
  run::RunSummary run(int64_t id, int jobs = 4) {
    run::RunOptions o;
    o.jobs = jobs;
    return run::run_command(*catalog, id, o);
  }
  int task_status(int64_t command_id, int seq) {
    return run::get_command(*catalog, command_id).tasks.at(seq - 1).status;
  }
};

}  // namespace

TEST_CASE("a failed step rolls back the earlier ones, newest first") {
  Fixture f;
  auto a = f.task("make-a", "touch \"$DIR/a\"");
  a.rollback = "rm \"$DIR/a\"; echo a >> \"$DIR/order\"";
  auto b = f.task("make-b", "touch \"$DIR/b\"");
  b.rollback = "rm \"$DIR/b\"; echo b >> \"$DIR/order\"";
  auto c = f.task("fail", "echo about to fail; exit 4");
  int64_t id = run::begin_command(*f.catalog, {"test", "host", "me", {a, b, c}});
  auto summary = f.run(id);
  CHECK(summary.status == run::kFailed);
  CHECK(summary.failed == 1);
  CHECK(summary.error == "task 'fail' on host 'me' failed: exit code 4");
  CHECK_FALSE(std::filesystem::exists(f.dir.path / "a"));
  CHECK_FALSE(std::filesystem::exists(f.dir.path / "b"));
  std::ifstream order(f.dir.path / "order");
  std::string first, second;
  order >> first >> second;
  CHECK(first == "b");
  CHECK(second == "a");
  // Undone steps are to be done again by a retry.
  CHECK(f.task_status(id, 1) == run::kInitiated);
  CHECK(f.task_status(id, 2) == run::kInitiated);
  CHECK(f.task_status(id, 3) == run::kFailed);
  CHECK(run::tail_of_task(*f.catalog, summary.failed_task, 5).back() == "about to fail");
}

TEST_CASE("retry resumes at the failed step") {
  Fixture f;
  auto once = f.task("count", "echo run >> \"$DIR/count\"");
  auto flaky = f.task("flaky", "test -e \"$DIR/second-time\" || { touch \"$DIR/second-time\"; exit 1; }");
  int64_t id = run::begin_command(*f.catalog, {"test", "host", "me", {once, flaky}});
  CHECK(f.run(id).status == run::kFailed);
  run::claim_for_retry(*f.catalog, id);
  auto summary = f.run(id);
  CHECK(summary.status == run::kCompleted);
  std::ifstream count(f.dir.path / "count");
  int lines = 0;
  for (std::string l; std::getline(count, l);) ++lines;
  CHECK(lines == 1);
  CHECK_THROWS_AS(run::claim_for_retry(*f.catalog, id), Error);  // COMPLETED: nothing to retry
}

TEST_CASE("a step's own timeout stops it") {
  Fixture f;
  auto slow = f.task("slow", "sleep 20");
  slow.timeout = 1;
  int64_t id = run::begin_command(*f.catalog, {"test", "host", "me", {slow}});
  auto start = std::chrono::steady_clock::now();
  auto summary = f.run(id);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(8));
  CHECK(summary.status == run::kFailed);
  CHECK(summary.error.find("timed out after 1s") != std::string::npos);
}

TEST_CASE("lanes run in parallel, bounded by jobs") {
  Fixture f;
  std::vector<run::TaskSpec> tasks;
  for (int lane = 0; lane < 4; ++lane) tasks.push_back(f.task("nap", "sleep 1", lane));
  int64_t id = run::begin_command(*f.catalog, {"test", "host", "many", tasks});
  auto start = std::chrono::steady_clock::now();
  CHECK(f.run(id, 4).status == run::kCompleted);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(2500));
  int64_t serial = run::begin_command(*f.catalog, {"test2", "host", "many", tasks});
  start = std::chrono::steady_clock::now();
  CHECK(f.run(serial, 1).status == run::kCompleted);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::seconds(4));
}

TEST_CASE("one outstanding command per action and object") {
  Fixture f;
  int64_t first = run::begin_command(*f.catalog, {"clone", "site", "alpha", {f.task("x", "true")}});
  try {
    run::begin_command(*f.catalog, {"clone", "site", "alpha", {f.task("x", "true")}});
    FAIL("a second command was accepted");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::Busy);
  }
  CHECK_NOTHROW(run::begin_command(*f.catalog, {"clone", "site", "beta", {f.task("x", "true")}}));
  f.run(first);
  CHECK_NOTHROW(run::begin_command(*f.catalog, {"clone", "site", "alpha", {f.task("x", "true")}}));
}

TEST_CASE("a command whose process died is interrupted, not PENDING for ever") {
  Fixture f;
  int64_t id = run::begin_command(*f.catalog, {"test", "host", "me", {f.task("x", "true")}});
  f.catalog->db().exec("UPDATE command SET pid = 999999999, pid_start = 1 WHERE id = " + std::to_string(id));
  f.catalog->db().exec("UPDATE task SET status = 1 WHERE command_id = " + std::to_string(id));
  CHECK(run::reconcile_interrupted(*f.catalog) == 1);
  auto command = run::get_command(*f.catalog, id);
  CHECK(command.status == run::kFailed);
  CHECK(command.interrupted);
  CHECK(command.tasks[0].status == run::kFailed);
  CHECK(run::reconcile_interrupted(*f.catalog) == 0);
}

TEST_CASE("directives land in the catalog") {
  Fixture f;
  int64_t id = run::begin_command(
      *f.catalog, {"test", "host", "me", {f.task("d", "echo '@hostctl set k=v'; echo '@hostctl progress 1/2'")}});
  f.run(id);
  CHECK(f.catalog->db().execAndGet("SELECT value FROM directive WHERE kind = 'set' AND key = 'k'").getString() == "v");
  CHECK(run::get_command(*f.catalog, id).tasks[0].progress == "1/2");
}

TEST_CASE("a live display is told each task, its progress lines and the end of the lane") {
  Fixture f;
  int64_t id = run::begin_command(*f.catalog, {"test", "host", "me",
                                               {f.task("one", "echo '@hostctl progress 1/2'; echo '@hostctl progress x'"),
                                                f.task("two", "true")}});
  std::vector<std::string> seen, lanes;
  run::RunOptions o;
  o.activity = [&](const std::string& host, const std::string& task, const std::string& step) {
    seen.push_back(host + "|" + task + "|" + step);
  };
  o.progress = [&](size_t done, size_t total) { lanes.push_back(std::to_string(done) + "/" + std::to_string(total)); };
  run::run_command(*f.catalog, id, o);
  const std::string host = f.host.name;
  CHECK(seen == std::vector<std::string>{host + "|one|", host + "|one|1/2", host + "|two|", host + "||"});
  CHECK(lanes == std::vector<std::string>{"0/1", "1/1"});
}

TEST_CASE("the values of secret variables are masked in every output line, rollbacks included") {
  Fixture f;
  auto a = f.task("leak", "echo \"token=$TOKEN user=$USER_NAME\"; echo \"$TOKEN\" >&2");
  a.env.push_back({"TOKEN", "s3cr3t-value"});
  a.env.push_back({"USER_NAME", "bob"});
  a.env.push_back({run::kSecretsVariable, "TOKEN"});
  a.rollback = "echo \"undo $TOKEN\"";
  auto b = f.task("fail", "exit 3");
  b.env = a.env;
  int64_t id = run::begin_command(*f.catalog, {"test", "host", "me", {a, b}});
  auto summary = f.run(id);
  REQUIRE(summary.status == run::kFailed);
  auto lines = run::tail_of_task(*f.catalog, run::get_command(*f.catalog, id).tasks.at(0).id, 10);
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  CHECK(all.find("s3cr3t-value") == std::string::npos);
  CHECK(all.find("token=******** user=bob") != std::string::npos);  // only the secret is masked
  CHECK(all.find("undo ********") != std::string::npos);
}
