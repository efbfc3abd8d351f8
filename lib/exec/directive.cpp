#include "exec/directive.hpp"

#include <regex>

#include "model/validate.hpp"

namespace hostctl::exec {

std::optional<Directive> parse_directive(std::string_view line, std::string& error) {
  error.clear();
  constexpr std::string_view prefix = "@hostctl ";
  if (line.substr(0, prefix.size()) != prefix) return std::nullopt;
  if (!model::is_valid_utf8(line)) {
    error = "a @hostctl directive must be valid UTF-8";
    return std::nullopt;
  }
  std::string rest(line.substr(prefix.size()));
  // Values reach the operator's terminal in tables: no control characters.
  static const std::regex set_re(R"(^set ([a-z][a-z0-9_.-]{0,63})=([^\x00-\x1f\x7f]{0,4096})$)");
  static const std::regex package_re(R"(^package ([A-Za-z0-9][A-Za-z0-9_.+:/-]{0,127}) ([A-Za-z0-9][A-Za-z0-9_.+:~-]{0,63})$)");
  static const std::regex usage_re(R"(^usage ([a-z][a-z0-9_.-]{0,63})=([0-9]{1,15}(\.[0-9]{1,6})?)$)");
  static const std::regex progress_re(R"(^progress ([0-9]{1,9})/([0-9]{1,9})$)");
  std::smatch m;
  if (std::regex_match(rest, m, set_re)) return Directive{Directive::Kind::Set, m[1], m[2]};
  if (std::regex_match(rest, m, package_re)) return Directive{Directive::Kind::Package, m[1], m[2]};
  if (std::regex_match(rest, m, usage_re)) return Directive{Directive::Kind::Usage, m[1], m[2]};
  if (std::regex_match(rest, m, progress_re)) {
    if (std::stoll(m[1]) > std::stoll(m[2])) {
      error = "progress N/M needs N <= M";
      return std::nullopt;
    }
    return Directive{Directive::Kind::Progress, "", std::string(m[1]) + "/" + std::string(m[2])};
  }
  error = "malformed @hostctl directive (expected set K=V, package NAME VERSION, usage METRIC=N or progress N/M)";
  return std::nullopt;
}

}  // namespace hostctl::exec
