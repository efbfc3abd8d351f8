#include "model/version.hpp"

#include <cctype>

namespace hostctl::model {
namespace {

bool digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

int order(char c) {
  if (std::isalpha(static_cast<unsigned char>(c))) return c;
  if (c == '~') return -1;
  if (c == 0) return 0;
  return c + 256;
}

// dpkg's verrevcmp: alternately a run of non-digits, compared by order(),
// and a run of digits, compared as a number.
int verrevcmp(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    while ((i < a.size() && !digit(a[i])) || (j < b.size() && !digit(b[j]))) {
      int ca = i < a.size() && !digit(a[i]) ? order(a[i]) : 0;
      int cb = j < b.size() && !digit(b[j]) ? order(b[j]) : 0;
      if (ca != cb) return ca - cb;
      ++i;
      ++j;
    }
    while (i < a.size() && a[i] == '0') ++i;
    while (j < b.size() && b[j] == '0') ++j;
    int first_diff = 0;
    while (i < a.size() && digit(a[i]) && j < b.size() && digit(b[j])) {
      if (!first_diff) first_diff = a[i] - b[j];
      ++i;
      ++j;
    }
    if (i < a.size() && digit(a[i])) return 1;
    if (j < b.size() && digit(b[j])) return -1;
    if (first_diff) return first_diff;
  }
  return 0;
}

struct Parts {
  std::string_view epoch, upstream, revision;
};

Parts split(std::string_view v) {
  Parts p;
  if (auto colon = v.find(':'); colon != std::string_view::npos) {
    p.epoch = v.substr(0, colon);
    v.remove_prefix(colon + 1);
  }
  if (auto dash = v.rfind('-'); dash != std::string_view::npos) {
    p.revision = v.substr(dash + 1);
    v = v.substr(0, dash);
  }
  p.upstream = v;
  return p;
}

}  // namespace

std::string version_problem(std::string_view v) {
  if (v.empty()) return "it is empty";
  auto colon = v.find(':');
  Parts p = split(v);
  if (colon != std::string_view::npos) {
    if (p.epoch.empty()) return "the epoch before ':' is empty";
    for (char c : p.epoch)
      if (!digit(c)) return "the epoch before ':' is not a number";
    if (p.epoch.size() > 9) return "the epoch is too large";
  }
  if (p.upstream.empty()) return "the upstream version is empty";
  if (!digit(p.upstream.front())) return "it does not start with a digit";
  bool has_revision = v.rfind('-') != std::string_view::npos;
  for (char c : p.upstream)
    if (!alnum(c) && c != '.' && c != '+' && c != '~' && !(c == '-' && has_revision))
      return std::string("the upstream version holds '") + c + "'";
  if (has_revision && p.revision.empty()) return "the revision after '-' is empty";
  for (char c : p.revision)
    if (!alnum(c) && c != '.' && c != '+' && c != '~') return std::string("the revision holds '") + c + "'";
  return {};
}

int compare_versions(std::string_view a, std::string_view b) {
  if (!version_problem(a).empty() || !version_problem(b).empty()) return verrevcmp(a, b);
  Parts pa = split(a), pb = split(b);
  auto epoch = [](std::string_view e) {
    long long n = 0;
    for (char c : e) n = n * 10 + (c - '0');
    return n;
  };
  if (long long ea = epoch(pa.epoch), eb = epoch(pb.epoch); ea != eb) return ea < eb ? -1 : 1;
  if (int c = verrevcmp(pa.upstream, pb.upstream)) return c;
  return verrevcmp(pa.revision, pb.revision);
}

}  // namespace hostctl::model
