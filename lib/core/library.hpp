// Shared libraries loaded on first use (libssh, libcurl): they bring libcrypto
// and more with them, milliseconds of dynamic loading that most commands, which
// never open a connection, should not pay on every start.
#pragma once

#include <string>

namespace hostctl {

// dlopen(soname); an Internal error naming the Debian package when it is missing.
void* load_library(const char* soname, const char* package);
// dlsym(handle, name); an Internal error when the library lacks it.
void* library_symbol(void* handle, const char* soname, const char* name);

}  // namespace hostctl
