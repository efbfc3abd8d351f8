#include "core/library.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include "core/error.hpp"

namespace hostctl {

void* load_library(const char* soname, const char* package) {
  void* handle = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    throw Error(ErrorKind::Internal, fmt::format("cannot load {}: {}", soname, ::dlerror()),
                fmt::format("install Debian's {} package", package));
  return handle;
}

void* library_symbol(void* handle, const char* soname, const char* name) {
  void* symbol = ::dlsym(handle, name);
  if (!symbol) throw Error(ErrorKind::Internal, fmt::format("{} has no function {}", soname, name));
  return symbol;
}

}  // namespace hostctl
