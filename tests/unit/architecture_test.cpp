// The dependency direction of ARCHITECTURE.md, checked on the sources: nothing
// in lib/ includes cli/, and each lib/ folder includes only folders of a lower
// level (never a peer, never one above), so the levels point one way.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// The levels of ARCHITECTURE.md, lowest first. A folder missing here fails the test.
const std::map<std::string, int> kLevel = {
    {"core", 0},      {"catalog", 1},   {"secrets", 2},  {"model", 3},    {"config", 4},
    {"service", 4},   {"exec", 4},      {"run", 5},      {"billing", 6},  {"databases", 6},
    {"exchange", 6},  {"hostops", 6},   {"routing", 6},  {"lifecycle", 7}, {"queue", 8},
    {"reserve", 8},   {"operations", 9},
};

struct Include {
  std::string file, target;  // target: the quoted path
};

std::vector<Include> includes_under(const fs::path& dir) {
  std::vector<Include> out;
  static const std::regex include(R"re(^\s*#\s*include\s+"([^"]+)")re");
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    auto ext = entry.path().extension();
    if (ext != ".cpp" && ext != ".hpp") continue;
    std::ifstream in(entry.path());
    std::string line;
    std::smatch m;
    while (std::getline(in, line))
      if (std::regex_search(line, m, include)) out.push_back({entry.path().string(), m[1]});
  }
  return out;
}

std::string folder_of(const fs::path& lib, const std::string& file) {
  return fs::relative(file, lib).begin()->string();
}

}  // namespace

TEST_CASE("lib never includes cli and its levels point one way") {
  fs::path source(HOSTCTL_SOURCE_DIR);
  fs::path lib = source / "lib";
  std::vector<std::string> cli_headers;
  for (const auto& entry : fs::directory_iterator(source / "cli"))
    if (entry.path().extension() == ".hpp") cli_headers.push_back(entry.path().filename().string());
  REQUIRE_FALSE(cli_headers.empty());

  auto found = includes_under(lib);
  REQUIRE(found.size() > 100);  // the scan saw the sources
  for (const auto& inc : found) {
    INFO(inc.file << " includes \"" << inc.target << "\"");
    auto slash = inc.target.find('/');
    // A lib header is always "folder/name.hpp"; a bare name would be cli's.
    REQUIRE(slash != std::string::npos);
    std::string from = folder_of(lib, inc.file), to = inc.target.substr(0, slash);
    REQUIRE(kLevel.count(from) == 1);
    REQUIRE(kLevel.count(to) == 1);
    if (from != to) CHECK(kLevel.at(to) < kLevel.at(from));
  }
}

TEST_CASE("the include check itself refuses a wrong direction") {
  // routing (5) including lifecycle (6) is what the split of Ops removed.
  CHECK_FALSE(kLevel.at("lifecycle") < kLevel.at("routing"));
  CHECK_FALSE(kLevel.at("routing") < kLevel.at("hostops"));  // peers do not include each other
  CHECK(kLevel.at("run") < kLevel.at("routing"));
}

namespace {

// The files outside lib/catalog that name the catalog's engine (SQLiteCpp,
// sqlite3) instead of catalog::Connection and catalog::Statement.
std::vector<std::string> engine_users(const fs::path& source) {
  static const std::regex engine(R"re(SQLiteCpp/|<sqlite3\.h>|\bSQLite::|\bsqlite3_)re");
  std::vector<std::string> out;
  for (const char* dir : {"lib", "cli"})
    for (const auto& entry : fs::recursive_directory_iterator(source / dir)) {
      auto ext = entry.path().extension();
      if ((ext != ".cpp" && ext != ".hpp") || entry.path().parent_path().filename() == "catalog") continue;
      std::ifstream in(entry.path());
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (std::regex_search(text, engine)) out.push_back(entry.path().string());
    }
  return out;
}

}  // namespace

TEST_CASE("only lib/catalog knows the catalog's engine") {
  fs::path source(HOSTCTL_SOURCE_DIR);
  CHECK(engine_users(source) == std::vector<std::string>{});
  // The check sees an engine where there is one.
  fs::path fake = fs::temp_directory_path() / "hostctl-engine-check";
  fs::create_directories(fake / "lib" / "model");
  fs::create_directories(fake / "cli");
  std::ofstream(fake / "lib" / "model" / "x.cpp") << "#include <SQLiteCpp/Statement.h>\n";
  std::ofstream(fake / "cli" / "y.cpp") << "SQLite::Database db;\n";
  CHECK(engine_users(fake).size() == 2);
  fs::remove_all(fake);
}
