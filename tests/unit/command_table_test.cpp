// Walks the command table: every command has help, a man page entry, and
// appears in every completion script.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "command.hpp"
#include "completion.hpp"

using namespace hostctl::cli;

TEST_CASE("every command is documented and completed") {
  std::ifstream in(std::string(HOSTCTL_SOURCE_DIR) + "/man/hostctl.1");
  std::stringstream man;
  man << in.rdbuf();
  const std::string bash = completion_script("bash"), zsh = completion_script("zsh"), fish = completion_script("fish");
  for (const Command& c : command_table()) {
    INFO(c.path);
    CHECK_FALSE(c.help.empty());
    CHECK(c.run != nullptr);
    CHECK(man.str().find(".SS hostctl " + c.path) != std::string::npos);
    std::string leaf = c.path.substr(c.path.rfind(' ') + 1);
    CHECK(bash.find(leaf) != std::string::npos);
    CHECK(zsh.find(leaf) != std::string::npos);
    CHECK(fish.find("-a " + leaf) != std::string::npos);
    for (const Opt& o : c.options) {
      INFO(o.name);
      CHECK(bash.find("--" + o.name) != std::string::npos);
      CHECK(fish.find("-l " + o.name) != std::string::npos);
    }
  }
}

// The text of `.SS hostctl PATH ...` in hostctl.1, up to the next section.
std::string man_section(const std::string& man, const std::string& path) {
  auto at = man.find(".SS hostctl " + path + " ");
  if (at == std::string::npos) at = man.find(".SS hostctl " + path + "\n");
  if (at == std::string::npos) return {};
  auto end = man.find("\n.S", at + 1);
  return man.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

TEST_CASE("every option of every command is in its man page section") {
  std::ifstream in(std::string(HOSTCTL_SOURCE_DIR) + "/man/hostctl.1");
  std::stringstream man;
  man << in.rdbuf();
  for (const Command& c : command_table()) {
    std::string text = man_section(man.str(), c.path);
    // A section may take its options from another ("the options of host add").
    if (auto of = text.find("the options of\n.BR \""); of != std::string::npos) {
      auto start = of + 20, end = text.find('"', start);
      text += man_section(man.str(), text.substr(start, end - start));
    }
    for (const Opt& o : c.options) {
      INFO(c.path << " --" << o.name);
      std::string spelled;
      for (char ch : o.name) spelled += ch == '-' ? std::string("\\-") : std::string(1, ch);
      CHECK(text.find("\\-\\-" + spelled) != std::string::npos);
    }
  }
}

TEST_CASE("every command that changes things takes --dry-run") {
  for (const Command& c : command_table()) {
    INFO(c.path);
    // task cancel signals a running process: nothing a rolled-back transaction could hold back.
    if ((c.needs & kMutates) && c.path != "task cancel") CHECK((c.needs & kDryRun) != 0);
  }
}

TEST_CASE("every command's JSON output is documented") {
  std::ifstream in(std::string(HOSTCTL_SOURCE_DIR) + "/docs/JSON.md");
  std::stringstream doc;
  doc << in.rdbuf();
  for (const Command& c : command_table()) {
    if (c.needs & kRawOutput) continue;
    INFO(c.path);
    CHECK(doc.str().find("`" + c.path + "`") != std::string::npos);
  }
}

TEST_CASE("the shipped completion files are what the binary prints") {
  for (const auto& [shell, file] : {std::pair{"bash", "hostctl.bash"}, {"zsh", "_hostctl"}, {"fish", "hostctl.fish"}}) {
    INFO(file);
    std::ifstream in(std::string(HOSTCTL_SOURCE_DIR) + "/completions/" + file);
    std::stringstream text;
    text << in.rdbuf();
    CHECK(text.str() == completion_script(shell));
  }
}
