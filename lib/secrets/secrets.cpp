#include "secrets/secrets.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/statement.hpp"
#include <fmt/format.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/file.hpp"

namespace hostctl::secrets {
namespace {

constexpr std::string_view kPrefix = "sealed:";
using Key = std::array<unsigned char, crypto_secretbox_KEYBYTES>;

void init_sodium() {
  if (sodium_init() < 0) throw Error(ErrorKind::Internal, "libsodium could not be initialised");
}

std::string to_base64(const unsigned char* data, size_t size) {
  std::string out(sodium_base64_encoded_len(size, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::optional<std::vector<unsigned char>> from_base64(std::string_view text) {
  std::vector<unsigned char> out(text.size());
  size_t size = 0;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), " \n\r\t", &size, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0)
    return std::nullopt;
  out.resize(size);
  return out;
}

// Beside a SQLite catalog; for a PostgreSQL one, in this node's data directory
// and named after the server and database ("127.0.0.1_5432_hosting.key"):
// every node that shares the catalog needs the same key there.
std::string key_path(const catalog::Catalog& catalog) {
  if (catalog.engine() == catalog::Engine::SQLite) return catalog.location() + ".key";
  std::string where = catalog.location().substr(catalog.location().find("://") + 3);
  where = where.substr(where.find('@') == std::string::npos ? 0 : where.find('@') + 1);
  where = where.substr(0, where.find('?'));
  for (char& c : where)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') c = '_';
  const char* data = std::getenv("XDG_DATA_HOME");
  const char* home = std::getenv("HOME");
  std::string dir = data && *data ? std::string(data) : std::string(home ? home : "") + "/.local/share";
  return dir + "/hostctl/" + where + ".key";
}

Key parse_key(std::string_view text, const std::string& source) {
  auto bytes = from_base64(text);
  if (!bytes || bytes->size() != crypto_secretbox_KEYBYTES)
    throw Error(ErrorKind::Usage, fmt::format("the secret key in {} is not base64 of {} bytes", source,
                                              crypto_secretbox_KEYBYTES),
                "make one with 'openssl rand -base64 32'");
  Key key;
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

// Writes a key file once (O_EXCL, 0600); false when it already exists: two
// processes racing both end up with the winner's.
bool write_key_file(const std::string& path, const std::string& text) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return false;
    throw Error(ErrorKind::Internal, fmt::format("cannot create the secret key file {}: {}", path, strerror(errno)));
  }
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    throw Error(ErrorKind::Internal, fmt::format("cannot write the secret key file {}", path));
  }
  return true;
}

void create_key_file(const std::string& path) {
  Key key;
  randombytes_buf(key.data(), key.size());
  write_key_file(path, to_base64(key.data(), key.size()) + "\n");
}

Key read_key(const catalog::Catalog& catalog, bool create) {
  init_sodium();
  if (const char* env = std::getenv("HOSTCTL_SECRET_KEY"); env && *env) return parse_key(env, "HOSTCTL_SECRET_KEY");
  std::string path = key_path(catalog);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    // What a dry run seals is rolled back with it: a key of its own, no key file.
    if (catalog.dry_run()) {
      static const Key dry_run_key = [] {
        Key key;
        crypto_secretbox_keygen(key.data());
        return key;
      }();
      return dry_run_key;
    }
    if (!create)
      throw Error(ErrorKind::Refused,
                  fmt::format("the catalog holds secrets but their key is missing: no {} and no HOSTCTL_SECRET_KEY", path),
                  "put back the key file from where you keep it, or set HOSTCTL_SECRET_KEY");
    create_key_file(path);
    if (::stat(path.c_str(), &st) != 0)
      throw Error(ErrorKind::Internal, fmt::format("cannot read the secret key file {}", path));
  }
  // As ssh does with private keys: a key others can read protects nothing.
  if ((st.st_mode & 077) != 0)
    throw Error(ErrorKind::Refused, fmt::format("the secret key file {} is readable by others (mode {:o})", path,
                                                st.st_mode & 0777),
                fmt::format("chmod 600 {}", path));
  auto text = read_file(path);
  if (!text) throw Error(ErrorKind::Internal, fmt::format("cannot read the secret key file {}", path));
  return parse_key(*text, path);
}

}  // namespace

std::string key_source(const catalog::Catalog& catalog) {
  const char* env = std::getenv("HOSTCTL_SECRET_KEY");
  return env && *env ? "HOSTCTL_SECRET_KEY" : key_path(catalog);
}

