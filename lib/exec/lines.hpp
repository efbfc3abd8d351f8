// Splits a byte stream into lines for a LineSink, and picks out the wrapper's
// own "@hostctl-pgid N" line.
#pragma once

#include <string>
#include <string_view>

#include "exec/session.hpp"

namespace hostctl::exec {

class LineSplitter {
 public:
  LineSplitter(Stream stream, const LineSink& sink, long& pgid) : stream_(stream), sink_(sink), pgid_(pgid) {}
  void feed(std::string_view bytes);
  void finish();  // a last line without its newline

 private:
  void emit(std::string_view line);
  Stream stream_;
  const LineSink& sink_;
  long& pgid_;
  std::string pending_;
  bool saw_pgid_ = false;
};

}  // namespace hostctl::exec
