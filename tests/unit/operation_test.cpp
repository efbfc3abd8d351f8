// One recorded operation (run::execute): the first run, a retry and a queued
// command all end in the same after-run step, chosen by action from the table
// in Ops. The hosts are a recording executor: what would run is kept, and a
// script named "fail" exits 3.
#include <catch2/catch.hpp>

#include "catalog/catalog.hpp"
#include "core/error.hpp"
#include "model/host.hpp"
#include "run/command.hpp"
#include "run/operation.hpp"
#include "catalog_fixture.hpp"

using namespace hostctl;

namespace {

struct Recording {
  std::vector<std::string> scripts;
  bool failing = true;  // whether the script "fail" fails
};

class RecordingSession : public exec::Session {
 public:
  explicit RecordingSession(Recording& r) : r_(r) {}
  exec::Outcome run(const exec::Job& job, const exec::LineSink& sink, const std::atomic<bool>&) override {
    r_.scripts.push_back(job.script);
    sink(exec::Stream::Out, "ran " + job.script);
    exec::Outcome o;
    o.exit_code = job.script == "fail" && r_.failing ? 3 : 0;
    return o;
  }

 private:
  Recording& r_;
};

struct Fixture : CatalogWithHost {
  Recording recording;
  std::vector<std::pair<std::string, int>> after_calls;  // action, command status seen
  run::AfterRunTable table;
  std::string stale_reason;

  Fixture() : CatalogWithHost("web1") {
    auto record = [this](run::Ops&, const run::CommandView& c) -> std::optional<Error> {
      after_calls.emplace_back(c.action, c.status);
      return std::nullopt;
    };
    table["install"] = {nullptr, record};
    table["finalize"] = {[this](run::Ops&, const run::CommandView&) { return stale_reason; }, record};
    table["after fails"] = {nullptr, [](run::Ops&, const run::CommandView&) -> std::optional<Error> {
                              return Error(ErrorKind::RemoteFailed, "the rename was undone");
                            }};
  }
  run::Ops ops() {
    run::Ops o{*catalog, {}};
    o.after_run = &table;
    o.run.connector = [this](const exec::Endpoint&, const exec::ConnectOptions&) {
      return std::make_unique<RecordingSession>(recording);
    };
    return o;
  }
  run::TaskSpec task(const std::string& script) {
    run::TaskSpec t;
    t.host_id = host.id;
    t.host_name = host.name;
    t.name = script;
    t.script = script;
    return t;
  }
  run::CommandSpec spec(const std::string& action, std::vector<std::string> scripts) {
    run::CommandSpec s{action, "deployment", "d1", {}};
    for (const auto& script : scripts) s.tasks.push_back(task(script));
    return s;
  }
};

}  // namespace

TEST_CASE("execute runs the tasks through the executor, then the action's after-run step") {
  Fixture f;
  auto ops = f.ops();
  auto summary = run::execute(ops, run::begin_command(*f.catalog, f.spec("install", {"one", "two"})));
  CHECK(summary.status == run::kCompleted);
  CHECK(f.recording.scripts == std::vector<std::string>{"one", "two"});
  REQUIRE(f.after_calls.size() == 1);
  CHECK(f.after_calls[0] == std::make_pair(std::string("install"), int(run::kCompleted)));
}

TEST_CASE("a retry ends in the same after-run step as the first run") {
  Fixture f;
  auto ops = f.ops();
  int64_t id = run::begin_command(*f.catalog, f.spec("install", {"one", "fail", "three"}));
  CHECK(run::execute(ops, id).status == run::kFailed);
  f.recording.failing = false;
  run::claim_for_retry(*f.catalog, id);
  CHECK(run::execute(ops, id).status == run::kCompleted);
  // "one" completed the first time and is not run again.
  CHECK(f.recording.scripts == std::vector<std::string>{"one", "fail", "fail", "three"});
  REQUIRE(f.after_calls.size() == 2);
  CHECK(f.after_calls[0].second == run::kFailed);
  CHECK(f.after_calls[1].second == run::kCompleted);
}

TEST_CASE("a queued command claimed by the queue ends in the same after-run step") {
  Fixture f;
  auto ops = f.ops();
  int64_t id = run::queue_command(*f.catalog, f.spec("install", {"one"}));
  auto claimed = run::claim_queued(*f.catalog);
  REQUIRE(claimed == id);
  CHECK(run::execute(ops, *claimed).status == run::kCompleted);
  CHECK(f.after_calls.size() == 1);
}

TEST_CASE("a stale command is not run: REMOVED with its reason, no after-run step") {
  Fixture f;
  auto ops = f.ops();
  f.stale_reason = "deployment 'd1' was removed";
  int64_t id = run::queue_command(*f.catalog, f.spec("finalize", {"link"}));
  run::claim_queued(*f.catalog);
  auto summary = run::execute(ops, id);
  CHECK(summary.status == run::kRemoved);
  CHECK(summary.error == "deployment 'd1' was removed");
  CHECK(f.recording.scripts.empty());
  CHECK(f.after_calls.empty());
  auto command = run::get_command(*f.catalog, id);
  CHECK(command.status == run::kRemoved);
  CHECK(command.tasks.at(0).status == run::kRemoved);
}

TEST_CASE("cancelling a queued command runs its after-run step, so what it would have made is settled") {
  Fixture f;
  auto ops = f.ops();
  int64_t id = run::queue_command(*f.catalog, f.spec("install", {"one"}));
  CHECK(run::cancel(ops, id) == run::kFailed);
  REQUIRE(f.after_calls.size() == 1);
  CHECK(f.after_calls[0].second == run::kFailed);
  CHECK(f.recording.scripts.empty());
}

TEST_CASE("the after-run step's own failure is reported beside a completed run") {
  Fixture f;
  auto ops = f.ops();
  auto summary = run::execute(ops, run::begin_command(*f.catalog, f.spec("after fails", {"one"})));
  CHECK(summary.status == run::kCompleted);
  REQUIRE(summary.after_error);
  CHECK(summary.after_error->kind() == ErrorKind::RemoteFailed);
}

TEST_CASE("an action without a row in the table is a bug, said before anything runs") {
  Fixture f;
  auto ops = f.ops();
  int64_t id = run::begin_command(*f.catalog, f.spec("no such action", {"one"}));
  CHECK_THROWS_AS(run::execute(ops, id), Error);
  CHECK(f.recording.scripts.empty());
}
