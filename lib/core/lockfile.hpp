// An OS file lock (flock) on an open descriptor: the kernel releases it when
// the holder dies, so a killed refill never blocks the next one. The holder's
// user, pid and start time are written into the file for the "busy" message.
#pragma once

#include <string>

namespace hostctl {

class FileLock {
 public:
  explicit FileLock(std::string path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  [[nodiscard]] bool try_acquire(const std::string& holder);
  // What the current holder wrote, for messages.
  std::string holder() const;

 private:
  std::string path_;
  int fd_ = -1;
  bool held_ = false;
};

}  // namespace hostctl
