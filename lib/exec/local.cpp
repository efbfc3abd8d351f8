// The local transport: the wrapper runs as a child process on the control node.
#include "exec/local.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "core/error.hpp"
#include "exec/lines.hpp"
#include "exec/wrapper.hpp"

namespace hostctl::exec {
namespace {

using Clock = std::chrono::steady_clock;

struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() {
    if (::pipe2(fd, O_CLOEXEC) != 0) throw Error(ErrorKind::Internal, fmt::format("pipe: {}", strerror(errno)));
  }
  ~Pipe() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
  void close(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
};

class LocalSession : public Session {
 public:
  std::unique_ptr<FileReader> open_file(const std::string& path) override { return open_local_file(path); }
  int64_t write_file(const std::string& path, FileReader& from, const std::atomic<bool>& cancel) override {
    return write_local_file(path, from, cancel);
  }

  Outcome run(const Job& job, const LineSink& sink, const std::atomic<bool>& cancel) override {
    std::string payload = wrapper_payload(job);
    Pipe in, out, err;
    pid_t pid = ::fork();
    if (pid < 0) throw Error(ErrorKind::Internal, fmt::format("fork: {}", strerror(errno)));
    if (pid == 0) {
      ::setsid();
      ::dup2(in.fd[0], 0);
      ::dup2(out.fd[1], 1);
      ::dup2(err.fd[1], 2);
      ::signal(SIGPIPE, SIG_DFL);
      ::execl("/bin/sh", "sh", "-c", wrapper_command().c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    in.close(0);
    out.close(1);
    err.close(1);
    // The payload is small next to the pipe buffer; writing it before reading is safe
    // up to 64 KiB, and larger scripts are written as the child reads.
    ::fcntl(in.fd[1], F_SETFL, O_NONBLOCK);
    size_t written = 0;

    long pgid = 0;
    LineSplitter out_lines(Stream::Out, sink, pgid), err_lines(Stream::Err, sink, pgid);
    Outcome outcome;
    auto deadline = Clock::now() + std::chrono::seconds(job.timeout_seconds + 10);
    bool out_open = true, err_open = true, killed = false;
    while (out_open || err_open || in.fd[1] >= 0) {
      if (in.fd[1] >= 0) {
        ssize_t n = ::write(in.fd[1], payload.data() + written, payload.size() - written);
        if (n > 0) written += static_cast<size_t>(n);
        if (written == payload.size() || (n < 0 && errno != EAGAIN)) in.close(1);
      }
      pollfd fds[2] = {{out_open ? out.fd[0] : -1, POLLIN, 0}, {err_open ? err.fd[0] : -1, POLLIN, 0}};
      ::poll(fds, 2, 100);
      char buf[8192];
      for (int i = 0; i < 2; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
        if (n > 0) {
          (i == 0 ? out_lines : err_lines).feed(std::string_view(buf, static_cast<size_t>(n)));
        } else if (n == 0 || errno != EINTR) {
          (i == 0 ? out_open : err_open) = false;
        }
      }
      bool overdue = Clock::now() > deadline;
      if (!killed && (cancel.load() || overdue)) {
        outcome.cancelled = cancel.load();
        outcome.timed_out = overdue;
        if (pgid > 0) ::kill(-static_cast<pid_t>(pgid), SIGKILL);
        ::kill(-pid, SIGKILL);
        killed = true;
      }
    }
    out_lines.finish();
    err_lines.finish();
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) outcome.exit_code = 128 + WTERMSIG(status);
    if (outcome.exit_code == kTimedOut) outcome.timed_out = true;
    return outcome;
  }
};

}  // namespace

std::unique_ptr<Session> connect_local() { return std::make_unique<LocalSession>(); }

}  // namespace hostctl::exec
