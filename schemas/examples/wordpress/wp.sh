#!/bin/sh
# The WordPress plan's actions. hostctl gives the database (HOSTCTL_DB_*), the
# site's addresses (HOSTCTL_PRIMARY_URL) and the parameters in the
# environment; WordPress itself is driven with `php` (no wp-cli in Debian).
set -eu
core=${WORDPRESS_CORE:-/usr/share/wordpress}
pub=$HOSTCTL_ROOT/public
command -v php >/dev/null || { echo "host $HOSTCTL_HOST has no php (Debian package php-cli)" >&2; exit 3; }

# Runs PHP (stdin) inside this copy's WordPress; values come from the environment.
# The compiled WordPress is cached on disk per host user (opcache's file
# cache), so an action does not compile the whole core again: most of what a
# short action costs.
wp() {
  cache=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/hostctl-php-opcache
  if mkdir -p "$cache" 2>/dev/null; then
    set -- -d opcache.enable_cli=1 -d opcache.file_cache="$cache" -d opcache.file_cache_only=1 -- "$@"
  else
    set -- -- "$@"
  fi
  php -d display_errors=stderr -d memory_limit=256M "$@"
}
boot='<?php
$_SERVER["HTTP_HOST"] = parse_url(getenv("HOSTCTL_PRIMARY_URL") ?: "http://localhost", PHP_URL_HOST) ?: "localhost";
$_SERVER["REQUEST_URI"] = "/";
'

write_config() {
  salts=""
  for k in AUTH_KEY SECURE_AUTH_KEY LOGGED_IN_KEY NONCE_KEY AUTH_SALT SECURE_AUTH_SALT LOGGED_IN_SALT NONCE_SALT; do
    salts="$salts define('$k', '$(head -c 48 /dev/urandom | base64 | tr -d '\n')');
"
  done
  umask 077
  cat > "$pub/wp-config.php.tmp" <<PHP
<?php
// This copy's configuration, written by hostctl's wordpress plan: its own
// database (the password is generated and kept sealed by hostctl).
define('DB_NAME', '$HOSTCTL_DB_NAME');
define('DB_USER', '$HOSTCTL_DB_USER');
define('DB_PASSWORD', '$HOSTCTL_DB_PASSWORD');
define('DB_HOST', '$HOSTCTL_DB_HOST:$HOSTCTL_DB_PORT');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
$salts
\$table_prefix = 'wp_';
define('WP_CONTENT_DIR', __DIR__ . '/wp-content');
define('AUTOMATIC_UPDATER_DISABLED', true);
define('DISABLE_WP_CRON', true);  // hostctl's cron action runs it
define('FS_METHOD', 'direct');
if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');
require_once ABSPATH . 'wp-settings.php';
PHP
  mv "$pub/wp-config.php.tmp" "$pub/wp-config.php"
  umask 022
  # The plan's health check: WordPress boots and its database answers.
  cat > "$pub/hostctl-health.php" <<'PHP'
<?php
require __DIR__ . '/wp-load.php';
header('Content-Type: text/plain');
echo $GLOBALS['wpdb']->get_var('SELECT 1') === '1' ? "ok\n" : "no database\n";
PHP
}

# A small plugin whose version is the plan's: what an upgrade bumps.
write_plugin() {
  mkdir -p "$pub/wp-content/plugins/hostctl-hello"
  cat > "$pub/wp-content/plugins/hostctl-hello/hostctl-hello.php" <<PHP
<?php
/*
 * Plugin Name: hostctl hello
 * Version: $HOSTCTL_SERVICE_VERSION
 */
add_action('wp_footer', function () { echo "<!-- hostctl-hello $HOSTCTL_SERVICE_VERSION -->"; });
PHP
  { printf '%s' "$boot"; cat <<'PHP'
require getenv("HOSTCTL_ROOT") . "/public/wp-load.php";
require_once ABSPATH . "wp-admin/includes/plugin.php";
$r = activate_plugin("hostctl-hello/hostctl-hello.php");
if (is_wp_error($r)) { fwrite(STDERR, $r->get_error_message() . "\n"); exit(3); }
PHP
  } | wp
}

set_home() {
  [ -n "$HOSTCTL_PRIMARY_URL" ] || return 0
  { printf '%s' "$boot"; cat <<'PHP'
require getenv("HOSTCTL_ROOT") . "/public/wp-load.php";
$home = rtrim(getenv("HOSTCTL_PRIMARY_URL"), "/");
update_option("home", $home);
update_option("siteurl", $home);
echo "home is now $home\n";
PHP
  } | wp
}

