#!/bin/sh
# The guestbook's every action: install writes the application and its tables;
# allocate and clone rewrite config.php for this copy (a clone's database is
# its own, copied by hostctl); routes keeps the site's public address in the
# database, as WordPress keeps its home URL; verify and stats count the entries.
set -eu
opts=$(mktemp)
trap 'rm -f "$opts"' EXIT
# The password reaches the client in a file only this user reads, not in argv.
printf '[client]\nuser=%s\npassword=%s\nhost=%s\nport=%s\ndatabase=%s\n' "$HOSTCTL_DB_USER" \
  "$HOSTCTL_DB_PASSWORD" "$HOSTCTL_DB_HOST" "$HOSTCTL_DB_PORT" "$HOSTCTL_DB_NAME" > "$opts"
sql() { mariadb --defaults-extra-file="$opts" --batch --skip-column-names "$@"; }

write_config() {
  umask 077
  cat > "$HOSTCTL_ROOT/config.php.tmp" <<PHP
<?php
return ['title' => '${HOSTCTL_PARAM_TITLE:-Guestbook}', 'site' => '${HOSTCTL_SITE:-unallocated}',
        'db' => ['host' => '$HOSTCTL_DB_HOST', 'port' => $HOSTCTL_DB_PORT, 'name' => '$HOSTCTL_DB_NAME',
                 'user' => '$HOSTCTL_DB_USER', 'password' => '$HOSTCTL_DB_PASSWORD']];
PHP
  mv "$HOSTCTL_ROOT/config.php.tmp" "$HOSTCTL_ROOT/config.php"
  umask 022
}

write_app() {
  mkdir -p "$HOSTCTL_ROOT/public"
  chmod 755 "$HOSTCTL_ROOT" "$HOSTCTL_ROOT/public"
  cat > "$HOSTCTL_ROOT/public/index.php" <<'PHP'
<?php
// Every path comes here: GET lists the entries, POST adds one, /health checks the database.
$config = require __DIR__ . '/../config.php';
$db = $config['db'];
mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
try {
    $link = new mysqli($db['host'], $db['user'], $db['password'], $db['name'], $db['port']);
} catch (mysqli_sql_exception $e) {
    http_response_code(503);
    echo "database unavailable\n";
    return;
}
$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH);
if ($path === '/health') {
    header('Content-Type: text/plain');
    echo $link->query('SELECT 1')->fetch_row()[0] === '1' ? "ok\n" : "bad\n";
    return;
}
if (($_SERVER['REQUEST_METHOD'] ?? 'GET') === 'POST') {
    $body = substr(trim((string) ($_POST['body'] ?? '')), 0, 2000);
    if ($body === '') { http_response_code(400); echo "empty entry\n"; return; }
    $st = $link->prepare('INSERT INTO entries(body) VALUES (?)');
    $st->bind_param('s', $body);
    $st->execute();
    http_response_code(201);
    echo "added\n";
    return;
}
$h = fn($s) => htmlspecialchars((string) $s, ENT_QUOTES);
header('Content-Type: text/html; charset=utf-8');
echo "<!doctype html>\n<title>{$h($config['title'])}</title>\n<h1>{$h($config['title'])}</h1>\n";
$home = $link->query("SELECT value FROM options WHERE name = 'home'")->fetch_row()[0] ?? '';
echo "<p>site: {$h($config['site'])}</p>\n<p>database: {$h($db['name'])}</p>\n<p>home: {$h($home)}</p>\n<ul>\n";
foreach ($link->query('SELECT body FROM entries ORDER BY id') as $row) echo "<li>{$h($row['body'])}</li>\n";
echo "</ul>\n";
PHP
}

case "$HOSTCTL_ACTION" in
  install)
    write_app
    write_config
    sql -e 'CREATE TABLE IF NOT EXISTS entries (id INT AUTO_INCREMENT PRIMARY KEY, body TEXT NOT NULL,
            created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
            CREATE TABLE IF NOT EXISTS options (name VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL)'
    ;;
  routes)
    # The public addresses are validated domain names: no quote can be in them.
    sql -e "REPLACE INTO options VALUES ('home', '$HOSTCTL_PRIMARY_URL'), ('routes', '$HOSTCTL_ROUTES')"
    echo "home is now ${HOSTCTL_PRIMARY_URL:-(none)}"
    ;;
  upgrade)
    # A new version's schema update, run on the upgrade's copy before the switch.
    sql -e "CREATE TABLE IF NOT EXISTS options (name VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL);
            REPLACE INTO options VALUES ('schema', '$HOSTCTL_SERVICE_VERSION')"
    ;;
  allocate) write_config ;;
  clone)
    mkdir -p "$HOSTCTL_ROOT"
    cp -a "$HOSTCTL_SOURCE_ROOT/public" "$HOSTCTL_ROOT/"
    write_config
    ;;
  verify)
    test -s "$HOSTCTL_ROOT/public/index.php" && test -s "$HOSTCTL_ROOT/config.php"
    echo "@hostctl set entries=$(sql -e 'SELECT count(*) FROM entries')"
    echo "@hostctl package guestbook 1.0"
    ;;
  stats)
    echo "@hostctl usage disk_bytes=$(du -sb "$HOSTCTL_ROOT" | cut -f1)"
    echo "@hostctl usage db_bytes=$(sql -e "SELECT coalesce(sum(data_length + index_length), 0)
      FROM information_schema.tables WHERE table_schema = '$HOSTCTL_DB_NAME'")"
    echo "@hostctl usage entries=$(sql -e 'SELECT count(*) FROM entries')"
    ;;
esac
