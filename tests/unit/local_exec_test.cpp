#include <catch2/catch.hpp>

#include <thread>

#include "exec/session.hpp"
#include "exec/wrapper.hpp"

using namespace hostctl::exec;

namespace {

Endpoint local_host() {
  Endpoint e;
  e.name = "local";
  e.transport = "local";
  return e;
}

struct Captured {
  std::vector<std::string> out, err;
  LineSink sink() {
    return [this](Stream s, std::string_view line) { (s == Stream::Out ? out : err).emplace_back(line); };
  }
};

Outcome run_local(const Job& job, Captured& c) {
  std::atomic<bool> cancel{false};
  auto session = connect(local_host(), {});
  return session->run(job, c.sink(), cancel);
}

}  // namespace

TEST_CASE("shell_quote survives every hostile value") {
  CHECK(shell_quote("a'b") == "'a'\\''b'");
  const std::string hostile = "$(touch /tmp/pwned) `id` ; rm -rf / ' \" \\ \n newline *";
  Captured c;
  Job job{"printf '%s' \"$HOSTCTL_X\"", {{"HOSTCTL_X", hostile}}, 10};
  auto outcome = run_local(job, c);
  CHECK(outcome.exit_code == 0);
  std::string joined;
  for (size_t i = 0; i < c.out.size(); ++i) joined += (i ? "\n" : "") + c.out[i];
  CHECK(joined == hostile);
}

TEST_CASE("stdout and stderr arrive as lines, the exit status is kept") {
  Captured c;
  auto outcome = run_local({"echo one; echo two >&2; echo three; exit 3", {}, 10}, c);
  CHECK(outcome.exit_code == 3);
  CHECK(c.out == std::vector<std::string>{"one", "three"});
  CHECK(c.err == std::vector<std::string>{"two"});
}

TEST_CASE("a task that outlives its timeout is stopped with its children") {
  Captured c;
  auto start = std::chrono::steady_clock::now();
  auto outcome = run_local({"sleep 30 & sleep 30; echo never", {}, 1}, c);
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(outcome.timed_out);
  CHECK(outcome.exit_code == kTimedOut);
  CHECK(took < std::chrono::seconds(10));
  CHECK(c.out.empty());
}

TEST_CASE("cancel stops running work") {
  Captured c;
  std::atomic<bool> cancel{false};
  auto session = connect(local_host(), {});
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel = true;
  });
  auto start = std::chrono::steady_clock::now();
  auto outcome = session->run({"sleep 30", {}, 60}, c.sink(), cancel);
  canceller.join();
  CHECK(outcome.cancelled);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("a large script and long output pass intact") {
  std::string script;
  for (int i = 0; i < 5000; ++i) script += "echo line" + std::to_string(i) + "\n";
  Captured c;
  auto outcome = run_local({script, {}, 30}, c);
  CHECK(outcome.exit_code == 0);
  REQUIRE(c.out.size() == 5000);
  CHECK(c.out.back() == "line4999");
}