std::string carry_key(const catalog::Catalog& from, const catalog::Catalog& to) {
  if (const char* env = std::getenv("HOSTCTL_SECRET_KEY"); env && *env) return "";
  std::string source = key_path(from), target = key_path(to);
  auto key = read_file(source);
  if (!key) return "";
  if (!write_key_file(target, *key) && read_file(target) != key)
    throw Error(ErrorKind::Refused,
                fmt::format("{} already holds another secret key than {}: the copied secrets would not open", target,
                            source),
                fmt::format("move {} away, or copy to another catalog", target));
  return target;
}

std::string seal(const catalog::Catalog& catalog, std::string_view value) {
  Key key = read_key(catalog, true);
  std::vector<unsigned char> box(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + value.size());
  randombytes_buf(box.data(), crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(box.data() + crypto_secretbox_NONCEBYTES, reinterpret_cast<const unsigned char*>(value.data()),
                        value.size(), box.data(), key.data());
  sodium_memzero(key.data(), key.size());
  return std::string(kPrefix) + to_base64(box.data(), box.size());
}

bool is_sealed(std::string_view text) { return text.starts_with(kPrefix); }

std::string unseal(const catalog::Catalog& catalog, std::string_view sealed) {
  auto box = is_sealed(sealed) ? from_base64(sealed.substr(kPrefix.size())) : std::nullopt;
  if (!box || box->size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
    throw Error(ErrorKind::Internal, "a sealed secret in the catalog is damaged");
  Key key = read_key(catalog, false);
  std::string value(box->size() - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  int rc = crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(value.data()),
                                      box->data() + crypto_secretbox_NONCEBYTES,
                                      box->size() - crypto_secretbox_NONCEBYTES, box->data(), key.data());
  sodium_memzero(key.data(), key.size());
  if (rc != 0)
    throw Error(ErrorKind::Refused,
                fmt::format("a secret in the catalog does not open with the key from {}: not the key it was sealed with",
                            key_source(catalog)),
                "use the key this catalog's secrets were made with");
  return value;
}

std::string generate_password() {
  init_sodium();
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out(24, '\0');
  for (auto& c : out) c = kAlphabet[randombytes_uniform(kAlphabet.size())];
  return out;
}

void store(catalog::Catalog& catalog, std::string_view owner, int64_t owner_id, const std::string& name,
           const std::string& value) {
  catalog::Statement st(catalog.db(),
                        "INSERT INTO secret(owner, owner_id, name, sealed, created_at) VALUES (?, ?, ?, ?, ?) "
                        "ON CONFLICT(owner, owner_id, name) DO UPDATE SET sealed = excluded.sealed, "
                        "created_at = excluded.created_at");
  st.bind(1, std::string(owner));
  st.bind(2, owner_id);
  st.bind(3, name);
  st.bind(4, seal(catalog, value));
  st.bind(5, now_utc());
  st.exec();
}

std::optional<std::string> load(catalog::Catalog& catalog, std::string_view owner, int64_t owner_id,
                                const std::string& name) {
  catalog::Statement q(catalog.db(), "SELECT sealed FROM secret WHERE owner = ? AND owner_id = ? AND name = ?");
  q.bind(1, std::string(owner));
  q.bind(2, owner_id);
  q.bind(3, name);
  if (!q.executeStep()) return std::nullopt;
  std::string sealed = q.getColumn(0).getString();
  q.reset();
  return unseal(catalog, sealed);
}

std::vector<std::string> names(catalog::Catalog& catalog, std::string_view owner, int64_t owner_id) {
  catalog::Statement q(catalog.db(), "SELECT name FROM secret WHERE owner = ? AND owner_id = ? ORDER BY name");
  q.bind(1, std::string(owner));
  q.bind(2, owner_id);
  std::vector<std::string> out;
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}

void forget(catalog::Catalog& catalog, std::string_view owner, int64_t owner_id) {
  catalog::Statement st(catalog.db(), "DELETE FROM secret WHERE owner = ? AND owner_id = ?");
  st.bind(1, std::string(owner));
  st.bind(2, owner_id);
  st.exec();
}

std::string read_password(const std::string& source, const std::string& what) {
  std::string line;
  if (source == "-") {
    std::getline(std::cin, line);
  } else {
    auto text = read_file(source);
    if (!text) throw Error(ErrorKind::Usage, fmt::format("cannot read {} from {}", what, source));
    line = text->substr(0, text->find('\n'));
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) throw Error(ErrorKind::Usage, fmt::format("{} is empty", what));
  return line;
}

}  // namespace hostctl::secrets
