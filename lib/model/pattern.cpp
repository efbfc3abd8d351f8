#include "model/pattern.hpp"

#include <fmt/format.h>
#include <regex.h>

#include <cctype>
#include <string>

namespace hostctl::model {
namespace {

constexpr size_t kMaxPatternBytes = 256;
// glibc expands {n,m} into copies: nested or repeated counts multiply its work
// (measured: a product of 1,000 matches in ~50 ms, 10,000 takes seconds).
constexpr long kMaxRepetitionProduct = 1000;

// Compiles on construction; `error` says why not.
class Compiled {
 public:
  explicit Compiled(const std::string& expression) {
    int rc = ::regcomp(&re_, expression.c_str(), REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
      char buf[256];
      ::regerror(rc, &re_, buf, sizeof buf);
      error = buf;
    } else {
      ok_ = true;
    }
  }
  ~Compiled() {
    if (ok_) ::regfree(&re_);
  }
  Compiled(const Compiled&) = delete;
  Compiled& operator=(const Compiled&) = delete;

  bool matches(const std::string& value) const { return ok_ && ::regexec(&re_, value.c_str(), 0, nullptr, 0) == 0; }

  std::string error;

 private:
  regex_t re_{};
  bool ok_ = false;
};

std::string anchored(std::string_view pattern) { return "^(" + std::string(pattern) + ")$"; }

// Why the repetitions in `p` are too costly for glibc, or "". Each {n}, {n,}
// and {n,m} outside brackets multiplies the cost by its largest bound, and a
// repetition operator right after another one (a{8,}++, a**) is refused: POSIX
// leaves it undefined and glibc's compiler multiplies its work for each.
std::string check_repetitions(std::string_view p) {
  const std::string too_much =
      fmt::format("repeats too much: the bounds of its {{n,m}} multiply to more than {}", kMaxRepetitionProduct);
  long product = 1;
  bool in_bracket = false, after_repetition = false;
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    bool repetition = false;
    if (c == '\\') {
      ++i;
    } else if (in_bracket) {
      if (c == ']') in_bracket = false;
    } else if (c == '[') {
      in_bracket = true;
      if (i + 1 < p.size() && p[i + 1] == '^') ++i;
      if (i + 1 < p.size() && p[i + 1] == ']') ++i;  // a leading ] is a member
    } else if (c == '*' || c == '+' || c == '?') {
      repetition = true;
    } else if (c == '{') {
      repetition = true;
      long bound = 0;
      for (++i; i < p.size() && p[i] != '}'; ++i)
        if (p[i] == ',')
          bound = 0;
        else if (std::isdigit(static_cast<unsigned char>(p[i])) && (bound = bound * 10 + (p[i] - '0')) > kMaxRepetitionProduct)
          return too_much;
      if ((product *= std::max(bound, 1L)) > kMaxRepetitionProduct) return too_much;
    }
    if (repetition && after_repetition) return "puts one repetition operator right after another (such as a*+ or a{2}?)";
    after_repetition = repetition;
  }
  return "";
}

bool has_back_reference(std::string_view p) {
  for (size_t i = 0; i + 1 < p.size(); ++i)
    if (p[i] == '\\') {
      if (std::isdigit(static_cast<unsigned char>(p[i + 1]))) return true;
      ++i;
    }
  return false;
}

}  // namespace

std::string check_pattern(std::string_view pattern) {
  if (pattern.size() > kMaxPatternBytes) return fmt::format("is longer than {} bytes", kMaxPatternBytes);
  if (pattern.find('\0') != std::string_view::npos) return "contains a NUL byte";
  if (has_back_reference(pattern)) return "uses a back-reference (\\1 ...), which can take exponential time";
  if (auto why = check_repetitions(pattern); !why.empty()) return why;
  Compiled raw(std::string{pattern});
  if (!raw.error.empty()) return "is not a valid extended regular expression: " + raw.error;
  Compiled whole(anchored(pattern));
  if (!whole.error.empty()) return "is not a valid extended regular expression: " + whole.error;
  return "";
}

bool matches_pattern(const std::string& value, const std::string& pattern) {
  return Compiled(anchored(pattern)).matches(value);
}

}  // namespace hostctl::model
