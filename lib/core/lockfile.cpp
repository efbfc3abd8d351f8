#include "core/lockfile.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstring>

#include "core/error.hpp"

namespace hostctl {

FileLock::FileLock(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw Error(ErrorKind::Internal, fmt::format("cannot open lock file '{}': {}", path_, strerror(errno)));
}

FileLock::~FileLock() {
  if (held_) {
    // Leave no stale holder text behind for the next reader.
    [[maybe_unused]] int rc = ::ftruncate(fd_, 0);
    ::flock(fd_, LOCK_UN);
  }
  ::close(fd_);
}

bool FileLock::try_acquire(const std::string& holder) {
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) return false;
  held_ = true;
  std::string text = holder + "\n";
  // The holder text only improves a message; failing to write it is harmless.
  if (::ftruncate(fd_, 0) == 0) [[maybe_unused]] auto n = ::pwrite(fd_, text.data(), text.size(), 0);
  return true;
}

std::string FileLock::holder() const {
  char buf[512];
  ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
  std::string text = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text.empty() ? "another process" : text;
}

}  // namespace hostctl
