// The stages of a deployment (docs/RULES.md), as a type: the catalog and the
// manifests store their names; code compares and passes Stage values.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hostctl::model {

enum class Stage { Provision, Allocate, Lock, Archive, Removed };

std::string_view stage_name(Stage stage);
// The stage of a name; nullopt for any other text (a manifest from elsewhere).
std::optional<Stage> parse_stage(std::string_view name);
// The stage the catalog holds: an unknown name there is a damaged catalog (Internal).
Stage stored_stage(std::string_view name);

}  // namespace hostctl::model
