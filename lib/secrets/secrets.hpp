// Secrets: passwords hostctl generates (a deployment's database password) or
// is given once (a database server's admin password). The catalog holds them
// sealed with libsodium's secretbox under a key that is not in the catalog:
// HOSTCTL_SECRET_KEY (base64 of 32 bytes), else a file beside the catalog
// (CATALOG.key, mode 0600), made on first use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.hpp"

namespace hostctl::secrets {

// Where the key of this catalog is read from: "HOSTCTL_SECRET_KEY" or the file's path.
std::string key_source(const catalog::Catalog& catalog);

// Gives catalog `to` the key of catalog `from`, whose sealed rows it received:
// the key file written for `to` (0600), or found there already; "" when none
// is needed (HOSTCTL_SECRET_KEY, or `from` has no key file). Refused when `to`
// has another key.
std::string carry_key(const catalog::Catalog& from, const catalog::Catalog& to);

// "sealed:" text that only the catalog's key opens; never the value itself.
std::string seal(const catalog::Catalog& catalog, std::string_view value);
bool is_sealed(std::string_view text);
// Refused when the key is missing or is not the one the value was sealed with.
std::string unseal(const catalog::Catalog& catalog, std::string_view sealed);

// 24 random letters and digits: safe in SQL, option files and URLs.
std::string generate_password();

// Owners: "host" (a database server's admin password) or "deployment".
// store() and forget() write: call them inside a catalog::Write.
void store(catalog::Catalog& catalog, std::string_view owner, int64_t owner_id, const std::string& name,
           const std::string& value);
std::optional<std::string> load(catalog::Catalog& catalog, std::string_view owner, int64_t owner_id,
                                const std::string& name);
std::vector<std::string> names(catalog::Catalog& catalog, std::string_view owner, int64_t owner_id);
void forget(catalog::Catalog& catalog, std::string_view owner, int64_t owner_id);

// A password read for an operator from a file or from stdin ("-"): its first
// line, never from the command line. Usage error when empty or unreadable.
std::string read_password(const std::string& source, const std::string& what);

}  // namespace hostctl::secrets
