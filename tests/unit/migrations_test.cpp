#include <SQLiteCpp/SQLiteCpp.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>

#include <catch2/catch.hpp>

#include "catalog/catalog.hpp"
#include "catalog/migrations.hpp"
#include "core/error.hpp"
#include "temp_dir.hpp"

using namespace hostctl::catalog;

namespace {

// A catalog file as an older hostctl left it: migrations up to `version` only.
void make_old_catalog(const std::filesystem::path& path, int version) {
  SQLite::Database db(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  for (const Migration& m : migrations()) {
    if (m.version > version) break;
    db.exec(m.sql);
    db.exec("PRAGMA user_version = " + std::to_string(m.version));
  }
  db.exec("INSERT INTO host(name, transport, created_at) VALUES ('keep-me', 'local', '2026-01-01T00:00:00Z')");
}

const Actor kActor{"tester", "[]"};

}  // namespace

TEST_CASE("migrations are numbered 1, 2, 3... without gaps") {
  int expected = 1;
  for (const Migration& m : migrations()) CHECK(m.version == expected++);
  CHECK(latest_version() == static_cast<int>(migrations().size()));
}

TEST_CASE("init creates a private WAL catalog at the latest version") {
  TempDir dir;
  auto path = dir.path / "sub" / "catalog.db";
  auto report = Catalog::init(path, kActor);
  CHECK(report.created);
  CHECK(report.to_version == latest_version());
  struct stat st{};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto catalog = Catalog::open(path, kActor);
  CHECK(catalog->schema_version() == latest_version());
  CHECK(catalog->db().execAndGet("PRAGMA journal_mode").getString() == "wal");
  CHECK(catalog->db().execAndGet("PRAGMA foreign_keys").getInt() == 1);
  CHECK(catalog->integrity_problems().empty());
  // A second init changes nothing.
  auto again = Catalog::init(path, kActor);
  CHECK_FALSE(again.created);
  CHECK(again.from_version == again.to_version);
  CHECK(again.backup_path.empty());
}

TEST_CASE("every earlier schema version upgrades, keeping data and a copy of the old file") {
  for (int from = 1; from < latest_version(); ++from) {
    DYNAMIC_SECTION("from version " << from) {
      TempDir dir;
      auto path = dir.path / "catalog.db";
      make_old_catalog(path, from);
      CHECK_THROWS_AS(Catalog::open(path, kActor), hostctl::Error);  // refused until upgraded
      auto report = Catalog::init(path, kActor);
      CHECK(report.from_version == from);
      CHECK(report.to_version == latest_version());
      REQUIRE(std::filesystem::exists(report.backup_path));
      SQLite::Database backup(report.backup_path);
      CHECK(backup.execAndGet("PRAGMA user_version").getInt() == from);
      auto catalog = Catalog::open(path, kActor);
      CHECK(catalog->db().execAndGet("SELECT count(*) FROM host WHERE name = 'keep-me'").getInt() == 1);
      CHECK(catalog->integrity_problems().empty());
    }
  }
}

TEST_CASE("a catalog newer than this hostctl is refused") {
  TempDir dir;
  auto path = dir.path / "catalog.db";
  Catalog::init(path, kActor);
  {
    SQLite::Database db(path.string(), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA user_version = 999");
  }
  try {
    Catalog::open(path, kActor);
    FAIL("opened");
  } catch (const hostctl::Error& e) {
    CHECK(e.kind() == hostctl::ErrorKind::Refused);
  }
}

TEST_CASE("writes are audited, and dry-run writes leave nothing behind") {
  TempDir dir;
  auto path = dir.path / "catalog.db";
  Catalog::init(path, kActor);
  auto catalog = Catalog::open(path, {"alice", "[\"hostctl\",\"x\"]"});
  auto audits = [&] { return catalog->db().execAndGet("SELECT count(*) FROM audit").getInt(); };
  int before = audits();
  {
    Write w(*catalog, "client add x");
    catalog->db().exec("INSERT INTO client(name, created_at) VALUES ('x', 'now')");
    w.commit();
  }
  CHECK(audits() == before + 1);
  CHECK(catalog->db().execAndGet("SELECT actor FROM audit ORDER BY id DESC LIMIT 1").getString() == "alice");
  catalog->set_dry_run(true);
  {
    Write w(*catalog, "client add y");
    catalog->db().exec("INSERT INTO client(name, created_at) VALUES ('y', 'now')");
    w.commit();
  }
  // Within the dry run its later steps see the write; it is noted, not audited.
  CHECK(catalog->db().execAndGet("SELECT count(*) FROM client WHERE name = 'y'").getInt() == 1);
  CHECK(audits() == before + 1);
  CHECK(catalog->dry_run_changes() == std::vector<std::string>{"client add y"});
  {
    Write w(*catalog, "abandoned");
    catalog->db().exec("INSERT INTO client(name, created_at) VALUES ('z', 'now')");
  }
  CHECK(catalog->db().execAndGet("SELECT count(*) FROM client WHERE name = 'z'").getInt() == 0);
  // And when the command ends, nothing is left.
  catalog.reset();
  auto after = Catalog::open(path, kActor);
  CHECK(after->db().execAndGet("SELECT count(*) FROM client WHERE name IN ('y', 'z')").getInt() == 0);
  CHECK(after->db().execAndGet("SELECT count(*) FROM audit").getInt() == before + 1);
}

TEST_CASE("tables() lists every table of the schema, each after the tables it refers to") {
  TempDir dir;
  auto path = dir.path / "catalog.db";
  Catalog::init(path, kActor);
  SQLite::Database db(path.string());
  std::set<std::string> schema;
  SQLite::Statement all(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
  while (all.executeStep()) schema.insert(all.getColumn(0).getString());
  const auto& listed = tables();
  CHECK(std::set<std::string>(listed.begin(), listed.end()) == schema);
  for (size_t i = 0; i < listed.size(); ++i) {
    SQLite::Statement refs(db, "SELECT \"table\" FROM pragma_foreign_key_list(?)");
    refs.bind(1, listed[i]);
    while (refs.executeStep()) {
      std::string parent = refs.getColumn(0).getString();
      INFO(listed[i] << " refers to " << parent);
      CHECK(std::find(listed.begin(), listed.begin() + static_cast<long>(i) + 1, parent) != listed.begin() + static_cast<long>(i) + 1);
    }
  }
}

TEST_CASE("a catalog URI's password is masked when shown, and refused on the command line") {
  CHECK(shown_location("postgresql://ops:s3cret@db1:5432/hosting") == "postgresql://ops:***@db1:5432/hosting");
  CHECK(shown_location("postgres://ops@db1/hosting?sslmode=require&password=s3cret&connect_timeout=5") ==
        "postgres://ops@db1/hosting?sslmode=require&password=***&connect_timeout=5");
  CHECK(shown_location("/var/lib/a:b@c/catalog.db") == "/var/lib/a:b@c/catalog.db");
  for (const char* given : {"postgresql://ops:s3cret@db1/hosting", "postgresql://ops@db1/hosting?password=s3cret"}) {
    try {
      refuse_password_on_command_line(given, "--catalog");
      FAIL("accepted " << given);
    } catch (const hostctl::Error& e) {
      CHECK(e.kind() == hostctl::ErrorKind::Usage);
      CHECK(std::string(e.what()).find("s3cret") == std::string::npos);
    }
  }
  CHECK_NOTHROW(refuse_password_on_command_line("postgresql://ops@db1:5432/hosting", "--catalog"));
  CHECK_NOTHROW(refuse_password_on_command_line("/var/lib/a:b@c/catalog.db", "--catalog"));
}
