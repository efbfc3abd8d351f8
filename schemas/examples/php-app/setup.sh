#!/bin/sh
# Writes the application: public/index.php (the front controller) and
# config.php beside public/, holding the title and the secret app key. The
# parameters are checked against the plan's patterns before they get here.
set -eu
mkdir -p "$HOSTCTL_ROOT/public"
chmod 755 "$HOSTCTL_ROOT" "$HOSTCTL_ROOT/public"
umask 077
cat > "$HOSTCTL_ROOT/config.php.tmp" <<PHP
<?php
return ['title' => '${HOSTCTL_PARAM_TITLE:-PHP site}', 'app_key' => '${HOSTCTL_PARAM_APP_KEY:-change-me-please}',
        'site' => '${HOSTCTL_SITE:-unallocated}'];
PHP
mv "$HOSTCTL_ROOT/config.php.tmp" "$HOSTCTL_ROOT/config.php"
umask 022
cat > "$HOSTCTL_ROOT/public/index.php" <<'PHP'
<?php
// Front controller: every path that is not a file comes here.
$config = require __DIR__ . '/../config.php';
$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH);
if ($path === '/health') {
    header('Content-Type: text/plain');
    echo "ok\n";
    return;
}
$h = fn($s) => htmlspecialchars((string) $s, ENT_QUOTES);
header('Content-Type: text/html; charset=utf-8');
echo "<!doctype html>\n<title>{$h($config['title'])}</title>\n<h1>{$h($config['title'])}</h1>\n";
// Each copy is its own directory, named after its deployment.
echo "<p>site: {$h($config['site'])}</p>\n<p>deployment: {$h(basename(dirname(__DIR__)))}</p>\n";
echo "<p>path: {$h($path)}</p>\n<p>host: {$h($_SERVER['HTTP_HOST'] ?? '')}</p>\n";
echo "<p>https: {$h(($_SERVER['HTTPS'] ?? '') === 'on' ? 'yes' : 'no')}</p>\n<p>php: " . PHP_VERSION . "</p>\n";
PHP
# A PHP source under another name: the web server must not send it as text.
printf '<?php\n// helper included by the application, never served\n' > "$HOSTCTL_ROOT/public/helpers.inc"
