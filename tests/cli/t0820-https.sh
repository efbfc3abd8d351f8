#!/usr/bin/env bash
# HTTPS on the router, with a real ACME server: pebble validates HTTP-01
# against the router's nginx (rig1, its own user), lego on the router obtains
# the certificate, and the site itself lives on web host rig2. Also the
# operator's own (wildcard) certificate, renewals, and a router whose nginx
# refuses the new configuration keeping the old certificate.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../rig/rig.sh"
rig_skip_unless_ready
H=$HOSTCTL_BIN
rig_data_plane 2 || exit 1
rig_acme_start || exit 1
$H createservice "$EXAMPLES/static-site/service.yaml" -q >/dev/null || exit 1
$H site create shop --service static-site --host rig2 --param title=Secure -q >/dev/null || exit 1
HTTPS_PORT=$(rig_free_port 127.0.0.1)
SITES="$RIG_NGINX_DIR/sites"

https_get() {  # DOMAIN [PATH [CA]]: status of GET over HTTPS through the router, body in $WORK/page
  curl -s -o "$WORK/page" -w '%{http_code}' --cacert "${3:-$RIG_ACME_BUNDLE}" \
    --resolve "$1:$HTTPS_PORT:127.0.0.1" "https://$1:$HTTPS_PORT${2:-/}"
}
served_serial() {  # DOMAIN: the serial of the certificate the router presents for it
  openssl s_client -connect "127.0.0.1:$HTTPS_PORT" -servername "$1" </dev/null 2>/dev/null |
    openssl x509 -noout -serial | sed 's/^serial=//'
}
field() { printf '%s' "$OUT" | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# A CA of the operator's own, and a wildcard certificate it signs.
OPCA="$WORK/opca"
mkdir -p "$OPCA"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj /CN=operator-ca \
  -keyout "$OPCA/ca.key" -out "$OPCA/ca.pem" 2>/dev/null
operator_cert() {  # NAME DAYS SAN: $OPCA/NAME.crt and .key signed by the operator's CA
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$3" \
    -keyout "$OPCA/$1.key" -out "$OPCA/$1.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s\n' "$3" > "$OPCA/$1.ext"
  openssl x509 -req -in "$OPCA/$1.csr" -CA "$OPCA/ca.pem" -CAkey "$OPCA/ca.key" -CAcreateserial -days "$2" \
    -extfile "$OPCA/$1.ext" -out "$OPCA/$1.crt" 2>/dev/null
}
operator_cert wild 365 '*.op.test'
operator_cert other 365 '*.op.test'
cat "$RIG_ACME_BUNDLE" "$OPCA/ca.pem" > "$WORK/all-cas.pem"

TEST "TLS routes are refused, changing nothing, when the router or the input cannot serve them"
digest=$(catalog_digest)
hc route add shop.test --site shop --tls acme
expect_rc 4
expect_err_has "router 'rig1' serves no HTTPS"
expect_err_has "--https-listen"
hc host edit rig1 --https-listen 127.0.0.1:99999x
expect_rc 2
expect_err_has "https listen"
expect_catalog_unchanged "$digest"
hc host edit rig1 --https-listen "127.0.0.1:$HTTPS_PORT" -q
expect_rc 0
digest=$(catalog_digest)
hc route add shop.test --site shop --tls self-signed
expect_rc 2
expect_err_has "--tls must be acme"
hc route add www.op.test --site shop --tls-cert "$OPCA/wild.crt" --tls-key "$OPCA/other.key"
expect_rc 2
expect_err_has "the private key does not match the certificate"
hc route add www.op.test --site shop --tls-cert "$OPCA/wild.crt"
expect_rc 2
expect_err_has "--tls-cert and --tls-key go together"
HOSTCTL_ACME_DIRECTORY= hc route add shop.test --site shop --tls acme
expect_rc 4
expect_err_has "no ACME server is configured"
HOSTCTL_ACME_DIRECTORY=http://127.0.0.1:1/dir hc route add shop.test --site shop --tls acme
expect_rc 2
expect_err_has "HOSTCTL_ACME_DIRECTORY='http://127.0.0.1:1/dir': must be an https:// URL"
HOSTCTL_ACME_CA_BUNDLE="$WORK/missing.pem" hc route add shop.test --site shop --tls acme
expect_rc 2
expect_err_has "acme_ca_bundle: cannot read"
HOSTCTL_ACME_RENEW_DAYS=0 hc queue run certs
expect_rc 2
expect_err_has "must be a whole number of days from 1 to 3650"
expect_catalog_unchanged "$digest"
expect_true test ! -e "$SITES/tls"

TEST "route add --tls acme gets a certificate from the ACME server, validated through the router's nginx"
hc route add shop.test --site shop --tls acme --primary -o json
expect_rc 0
expect_json "d['tls'] == 'acme' and d['certificate']['serial'] and 'Pebble' in d['certificate']['issuer']"
serial1=$(field "d['certificate']['serial']")
expect_true test -f "$SITES/tls/shop.test/$serial1.crt"
expect_true test "$(stat -c %a "$SITES/tls/shop.test/$serial1.key")" = 600
expect_true grep -q "acme-challenge" "$SITES/hostctl-shop.test.conf"
expect_true grep -q "Pebble" <(catalog_sql "SELECT issuer FROM certificate WHERE domain = 'shop.test'")
grep -q "shop.test" "$RIG_DIR/acme/pebble.log" || fail "pebble never saw an order for shop.test"

TEST "when the ACME server cannot be reached the route is added, plain HTTP, and route cert gets its certificate later"
HOSTCTL_ACME_DIRECTORY="https://127.0.0.1:1/dir" hc route add later.test --site shop --tls acme -o json
expect_rc 5
expect_err_has "lego could not obtain a certificate for later.test"
expect_err_has "the route was added and is served over plain HTTP until it has one"
hc route show later.test -o json
expect_json "d['tls'] == 'acme' and d['certificate'] is None and not d['https']"
hc route cert later.test -o json
expect_rc 0
expect_json "d['certificate']['serial'] and d['https']"
hc route delete later.test --yes -q
expect_rc 0

TEST "an active TLS route serves HTTPS with that certificate, and plain HTTP answers 301 (but for ACME challenges)"
hc route activate shop.test
expect_rc 0
expect_true test "$(https_get shop.test /)" = 200
expect_true grep -q Secure "$WORK/page"
expect_true test "$(served_serial shop.test)" = "$serial1"
loc=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H "Host: shop.test" \
  "http://127.0.0.1:$RIG_NGINX_PORT/a/b?c=1")
