// The catalog's SQL is written once for SQLite and PostgreSQL (issue 15): no
// statement may use what only one engine reads, or reads differently.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace fs = std::filesystem;

namespace {

struct Finding {
  std::string where, what;
};

// What only SQLite reads, or PostgreSQL reads differently, and what to write instead.
const std::vector<std::pair<std::regex, std::string>>& dialect_rules() {
  static const std::vector<std::pair<std::regex, std::string>> rules = {
      {std::regex(R"(\bINSERT\s+OR\s+(REPLACE|IGNORE)\b)", std::regex::icase), "INSERT ... ON CONFLICT"},
      {std::regex(R"(\blast_insert_rowid\b)", std::regex::icase), "INSERT ... RETURNING id"},
      {std::regex(R"(\?\d*\s+IS\s+(NOT\s+)?NULL)", std::regex::icase), "CAST(?N AS TEXT) IS NULL (typed)"},
      {std::regex(R"((^|[^_:.\w"])user([^_\w"]|$))"), "a column named user (the session's user in PostgreSQL)"},
      {std::regex(R"(\browid\b)", std::regex::icase), "the table's id"},
      {std::regex(R"(\binstr\s*\()", std::regex::icase), "LIKE, or the value computed in C++ (no instr in PostgreSQL)"},
  };
  return rules;
}

bool is_sql(const std::string& text) {
  static const std::regex sql(R"(\b(SELECT|INSERT|UPDATE \w+ SET|DELETE FROM|WHERE)\b)");
  return std::regex_search(text, sql);
}

std::vector<Finding> scan(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string source = buffer.str();
  std::vector<Finding> out;
  // The C++ string literals that hold SQL; comments and messages are not SQL.
  static const std::regex literal(R"re("((?:[^"\\\n]|\\.)*)")re");
  for (auto it = std::sregex_iterator(source.begin(), source.end(), literal); it != std::sregex_iterator(); ++it) {
    std::string text = (*it)[1].str();
    if (!is_sql(text)) continue;
    for (const auto& [rule, instead] : dialect_rules())
      if (std::regex_search(text, rule)) out.push_back({file.string() + ": \"" + text + "\"", instead});
  }
  if (source.find("getLastInsertRowid") != std::string::npos)
    out.push_back({file.string(), "catalog::insert_returning_id"});
  return out;
}

}  // namespace

TEST_CASE("the catalog's statements are portable SQL") {
  std::vector<Finding> findings;
  for (const char* dir : {"lib", "cli"})
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(HOSTCTL_SOURCE_DIR) / dir))
      if (entry.path().extension() == ".cpp" || entry.path().extension() == ".hpp")
        for (auto& f : scan(entry.path())) findings.push_back(f);
  for (const auto& f : findings) FAIL_CHECK(f.where << "\n  write instead: " << f.what);
  CHECK(findings.empty());
}

TEST_CASE("the portability check finds what it is for") {
  fs::path file = fs::temp_directory_path() / "hostctl-portable-sql-test.cpp";
  std::ofstream(file) << R"src(auto a = "INSERT OR REPLACE INTO fact(k) VALUES (?)";
auto b = "SELECT id FROM audit WHERE (?1 IS NULL OR actor = ?1)";
auto c = "SELECT id, user FROM command";
auto d = "SELECT * FROM site ORDER BY rowid";
int64_t id = db.getLastInsertRowid();
auto fine = "SELECT login_user, h.actor FROM host h WHERE (CAST(?1 AS TEXT) IS NULL OR name = ?1)";
auto message = "no such user";
)src";
  auto found = scan(file);
  fs::remove(file);
  REQUIRE(found.size() == 5);
  CHECK(found[0].what == "INSERT ... ON CONFLICT");
  CHECK(found[1].what.find("typed") != std::string::npos);
  CHECK(found[2].what.find("column named user") != std::string::npos);
  CHECK(found[3].what == "the table's id");
  CHECK(found[4].what == "catalog::insert_returning_id");
}
