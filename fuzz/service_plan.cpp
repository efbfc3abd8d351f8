// libFuzzer target: the service YAML loader (lib/service/load.cpp).
// Any input must give either a plan that passes the rules or problems with
// places; never a crash, an exception, a hang or a problem without a message.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "model/validate.hpp"
#include "service/plan.hpp"

namespace {

// Scripts named "missing*" cannot be read; others read as a short shell text.
std::optional<std::string> read_script(const std::string& path) {
  if (path.rfind("missing", 0) == 0) return std::nullopt;
  return std::string("#!/bin/sh\necho ") + std::to_string(path.size()) + "\n";
}

// Names the broken property before the crash libFuzzer reports.
void require(bool ok, const char* property) {
  if (ok) return;
  std::fprintf(stderr, "property broken: %s\n", property);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto result = hostctl::service::load_plan(text, read_script);
  for (const auto& p : result.problems)
    require(!p.message.empty() && p.line >= 0 && p.column >= 0, "a problem has a message and a place");
  require(hostctl::service::describe(result.problems, "f.yaml").empty() == result.problems.empty(),
          "problems are described");
  if (!result.problems.empty()) return 0;
  // An accepted plan holds only what the catalog and the hosts can take.
  const auto& plan = result.plan;
  require(hostctl::model::check_name(plan.name).empty(), "an accepted plan has a valid name");
  require(plan.version > 0, "an accepted plan has a version");
  for (const auto& [action, tasks] : plan.actions)
    for (const auto& task : tasks) {
      require(!task.name.empty(), "every task has a name");
      require(task.run.empty() != task.script.empty(), "every task has run or script, not both");
      require(task.script.empty() || result.files.count(task.script) == 1, "every script is stored");
    }
  return 0;
}
