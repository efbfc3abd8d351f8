// libFuzzer target: the @hostctl directive parser (lib/exec/directive.cpp),
// fed one output line of a task as a host could send it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "exec/directive.hpp"
#include "model/validate.hpp"

namespace {

// Names the broken property before the crash libFuzzer reports.
void require(bool ok, const char* property) {
  if (ok) return;
  std::fprintf(stderr, "property broken: %s\n", property);
  std::abort();
}

bool printable(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto directive = hostctl::exec::parse_directive(line, error);
  const bool marked = line.substr(0, 9) == "@hostctl ";
  if (!marked) {
    // Ordinary output is never a directive and never an error.
    require(!directive && error.empty(), "ordinary output is not a directive");
    return 0;
  }
  require(directive.has_value() == error.empty(), "a marked line is a directive or an error");
  if (!directive) return 0;
  // What the parser lets through is stored as facts, packages and usage: bounded, one line.
  require(directive->key.size() <= 128 && directive->value.size() <= 4096, "key and value are bounded");
  require(printable(directive->key) && printable(directive->value), "no control characters");
  require(hostctl::model::is_valid_utf8(directive->value), "the value is UTF-8");
  return 0;
}
