#include "exec/lines.hpp"

#include "exec/wrapper.hpp"
#include "model/validate.hpp"

namespace hostctl::exec {

void LineSplitter::feed(std::string_view bytes) {
  pending_.append(bytes);
  size_t start = 0;
  for (size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1)
    emit(std::string_view(pending_).substr(start, nl - start));
  pending_.erase(0, start);
  // Keep memory bounded when a task prints an endless line.
  if (pending_.size() > 65536) {
    emit(pending_);
    pending_.clear();
  }
}

void LineSplitter::finish() {
  if (!pending_.empty()) emit(pending_);
  pending_.clear();
}

void LineSplitter::emit(std::string_view line) {
  if (stream_ == Stream::Err && !saw_pgid_ && line.substr(0, kPgidPrefix.size()) == kPgidPrefix) {
    saw_pgid_ = true;
    auto digits = line.substr(kPgidPrefix.size());
    if (model::is_all_digits(digits) && digits.size() < 10) pgid_ = std::stol(std::string(digits));
    return;
  }
  sink_(stream_, line);
}

}  // namespace hostctl::exec
