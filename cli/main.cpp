#include "app.hpp"

int main(int argc, char** argv) { return hostctl::cli::main(argc, argv); }