expect_true test "$loc" = "301 https://shop.test:$HTTPS_PORT/a/b?c=1"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: shop.test" \
  "http://127.0.0.1:$RIG_NGINX_PORT/.well-known/acme-challenge/missing")
expect_true test "$code" = 404
hc route show shop.test -o json
expect_json "d['https'] and d['active']"

TEST "the route check verifies the chain: with a CA bundle that does not hold the issuer, activation fails and is undone"
hc route deactivate shop.test -q
expect_rc 0
HOSTCTL_ACME_CA_BUNDLE="$OPCA/ca.pem" hc route activate shop.test
expect_rc 5
expect_err_has "does not answer after activation"
hc route show shop.test -o json
expect_json "not d['active']"
hc route activate shop.test -q
expect_rc 0
expect_true test "$(https_get shop.test /)" = 200

TEST "queue run certs renews nothing far from expiry, and renews with a long threshold (a new serial, served)"
hc queue run certs -o json
expect_rc 0
expect_json "d[0]['queue'] == 'certs' and d[0]['ran'] == 0"
HOSTCTL_ACME_RENEW_DAYS=3650 hc queue run certs -o json
expect_rc 0
expect_json "d[0]['ran'] == 1 and not d[0]['failed']"
hc route show shop.test -o json
serial2=$(field "d['certificate']['serial']")
expect_true test -n "$serial2" -a "$serial2" != "$serial1"
expect_true test "$(served_serial shop.test)" = "$serial2"
expect_true test "$(https_get shop.test /)" = 200

TEST "a renewal that nginx -t refuses leaves the old certificate serving, and the catalog saying so"
printf 'this is not nginx configuration\n' > "$SITES/broken.conf"
HOSTCTL_ACME_RENEW_DAYS=3650 hc queue run certs -o json
expect_rc 5
expect_json "d[0]['ran'] == 1 and len(d[0]['failed']) == 1"
expect_err_has "keeps serving the previous one (serial $serial2)"
hc route show shop.test -o json
expect_true test "$(field "d['certificate']['serial']")" = "$serial2"
expect_true test "$(served_serial shop.test)" = "$serial2"
rm -f "$SITES/broken.conf"
HOSTCTL_ACME_RENEW_DAYS=3650 hc queue run certs -q
expect_rc 0
hc route show shop.test -o json
serial3=$(field "d['certificate']['serial']")
expect_true test "$serial3" != "$serial2" -a "$(served_serial shop.test)" = "$serial3"

