// Running a task's shell text on a host. One Session per host per run; the
// local transport and the SSH transport speak the same wrapper protocol.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstddef>
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

// A file being read from a host, in chunks.
class FileReader {
 public:
  virtual ~FileReader() = default;
  // Up to `n` bytes into `buffer`; 0 at the end. Throws RemoteFailed on a read error.
  virtual size_t read(char* buffer, size_t n) = 0;
};

class Session {
 public:
  virtual ~Session() = default;
  // Runs `job`; returns when it ended, timed out or `cancel` became true.
  virtual Outcome run(const Job& job, const LineSink& sink, const std::atomic<bool>& cancel) = 0;
  // Files move through the session that is already open (SFTP over SSH), in
  // chunks, so their size does not matter. Errors are RemoteFailed (or
  // Interrupted when `cancel` became true); write_file returns the bytes written.
  virtual std::unique_ptr<FileReader> open_file(const std::string& path);
  virtual int64_t write_file(const std::string& path, FileReader& from, const std::atomic<bool>& cancel);
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
