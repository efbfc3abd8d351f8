#include <clocale>
#include <cstdlib>

#include "app.hpp"

int main(int argc, char** argv) {
  // Column widths count terminal cells of UTF-8 text (wcwidth), whatever the
  // user's locale: the catalog holds UTF-8.
  if (!std::setlocale(LC_CTYPE, "") || MB_CUR_MAX == 1) std::setlocale(LC_CTYPE, "C.UTF-8");
  return hostctl::cli::main(argc, argv);
}
