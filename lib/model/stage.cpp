#include "model/stage.hpp"

#include <fmt/format.h>

#include <array>
#include <utility>

#include "core/error.hpp"

namespace hostctl::model {
namespace {

constexpr std::array<std::pair<Stage, std::string_view>, 5> kNames = {{{Stage::Provision, "provision"},
                                                                      {Stage::Allocate, "allocate"},
                                                                      {Stage::Lock, "lock"},
                                                                      {Stage::Archive, "archive"},
                                                                      {Stage::Removed, "removed"}}};

}  // namespace

std::string_view stage_name(Stage stage) {
  for (const auto& [s, name] : kNames)
    if (s == stage) return name;
  return "unknown";
}

std::optional<Stage> parse_stage(std::string_view name) {
  for (const auto& [s, n] : kNames)
    if (n == name) return s;
  return std::nullopt;
}

Stage stored_stage(std::string_view name) {
  if (auto s = parse_stage(name)) return *s;
  throw Error(ErrorKind::Internal, fmt::format("the catalog holds an unknown deployment stage '{}'", name),
              "'hostctl doctor' checks the catalog");
}

}  // namespace hostctl::model
