// The runner's one door to the catalog while lanes run on several threads:
// every write goes through here, under one mutex, in short transactions.
// Log lines are batched so a chatty task costs few commits.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "exec/session.hpp"

namespace hostctl::run {

class Recorder {
 public:
  explicit Recorder(catalog::Catalog& catalog) : catalog_(catalog) {}
  ~Recorder();

  void task_started(int64_t task_id);
  void task_finished(int64_t task_id, int status, std::optional<int> exit_code, const std::string& error);
  void task_reset(int64_t task_id);  // after a successful rollback: to be done again
  void line(int64_t task_id, std::optional<int64_t> deployment_id, exec::Stream stream, std::string_view text);
  void note(int64_t task_id, const std::string& text);  // a 'sys' line from hostctl itself
  void command_finished(int64_t command_id, int status, const std::string& error);
  bool cancel_requested(int64_t command_id);
  void renew_lease(int64_t command_id);
  void flush();

 private:
  struct Pending {
    int64_t task_id;
    std::optional<int64_t> deployment_id;
    std::string stream;
    std::string text;
    std::string at;
  };
  void flush_locked();
  void write_task(int64_t task_id, const char* sql, const std::function<void(catalog::Statement&)>& bind);
  void record_directive(const Pending& p);

  catalog::Catalog& catalog_;
  std::mutex mutex_;
  std::vector<Pending> pending_;
  std::chrono::steady_clock::time_point last_flush_ = std::chrono::steady_clock::now();
};

}  // namespace hostctl::run
