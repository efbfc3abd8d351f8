#pragma once

namespace hostctl::cli {

// The whole program: parse, dispatch, render, map errors to exit codes.
int main(int argc, char** argv);

}  // namespace hostctl::cli
