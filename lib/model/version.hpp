// Comparing package versions the way dpkg does, closely enough for "which
// sites run module X below version Y": runs of digits compare as numbers,
// other runs character by character, '~' sorts before everything.
#pragma once

#include <string_view>

namespace hostctl::model {

// <0, 0 or >0 as a is older than, the same as, or newer than b.
int compare_versions(std::string_view a, std::string_view b);

}  // namespace hostctl::model
