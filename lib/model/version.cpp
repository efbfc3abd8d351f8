#include "model/version.hpp"

#include <cctype>

namespace hostctl::model {
namespace {

int order(char c) {
  if (std::isalpha(static_cast<unsigned char>(c))) return c;
  if (c == '~') return -1;
  if (c == 0) return 0;
  return c + 256;
}

}  // namespace

int compare_versions(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    while ((i < a.size() && !std::isdigit(static_cast<unsigned char>(a[i]))) ||
           (j < b.size() && !std::isdigit(static_cast<unsigned char>(b[j])))) {
      char ca = i < a.size() && !std::isdigit(static_cast<unsigned char>(a[i])) ? a[i] : 0;
      char cb = j < b.size() && !std::isdigit(static_cast<unsigned char>(b[j])) ? b[j] : 0;
      if (order(ca) != order(cb)) return order(ca) - order(cb);
      if (ca) ++i;
      if (cb) ++j;
      if (!ca && !cb) break;
    }
    while (i < a.size() && a[i] == '0') ++i;
    while (j < b.size() && b[j] == '0') ++j;
    size_t si = i, sj = j;
    while (i < a.size() && std::isdigit(static_cast<unsigned char>(a[i]))) ++i;
    while (j < b.size() && std::isdigit(static_cast<unsigned char>(b[j]))) ++j;
    size_t la = i - si, lb = j - sj;
    if (la != lb) return la < lb ? -1 : 1;
    for (size_t k = 0; k < la; ++k)
      if (a[si + k] != b[sj + k]) return a[si + k] < b[sj + k] ? -1 : 1;
  }
  return 0;
}

}  // namespace hostctl::model
