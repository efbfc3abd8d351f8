// Start-up time of hostctl's cheap commands beside sqlite3 and python3,
// measured in one run: median and 90th percentile of N spawns each.
//   bench_startup [PATH-TO-HOSTCTL] [RUNS]
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

extern char** environ;

namespace {

double run_once(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  if (posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ) != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  auto end = std::chrono::steady_clock::now();
  posix_spawn_file_actions_destroy(&actions);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  return std::chrono::duration<double, std::milli>(end - start).count();
}

struct Row {
  std::string label;
  double median = -1, p90 = -1;
};

Row measure(const std::string& label, const std::vector<std::string>& argv, int runs) {
  std::vector<double> times;
  run_once(argv);  // warm the page cache
  for (int i = 0; i < runs; ++i) {
    double t = run_once(argv);
    if (t < 0) return {label + " (failed)", -1, -1};
    times.push_back(t);
  }
  std::sort(times.begin(), times.end());
  return {label, times[times.size() / 2], times[times.size() * 9 / 10]};
}

}  // namespace

int main(int argc, char** argv) {
  std::string hostctl = argc > 1 ? argv[1] : "./hostctl";
  int runs = argc > 2 ? std::atoi(argv[2]) : 200;
  // version/--help/completion must not touch the catalog: point it nowhere.
  setenv("HOSTCTL_CATALOG", "/nonexistent/hostctl-bench/catalog.db", 1);
  std::vector<Row> rows = {
      measure("hostctl version", {hostctl, "version"}, runs),
      measure("hostctl --help", {hostctl, "--help"}, runs),
      measure("hostctl completion bash", {hostctl, "completion", "bash"}, runs),
      measure("sqlite3 --version", {"sqlite3", "--version"}, runs),
      measure("python3 -c pass", {"python3", "-c", "pass"}, runs),
  };
  double base = rows[3].median;
  std::printf("start-up time, %d runs each (ms)\n", runs);
  std::printf("%-26s %8s %8s %14s\n", "command", "median", "p90", "vs sqlite3");
  for (const auto& r : rows)
    std::printf("%-26s %8.2f %8.2f %13.2fx\n", r.label.c_str(), r.median, r.p90, base > 0 ? r.median / base : 0.0);
  bool ok = rows[0].median >= 0 && rows[0].median < 5.0;
  std::printf("target: hostctl version under 5 ms: %s\n", ok ? "met" : "NOT met");
  return 0;
}
