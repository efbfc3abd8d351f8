// Turns a handler's data into text for stdout: table, json, yaml, tsv, id,
// or the bare value of one --field. A listing's rows are written as they come.
#pragma once

#include <cstdio>
#include <set>
#include <string>

#include "command.hpp"

namespace hostctl::cli {

struct RenderOptions {
  std::string format = "table";
  std::string field;   // --field NAME: bare values of that field only
  int width = 0;       // terminal width for tables; 0: unlimited
  bool color = false;  // status names in colour (a terminal, unless NO_COLOR or --no-color)
};

// Writes the output to `out`. A listing is written row by row and never held
// whole, except as a table, whose column widths need every row.
void render(const Output& output, const RenderOptions& options, std::FILE* out);
// The same text, as a string.
std::string render(const Output& output, const RenderOptions& options);

// Rows laid out in columns by display width (wide characters count twice); the
// columns in `right` are right-aligned (amounts). For reports that are not listings.
std::string table_text(const nlohmann::ordered_json& rows, const std::vector<std::string>& columns,
                       const std::set<std::string>& right = {});

// Display width of UTF-8 text in terminal cells (wcswidth, per character).
size_t display_width(std::string_view text);
// The text itself when it fits in `width` cells, else cut at a character and ended with "…".
std::string shorten(const std::string& text, size_t width);

}  // namespace hostctl::cli
