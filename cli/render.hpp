// Turns a handler's data into text for stdout: table, json, yaml, tsv, id,
// or the bare value of one --field.
#pragma once

#include <string>

#include "command.hpp"

namespace hostctl::cli {

struct RenderOptions {
  std::string format = "table";
  std::string field;   // --field NAME: bare values of that field only
  int width = 0;       // terminal width for tables; 0: unlimited
};

std::string render(const Output& output, const RenderOptions& options);

}  // namespace hostctl::cli
