// Running a task's shell text on a host. One Session per host per run; the
// local transport and the SSH transport speak the same wrapper protocol.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hostctl::exec {

enum class Stream { Out, Err };

struct Job {
  std::string script;                                       // shell text, run by /bin/sh
  std::vector<std::pair<std::string, std::string>> env;     // HOSTCTL_* inputs
  int64_t timeout_seconds = 300;
};

struct Outcome {
  int exit_code = -1;
  bool timed_out = false;
  bool cancelled = false;
  std::string lost;  // why the connection broke mid-task; empty when it did not
};

// Receives each output line (without its newline) as it arrives.
using LineSink = std::function<void(Stream, std::string_view)>;

class Session {
 public:
  virtual ~Session() = default;
  // Runs `job`; returns when it ended, timed out or `cancel` became true.
  virtual Outcome run(const Job& job, const LineSink& sink, const std::atomic<bool>& cancel) = 0;
};

// Where and how to reach a host.
struct Endpoint {
  std::string name;
  std::string transport = "ssh";
  std::string address;
  int port = 22;
  std::string user;
  std::string identity_file;
};

struct ConnectOptions {
  std::string known_hosts;
  std::string ssh_config;
  int64_t connect_timeout = 10;
  bool accept_new_key = false;  // trust and record an unknown host key
};

// Connects (Unreachable on failure: refused, timed out, auth, host key).
std::unique_ptr<Session> connect(const Endpoint& endpoint, const ConnectOptions& options);

}  // namespace hostctl::exec
