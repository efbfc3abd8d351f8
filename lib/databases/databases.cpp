#include "databases/databases.hpp"

#include "catalog/statement.hpp"
#include <fmt/format.h>

#include <cctype>

#include "core/error.hpp"
#include "secrets/secrets.hpp"

namespace hostctl::databases {
namespace {

// Every step starts here: the admin's option file (the wrapper's umask is 077)
// and the client functions. The password is written by printf, a shell
// builtin, so it is never an argument of a process.
constexpr const char* kClient = R"sh(set -u
fail() { echo "$*" >&2; exit 3; }
command -v mariadb >/dev/null 2>&1 || fail "host $HOSTCTL_HOST has no mariadb client (Debian package mariadb-client)"
opts=$(mktemp) || exit 3
trap 'rm -f "$opts"' EXIT
quoted() { printf '%s' "$1" | sed 's/[\\"]/\\&/g'; }
printf '[client]\nuser="%s"\npassword="%s"\nhost=%s\nport=%s\n' "$(quoted "$HOSTCTL_DB_ADMIN_USER")" \
  "$(quoted "$HOSTCTL_DB_ADMIN_PASSWORD")" "$HOSTCTL_DB_HOST" "$HOSTCTL_DB_PORT" > "$opts" || exit 3
sql() { mariadb --defaults-extra-file="$opts" --batch --skip-column-names "$@"; }
dump() { mariadb-dump --defaults-extra-file="$opts" --single-transaction --routines --triggers --events "$@"; }
sql -e 'SELECT 1' >/dev/null ||
  fail "cannot reach $HOSTCTL_DB_ENGINE on $HOSTCTL_DB_HOST:$HOSTCTL_DB_PORT as $HOSTCTL_DB_ADMIN_USER"
)sh";

// The database and its user, granted on it alone. Safe to run again (a retry).
constexpr const char* kCreate = R"sh(
sql <<SQL || fail "could not create database $HOSTCTL_DB_NAME"
CREATE DATABASE IF NOT EXISTS \`$HOSTCTL_DB_NAME\` CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS '$HOSTCTL_DB_USER'@'%' IDENTIFIED BY '$HOSTCTL_DB_PASSWORD';
ALTER USER '$HOSTCTL_DB_USER'@'%' IDENTIFIED BY '$HOSTCTL_DB_PASSWORD';
GRANT ALL PRIVILEGES ON \`$HOSTCTL_DB_NAME\`.* TO '$HOSTCTL_DB_USER'@'%';
SQL
echo "database $HOSTCTL_DB_NAME ready on $HOSTCTL_HOST"
)sh";

constexpr const char* kDrop = R"sh(
sql <<SQL || fail "could not drop database $HOSTCTL_DB_NAME"
DROP DATABASE IF EXISTS \`$HOSTCTL_DB_NAME\`;
DROP USER IF EXISTS '$HOSTCTL_DB_USER'@'%';
SQL
echo "database $HOSTCTL_DB_NAME dropped on $HOSTCTL_HOST"
)sh";

// Empties the database (the grant on it stays), so a load or a copy that is
// run again starts from nothing rather than on top of half a copy.
constexpr const char* kEmpty = R"sh(
sql -e "DROP DATABASE IF EXISTS \`$HOSTCTL_DB_NAME\`; CREATE DATABASE \`$HOSTCTL_DB_NAME\` CHARACTER SET utf8mb4" ||
  fail "could not empty database $HOSTCTL_DB_NAME"
)sh";

constexpr const char* kCopyHere = R"sh(
dump "$HOSTCTL_SOURCE_DB_NAME" | sql "$HOSTCTL_DB_NAME" || fail "could not copy $HOSTCTL_SOURCE_DB_NAME into $HOSTCTL_DB_NAME"
echo "copied database $HOSTCTL_SOURCE_DB_NAME into $HOSTCTL_DB_NAME"
)sh";

constexpr const char* kDumpToFile = R"sh(
mkdir -p "$(dirname "$HOSTCTL_DB_FILE")" || exit 3
dump "$HOSTCTL_DB_NAME" > "$HOSTCTL_DB_FILE.part" || fail "could not dump $HOSTCTL_DB_NAME"
mv "$HOSTCTL_DB_FILE.part" "$HOSTCTL_DB_FILE" || exit 3
echo "dumped $HOSTCTL_DB_NAME: $(wc -c < "$HOSTCTL_DB_FILE") bytes"
)sh";

constexpr const char* kLoadFile = R"sh(
sql "$HOSTCTL_DB_NAME" < "$HOSTCTL_DB_FILE" || fail "could not load the dump into $HOSTCTL_DB_NAME"
rm -f "$HOSTCTL_DB_FILE"
echo "loaded $HOSTCTL_DB_NAME"
)sh";

// A locked deployment's database refuses its writes (the grant is checked on
// each new connection: PHP connects per request). One REVOKE of every privilege
// but SELECT and SHOW VIEW: revoking all and granting SELECT back left a
// moment with no grant at all, in which a page failed to connect (HTTP 500).
constexpr const char* kReadOnly = R"sh(
sql <<SQL || fail "could not make database $HOSTCTL_DB_NAME read-only"
REVOKE INSERT, UPDATE, DELETE, CREATE, DROP, REFERENCES, INDEX, ALTER, CREATE TEMPORARY TABLES, LOCK TABLES,
  EXECUTE, CREATE VIEW, CREATE ROUTINE, ALTER ROUTINE, EVENT, TRIGGER, DELETE HISTORY
  ON \`$HOSTCTL_DB_NAME\`.* FROM '$HOSTCTL_DB_USER'@'%';
SQL
echo "database $HOSTCTL_DB_NAME is read-only"
)sh";

constexpr const char* kWritable = R"sh(
sql -e "GRANT ALL PRIVILEGES ON \`$HOSTCTL_DB_NAME\`.* TO '$HOSTCTL_DB_USER'@'%'" ||
  fail "could not make database $HOSTCTL_DB_NAME writable"
echo "database $HOSTCTL_DB_NAME is writable"
)sh";

constexpr const char* kRemoveFile = R"sh(set -u
rm -f "$HOSTCTL_DB_FILE"
)sh";

constexpr const char* kList = R"sh(
names=$(sql -e "SHOW DATABASES LIKE 'hc\\_%'" | tr '\n' ' ') || fail "could not list databases"
echo "@hostctl set databases=$names"
)sh";

run::TaskSpec on(const model::Host& h, int lane, const std::string& name, std::string script, run::Env env) {
  run::TaskSpec t;
  t.lane = lane;
  t.host_id = h.id;
  t.host_name = h.name;
  t.name = name;
  t.script = std::move(script);
  t.timeout = 1800;
  t.env = std::move(env);
  return t;
}

std::string admin_password(catalog::Catalog& catalog, const model::Host& server) {
  auto password = secrets::load(catalog, "host", server.id, model::kDbAdminPassword);
  if (!password)
    throw Error(ErrorKind::Refused, fmt::format("database server '{}' has no admin password", server.name),
                fmt::format("hostctl host edit {} --db-admin-password-file -", server.name));
  return *password;
}

// What an admin step on `db.server` gets, with `extra` variables.
run::TaskSpec admin_step(catalog::Catalog& catalog, const Placement& db, int lane, const std::string& name,
                         const std::string& body, const run::Env& extra = {}) {
  run::Env env = application_env(db);
  env.emplace_back("HOSTCTL_HOST", db.server.name);
  env.emplace_back("HOSTCTL_DB_ENGINE", db.server.db_engine);
  env.emplace_back("HOSTCTL_DB_ADMIN_USER", db.server.db_admin_user);
  env.emplace_back("HOSTCTL_DB_ADMIN_PASSWORD", admin_password(catalog, db.server));
  env.emplace_back(run::kSecretsVariable, "HOSTCTL_DB_PASSWORD HOSTCTL_DB_ADMIN_PASSWORD");
  env.insert(env.end(), extra.begin(), extra.end());
  return on(db.server, lane, name, kClient + body, std::move(env));
}

// The step, once `path` on host `from` is copied to `to` on its own host (through hostctl's sessions).
run::TaskSpec after_copy(run::TaskSpec step, const model::Host& from, const std::string& path, const std::string& to) {
  step.copy_host_id = from.id;
  step.copy_from = path;
  step.copy_to = to;
  return step;
}

// A dump's place on the database server, beside its deployments (where a copy can land).
std::string dump_path(const model::Host& server, const std::string& database) {
  return fmt::format("{}/.hostctl-{}.sql", server.base_dir, database);
}

// Dumps `db` on its server (as `key`.sql), hands the dump to `receive`, a
// step on another host that gets it at `to` first, then removes it there.
std::vector<run::TaskSpec> dump_into(catalog::Catalog& catalog, const Placement& db, const std::string& key,
                                     run::TaskSpec receive, const std::string& to, int lane) {
  std::string file = dump_path(db.server, key);
  return {admin_step(catalog, db, lane, "database/dump", kDumpToFile, {{"HOSTCTL_DB_FILE", file}}),
          after_copy(std::move(receive), db.server, file, to),
          on(db.server, lane, "database/cleanup", kRemoveFile, {{"HOSTCTL_DB_FILE", file}})};
}

}  // namespace

std::string database_name(const std::string& deployment_name) {
  std::string out = "hc_";
  for (char c : deployment_name) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out.substr(0, 64);
}

model::Host choose_server(catalog::Catalog& catalog, const std::string& engine, const std::string& service) {
  catalog::Statement q(catalog.db(),
                       "SELECT id FROM (SELECT h.id, h.name, h.capacity, (SELECT count(*) FROM deployment d "
                       "WHERE d.db_host_id = h.id AND d.stage != 'removed') AS load FROM host h WHERE "
                       "h.db_engine = ?) servers WHERE load < capacity ORDER BY load, name LIMIT 1");
  q.bind(1, engine);
  if (!q.executeStep())
    throw Error(ErrorKind::Refused,
                fmt::format("no database server runs {} with room for service '{}'", engine, service),
                fmt::format("hostctl host add NAME --role db --db-engine {} --db-admin-user USER "
                            "--db-admin-password-file -", engine));
  int64_t id = q.getColumn(0).getInt64();
  q.reset();
  return model::get_host(catalog, std::to_string(id));
}

model::Host named_server(catalog::Catalog& catalog, const std::string& engine, const std::string& ref) {
  auto host = model::get_host(catalog, ref);
  if (host.db_engine != engine)
    throw Error(ErrorKind::Refused, fmt::format("host '{}' is not a {} database server", host.name, engine),
                fmt::format("hostctl host edit {} --role db --db-engine {} ...", host.name, engine));
  catalog::Statement q(catalog.db(), "SELECT count(*) FROM deployment WHERE db_host_id = ? AND stage != 'removed'");
  q.bind(1, host.id);
  q.executeStep();
  if (q.getColumn(0).getInt64() >= host.capacity)
    throw Error(ErrorKind::Refused, fmt::format("database server '{}' is full ({} databases)", host.name, host.capacity));
  return host;
}

run::Env application_env(const Placement& db) {
  return {{"HOSTCTL_DB_HOST", db.server.address.empty() ? "127.0.0.1" : db.server.address},
          {"HOSTCTL_DB_PORT", std::to_string(db.server.db_port)},
          {"HOSTCTL_DB_NAME", db.name},
          {"HOSTCTL_DB_USER", db.name},
          {"HOSTCTL_DB_PASSWORD", db.password}};
}

run::TaskSpec create_step(catalog::Catalog& catalog, const Placement& db, int lane) {
  return admin_step(catalog, db, lane, "database/create", kCreate);
}

run::TaskSpec drop_step(catalog::Catalog& catalog, const Placement& db, int lane) {
  return admin_step(catalog, db, lane, "database/drop", kDrop);
}

std::vector<run::TaskSpec> copy_steps(catalog::Catalog& catalog, const Placement& from, const Placement& to,
                                      int lane) {
  if (from.server.id == to.server.id)
    return {admin_step(catalog, to, lane, "database/copy", std::string(kEmpty) + kCopyHere,
                       {{"HOSTCTL_SOURCE_DB_NAME", from.name}})};
  std::string there = dump_path(to.server, to.name);
  return dump_into(catalog, from, to.name,
                   admin_step(catalog, to, lane, "database/load", std::string(kEmpty) + kLoadFile,
                              {{"HOSTCTL_DB_FILE", there}}),
                   there, lane);
}

std::vector<run::TaskSpec> dump_steps(catalog::Catalog& catalog, const Placement& db, const model::Host& into,
                                      const std::string& file, int lane) {
  return dump_into(catalog, db, db.name,
                   on(into, lane, "database/fetch", "set -u\necho \"the database dump is in $HOSTCTL_DB_FILE\"\n",
                      {{"HOSTCTL_DB_FILE", file}}),
                   file, lane);
}

std::vector<run::TaskSpec> load_steps(catalog::Catalog& catalog, const Placement& db, const model::Host& from,
                                      const std::string& file, int lane) {
  std::string on_server = dump_path(db.server, db.name);
  return {after_copy(admin_step(catalog, db, lane, "database/load", std::string(kEmpty) + kLoadFile,
                                {{"HOSTCTL_DB_FILE", on_server}}),
                     from, file, on_server),
          on(from, lane, "database/cleanup", kRemoveFile, {{"HOSTCTL_DB_FILE", file}})};
}

run::TaskSpec access_step(catalog::Catalog& catalog, const Placement& db, bool writable, int lane) {
  return admin_step(catalog, db, lane, writable ? "database/writable" : "database/read-only",
                    writable ? kWritable : kReadOnly);
}

run::TaskSpec list_step(catalog::Catalog& catalog, const model::Host& server, int lane) {
  return admin_step(catalog, {server, "", ""}, lane, "database/list", kList);
}

}  // namespace hostctl::databases
