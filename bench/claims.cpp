// Queue claims per second on a catalog (SQLite or PostgreSQL): COMMANDS queued
// commands taken by 1, 4 and 16 worker processes at once through
// run::claim_queued, the claim every `queue run tasks` makes; and the cost of
// opening the catalog (connect and first query), as each hostctl invocation does.
//   bench_claims CATALOG [COMMANDS]   (CATALOG: an initialised catalog, a file or a postgresql:// URI)
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "catalog/catalog.hpp"
#include "run/command.hpp"

using namespace hostctl;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

catalog::Actor actor(const std::string& node) { return {"bench", "[]", node}; }

// Queues n commands on objects no earlier round used (one action runs on one object at a time).
void queue(const std::string& location, int n) {
  static int round = 0;
  ++round;
  auto c = catalog::Catalog::open(location, actor("bench"));
  for (int i = 0; i < n; ++i) run::queue_command(*c, {"bench", "host", fmt::format("r{}-{}", round, i), {}});
}

// Forks `workers` processes that claim until the queue is empty; the seconds it took.
double drain(const std::string& location, int workers) {
  auto start = std::chrono::steady_clock::now();
  for (int w = 0; w < workers; ++w) {
    if (fork() != 0) continue;
    try {
      auto c = catalog::Catalog::open(location, actor("worker" + std::to_string(w)));
      while (run::claim_queued(*c)) {
      }
      _exit(0);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "worker %d: %s\n", w, e.what());
      _exit(1);
    }
  }
  int failed = 0, status = 0;
  while (wait(&status) > 0) failed += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  if (failed) std::exit(1);
  return seconds_since(start);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_claims CATALOG [COMMANDS]\n");
    return 2;
  }
  std::string location = argv[1];
  int commands = argc > 2 ? std::atoi(argv[2]) : 2000;
  constexpr int kOpens = 100;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kOpens; ++i) catalog::Catalog::open(location, actor("bench"))->schema_version();
  std::printf("open the catalog (connect, check the schema): %.2f ms\n", seconds_since(start) * 1000 / kOpens);
  for (int workers : {1, 4, 16}) {
    queue(location, commands);
    double took = drain(location, workers);
    std::printf("claims with %2d workers: %8.0f /s (%d in %.2f s)\n", workers, commands / took, commands, took);
  }
  return 0;
}