case "$HOSTCTL_ACTION" in
  install)
    mkdir -p "$pub"
    # The core, links followed (Debian links its JavaScript libraries in), without
    # the package's wp-config.php, which reads /etc/wordpress.
    tar -C "$core" --exclude=./.htaccess --exclude=./wp-config.php --exclude=./wp-config-sample.php -chf - . |
      tar -C "$pub" -xf -
    chmod 755 "$HOSTCTL_ROOT" "$pub"
    mkdir -p "$pub/wp-content/uploads"
    write_config
    { printf '%s' "$boot"; cat <<'PHP'
define("WP_INSTALLING", true);
require getenv("HOSTCTL_ROOT") . "/public/wp-load.php";
require_once ABSPATH . "wp-admin/includes/upgrade.php";
$r = wp_install(getenv("HOSTCTL_PARAM_TITLE"), "admin", getenv("HOSTCTL_PARAM_ADMIN_EMAIL"), true, "",
                wp_slash(getenv("HOSTCTL_PARAM_ADMIN_PASSWORD")));
if (empty($r["user_id"])) { fwrite(STDERR, "wp_install failed\n"); exit(3); }
echo "installed WordPress " . $GLOBALS["wp_version"] . "\n";
PHP
    } | wp
    set_home
    write_plugin
    ;;
  allocate)
    # A reserve copy was made for no one (or cloned from a template site): the
    # site taking it gets its own title and its own admin password.
    { printf '%s' "$boot"; cat <<'PHP'
require getenv("HOSTCTL_ROOT") . "/public/wp-load.php";
update_option("blogname", getenv("HOSTCTL_PARAM_TITLE"));
$admin = get_user_by("login", "admin");
if (!$admin) { fwrite(STDERR, "this copy has no user 'admin'\n"); exit(3); }
wp_set_password(getenv("HOSTCTL_PARAM_ADMIN_PASSWORD"), $admin->ID);
PHP
    } | wp
    ;;
  clone)
    # The files; hostctl copied the database into this copy's own.
    mkdir -p "$HOSTCTL_ROOT"
    cp -a "$HOSTCTL_SOURCE_ROOT/public" "$HOSTCTL_ROOT/"
    chmod -R u+w "$pub"  # a locked source's files come read-only
    write_config
    ;;
  routes) set_home ;;
  restore)
    rm -rf "$pub/wp-content"
    tar -xzf "$HOSTCTL_BACKUP_FILE" -C "$HOSTCTL_ROOT"
    test -s "$HOSTCTL_DB_DUMP"
    ;;
  upgrade)
    # The new version's schema update, then its plugin.
    { printf '%s' "$boot"; cat <<'PHP'
require getenv("HOSTCTL_ROOT") . "/public/wp-load.php";
require_once ABSPATH . "wp-admin/includes/upgrade.php";
wp_upgrade();
PHP
    } | wp
    write_plugin
    ;;
  verify)
    { printf '%s' "$boot"; cat <<'PHP'
require getenv("HOSTCTL_ROOT") . "/public/wp-load.php";
require_once ABSPATH . "wp-admin/includes/plugin.php";
global $wpdb, $wp_version;
if ($wpdb->get_var("SELECT 1") !== "1") { fwrite(STDERR, "the database does not answer\n"); exit(3); }
echo "@hostctl package wordpress $wp_version\n";
foreach (get_plugins() as $file => $p)
  if (is_plugin_active($file)) echo "@hostctl package plugin-" . dirname($file) . " " . $p["Version"] . "\n";
foreach (wp_get_themes() as $slug => $t) echo "@hostctl package theme-$slug " . $t->get("Version") . "\n";
echo "@hostctl set home=" . get_option("home") . "\n";
PHP
    } | wp
    ;;
  cron)
    { printf '%s' "$boot"; cat <<'PHP'
require getenv("HOSTCTL_ROOT") . "/public/wp-cron.php";
echo "wp-cron ran\n";
PHP
    } | wp
    ;;
  stats)
    { printf '%s' "$boot"; cat <<'PHP'
require getenv("HOSTCTL_ROOT") . "/public/wp-load.php";
global $wpdb;
echo "@hostctl usage posts=" . (int) wp_count_posts()->publish . "\n";
echo "@hostctl usage db_bytes=" . (int) $wpdb->get_var($wpdb->prepare(
  "SELECT coalesce(sum(data_length + index_length), 0) FROM information_schema.tables WHERE table_schema = %s",
  DB_NAME)) . "\n";
PHP
    } | wp
    echo "@hostctl usage disk_bytes=$(du -sb "$pub/wp-content" | cut -f1)"
    ;;
esac
