// Moving files through a session: the local transport reads and writes them
// here; a transport without file access says so.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"
#include "exec/local.hpp"
#include "exec/session.hpp"

namespace hostctl::exec {

std::unique_ptr<FileReader> Session::open_file(const std::string& path) {
  throw Error(ErrorKind::Internal, fmt::format("this transport cannot read files ('{}')", path));
}

int64_t Session::write_file(const std::string& path, FileReader&, const std::atomic<bool>&) {
  throw Error(ErrorKind::Internal, fmt::format("this transport cannot write files ('{}')", path));
}

namespace {

class LocalReader : public FileReader {
 public:
  explicit LocalReader(const std::string& path) : path_(path), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) throw Error(ErrorKind::RemoteFailed, fmt::format("cannot open '{}': {}", path, std::strerror(errno)));
  }
  ~LocalReader() override { ::close(fd_); }
  size_t read(char* buffer, size_t n) override {
    ssize_t got;
    do got = ::read(fd_, buffer, n); while (got < 0 && errno == EINTR);
    if (got < 0) throw Error(ErrorKind::RemoteFailed, fmt::format("cannot read '{}': {}", path_, std::strerror(errno)));
    return static_cast<size_t>(got);
  }

 private:
  std::string path_;
  int fd_;
};

}  // namespace

std::unique_ptr<FileReader> open_local_file(const std::string& path) { return std::make_unique<LocalReader>(path); }

int64_t write_local_file(const std::string& path, FileReader& from, const std::atomic<bool>& cancel) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw Error(ErrorKind::RemoteFailed, fmt::format("cannot create '{}': {}", path, std::strerror(errno)));
  int64_t total = 0;
  char buffer[1 << 16];
  try {
    for (size_t n; (n = from.read(buffer, sizeof buffer)) > 0;) {
      if (cancel) throw Error(ErrorKind::Interrupted, fmt::format("writing '{}' was cancelled", path));
      for (size_t done = 0; done < n;) {
        ssize_t put = ::write(fd, buffer + done, n - done);
        if (put < 0 && errno == EINTR) continue;
        if (put < 0) throw Error(ErrorKind::RemoteFailed, fmt::format("cannot write '{}': {}", path, std::strerror(errno)));
        done += static_cast<size_t>(put);
      }
      total += static_cast<int64_t>(n);
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::close(fd) != 0) throw Error(ErrorKind::RemoteFailed, fmt::format("cannot write '{}': {}", path, std::strerror(errno)));
  return total;
}

}  // namespace hostctl::exec
