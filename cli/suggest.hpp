// "Did you mean": the known word closest to a misspelt one (git's habit).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace hostctl::cli {

// The closest of `known` to `word` by edit distance, when it is close enough
// to be a typo (at most 2 edits, or a third of the word's length).
std::optional<std::string> nearest(const std::string& word, const std::vector<std::string>& known);

}  // namespace hostctl::cli