TEST "no request fails during a certificate renewal (an HTTPS probe through the router, about 50 a second)"
export HOSTCTL_ACME_RENEW_DAYS=3650
PROBE_CA="$RIG_ACME_BUNDLE" probe_during "$HTTPS_PORT" shop.test Secure queue run certs -q
unset HOSTCTL_ACME_RENEW_DAYS
hc route show shop.test -o json
expect_true test "$(field "d['certificate']['serial']")" != "$serial3"
expect_true test "$(served_serial shop.test)" = "$(field "d['certificate']['serial']")"

TEST "the operator's wildcard certificate: installed when it matches, served, and verified against the configured CAs"
hc route add www.op.test --site shop --tls-cert "$OPCA/wild.crt" --tls-key "$OPCA/wild.key" -o json
expect_rc 0
expect_json "d['tls'] == 'manual' and d['certificate']['issuer'] == 'CN=operator-ca'"
grep -rq "BEGIN.*PRIVATE KEY" <(catalog_sql "SELECT line FROM log_line" 2>/dev/null) &&
  fail "the operator's key is in the command log"
HOSTCTL_ACME_CA_BUNDLE="$WORK/all-cas.pem" hc route activate www.op.test
expect_rc 0
expect_true test "$(https_get www.op.test / "$OPCA/ca.pem")" = 200
expect_true grep -q Secure "$WORK/page"
expect_true test "$(served_serial www.op.test)" = "$(openssl x509 -noout -serial -in "$OPCA/wild.crt" | sed 's/^serial=//')"

TEST "route cert replaces the operator's certificate, refusing a key that does not match"
digest=$(catalog_digest)
hc route cert www.op.test --tls-cert "$OPCA/other.crt" --tls-key "$OPCA/wild.key"
expect_rc 2
expect_err_has "does not match"
expect_catalog_unchanged "$digest"
hc route cert shop.test --tls-cert "$OPCA/other.crt" --tls-key "$OPCA/other.key"
expect_rc 4
expect_err_has "gets its certificate from ACME"
HOSTCTL_ACME_CA_BUNDLE="$WORK/all-cas.pem" hc route cert www.op.test --tls-cert "$OPCA/other.crt" --tls-key "$OPCA/other.key" -q
expect_rc 0
expect_true test "$(served_serial www.op.test)" = "$(openssl x509 -noout -serial -in "$OPCA/other.crt" | sed 's/^serial=//')"

TEST "doctor and host verify name a certificate that expires within 14 days"
operator_cert soon 5 '*.op.test'
HOSTCTL_ACME_CA_BUNDLE="$WORK/all-cas.pem" hc route cert www.op.test --tls-cert "$OPCA/soon.crt" --tls-key "$OPCA/soon.key" -q
expect_rc 0
hc doctor
expect_err_has "the certificate for www.op.test on router 'rig1' expires at"
expect_err_has "within 14 days"
hc host verify rig1
expect_err_has "the certificate for www.op.test on router 'rig1' expires at"
hc doctor -o json
printf '%s' "$ERR" | grep -q "shop.test" && fail "doctor warned about a certificate far from expiry"

TEST "host verify finds certificates missing on the router, and --repair puts them back (ACME: a new one; the operator's: the same)"
op_serial=$(openssl x509 -noout -serial -in "$OPCA/soon.crt" | sed 's/^serial=//')
rm -rf "$SITES/tls/shop.test" "$SITES/tls/www.op.test"
hc host verify rig1 -o json
expect_json "sorted(x['object'] for x in d[0]['drift'] if x['kind'] == 'certificate-missing') == ['shop.test', 'www.op.test']"
HOSTCTL_ACME_CA_BUNDLE="$WORK/all-cas.pem" hc host verify rig1 --repair
expect_rc 0
expect_err_has "repaired 2 of 2"
hc host verify rig1 -o json
expect_json "not d[0]['drift']"
hc route show shop.test -o json
expect_true test -f "$SITES/tls/shop.test/$(field "d['certificate']['serial']").crt"
expect_true test -f "$SITES/tls/www.op.test/$op_serial.key"
expect_true test "$(served_serial www.op.test)" = "$op_serial"
expect_true test "$(https_get shop.test /)" = 200

TEST "route delete of the last TLS route of a domain drops its certificate and server block"
hc route delete www.op.test --yes -q
expect_rc 0
expect_true test ! -e "$SITES/hostctl-www.op.test.conf"
expect_true test "$(catalog_sql "SELECT count(*) FROM certificate WHERE domain = 'www.op.test'")" = 0
expect_true test "$(https_get shop.test /)" = 200

done_testing
