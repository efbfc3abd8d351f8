#include "model/validate.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace hostctl::model {
namespace {

bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_lower(c) || is_digit(c) || (c >= 'A' && c <= 'Z'); }

}  // namespace

// Valid UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF.
bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? c : c & (0xFF >> (len + 1));
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

bool is_all_digits(std::string_view value) {
  if (value.empty()) return false;
  for (char c : value)
    if (!is_digit(c)) return false;
  return true;
}

std::string check_name(std::string_view v) {
  if (v.empty()) return "must not be empty";
  if (v.size() > 63) return "must be at most 63 characters";
  if (!is_lower(v.front())) return "must start with a lower-case letter";
  if (v.back() == '-') return "must not end with '-'";
  for (char c : v)
    if (!is_lower(c) && !is_digit(c) && c != '-') return "may hold only a-z, 0-9 and '-'";
  return {};
}

std::string check_address(std::string_view v) {
  if (v.empty()) return "must not be empty";
  if (v.size() > 253) return "must be at most 253 characters";
  if (v.find(':') != std::string_view::npos) {
    for (char c : v)
      if (!is_digit(c) && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F') && c != ':' && c != '.')
        return "is not a valid IPv6 address";
    return {};
  }
  size_t start = 0;
  while (start <= v.size()) {
    size_t end = v.find('.', start);
    if (end == std::string_view::npos) end = v.size();
    std::string_view label = v.substr(start, end - start);
    if (label.empty() || label.size() > 63) return "has an empty or over-long label";
    if (label.front() == '-' || label.back() == '-') return "has a label that starts or ends with '-'";
    for (char c : label)
      if (!is_alnum(c) && c != '-') return "may hold only letters, digits, '-' and '.'";
    start = end + 1;
  }
  return {};
}

std::string check_port(std::string_view v, int& port) {
  if (!is_all_digits(v) || v.size() > 5) return "must be a number from 1 to 65535";
  int p = std::stoi(std::string(v));
  if (p < 1 || p > 65535) return "must be a number from 1 to 65535";
  port = p;
  return {};
}

std::string check_unix_user(std::string_view v) {
  if (v.empty() || v.size() > 32) return "must be 1 to 32 characters";
  if (!is_lower(v.front()) && v.front() != '_') return "must start with a lower-case letter or '_'";
  for (char c : v)
    if (!is_lower(c) && !is_digit(c) && c != '_' && c != '-') return "may hold only a-z, 0-9, '_' and '-'";
  return {};
}

std::string check_abs_path(std::string_view v) {
  if (v.empty() || v.front() != '/') return "must be an absolute path";
  if (v.size() > 1024) return "must be at most 1024 characters";
  for (char c : v)
    if (!is_alnum(c) && c != '/' && c != '.' && c != '_' && c != '-' && c != '+' && c != '@')
      return "may hold only letters, digits and / . _ - + @";
  size_t start = 0;
  while (start < v.size()) {
    size_t end = v.find('/', start);
    if (end == std::string_view::npos) end = v.size();
    if (v.substr(start, end - start) == "..") return "must not contain '..'";
    start = end + 1;
  }
  return {};
}

std::string check_role(std::string_view v) {
  if (v == "web" || v == "db" || v == "router") return {};
  return "must be one of web, db, router";
}

std::string check_email(std::string_view v) {
  if (v.size() > 254) return "must be at most 254 characters";
  auto at = v.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= v.size()) return "is not an e-mail address";
  for (char c : v)
    if (static_cast<unsigned char>(c) <= ' ' || c == '"' || c == '\'' || c == '\\' || c == 0x7f)
      return "is not an e-mail address";
  return {};
}

std::string check_count(std::string_view v, int64_t& out) {
  if (!is_all_digits(v) || v.size() > 12) return "must be a whole number from 0";
  out = std::stoll(std::string(v));
  return {};
}

std::string check_duration(std::string_view v, int64_t& seconds) {
  if (v.size() < 2 || v.size() > 12) return "must be a duration such as 30s, 5m, 23h or 7d";
  std::string_view digits = v.substr(0, v.size() - 1);
  if (!is_all_digits(digits)) return "must be a duration such as 30s, 5m, 23h or 7d";
  int64_t n = std::stoll(std::string(digits));
  switch (v.back()) {
    case 's': seconds = n; break;
    case 'm': seconds = n * 60; break;
    case 'h': seconds = n * 3600; break;
    case 'd': seconds = n * 86400; break;
    default: return "must be a duration such as 30s, 5m, 23h or 7d";
  }
  if (seconds <= 0) return "must be longer than zero";
  return {};
}

std::string check_window(std::string_view v) {
  auto hhmm = [](std::string_view t) {
    return t.size() == 5 && is_digit(t[0]) && is_digit(t[1]) && t[2] == ':' && is_digit(t[3]) && is_digit(t[4]) &&
           (t[0] - '0') * 10 + (t[1] - '0') < 24 && (t[3] - '0') * 10 + (t[4] - '0') < 60;
  };
  if (v.size() != 11 || v[5] != '-' || !hhmm(v.substr(0, 5)) || !hhmm(v.substr(6, 5)))
    return "must be a time window such as 01:00-05:00 or 22:00-04:00";
  if (v.substr(0, 5) == v.substr(6, 5)) return "must not start and end at the same time";
  return {};
}

std::string check_text(std::string_view v, size_t max_len) {
  if (v.size() > max_len) return fmt::format("must be at most {} bytes", max_len);
  if (!is_valid_utf8(v)) return "is not valid UTF-8";
  for (char c : v)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) return "must not contain control characters";
  return {};
}

std::string shown(std::string_view value) {
  std::string out = "'";
  size_t n = 0;
  for (char c : value) {
    if (++n > 80) {
      out += "...";
      break;
    }
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f)
      out += fmt::format("\\x{:02x}", u);
    else
      out += c;
  }
  return out + "'";
}

void require(const std::string& problem, std::string_view field, std::string_view value) {
  if (!problem.empty()) throw Error(ErrorKind::Usage, fmt::format("invalid {} {}: {}", field, shown(value), problem));
}

}  // namespace hostctl::model
