#!/usr/bin/env bash
# A corpus of hostile inputs: shell metacharacters, newlines, "..", control
# bytes, invalid UTF-8, very long strings, and malformed, huge and deeply
# nested YAML. Every one must be refused with exit 2 and a "hostctl: error:"
# message, and leave the catalog exactly as it was.
. "$(dirname "$0")/lib.sh"
H=$HOSTCTL_BIN
$H init -q >/dev/null
mkdir -p "$WORK/srv"
$H host add control --transport local --base-dir "$WORK/srv" --role web --role router -q >/dev/null
$H createservice "$EXAMPLES/static-site/service.yaml" -q >/dev/null
$H site create shop --service static-site --host control -q >/dev/null

values=(
  '$(touch /tmp/hostctl-pwned)' '`id`' 'a;rm -rf /' 'a|b' 'a&b' 'a>b' 'a<b' "a'b" 'a"b' 'a\b' 'a b' 'a*'
  '../etc' '../../x' 'a/../b' '/abs' '-rf' '--bogus' 'a$b' 'a{b}' '!x' '#x' '~x' 'A' 'Ab' 'x_' 'x-' '1abc'
  "$(printf 'a\nb')" "$(printf 'a\tb')" "$(printf 'a\rb')" "$(printf 'a\x01b')" "$(printf 'a\x7fb')"
  "$(printf '\xff\xfe')" "$(printf 'caf\xc3')" "$(printf '\xc0\xaf')" "$(head -c 300 /dev/zero | tr '\0' a)"
  "$(head -c 5000 /dev/zero | tr '\0' x)" 'é' '日本' '' ' ' 'a..b.' '.a' 'a.'
)
bad_addresses=('a;b' 'a b' '$(id)' '-x' 'a..b' "$(printf 'a\nb')" "$(head -c 300 /dev/zero | tr '\0' a)" 'a_b' '[::1]x')
bad_ports=(0 -1 65536 99999999 1e3 0x16 '22;' '' ' 22' abc)
bad_paths=(relative ../x '/a/../b' '/a b' '/a;b' '/a$(id)' "$(printf '/a\nb')" '/a`b`')
bad_sources=('Bad.test' 'a..test' '-a.test' 'a.test/../x' 'a.test/./x' 'a.test/' 'a test' 'a.test?x=1' 'http://a.test'
  "$(printf 'a.test\nb')" 'a_b.test' "$(head -c 300 /dev/zero | tr '\0' a).test")
bad_params=('title=<script>' 'title=' "title=$(head -c 200 /dev/zero | tr '\0' a)" 'nope=1' '=x' 'title'
  "title=$(printf 'a\nb')" "title=$(printf '\xff')")

n=0
refused() {  # COMMAND...: exit 2, a hostctl error message, the catalog unchanged
  n=$((n + 1))
  hc "$@"
  if [ "$RC" != 2 ] || ! printf '%s' "$ERR" | grep -q "^hostctl: error:"; then
    fail "case $n: exit $RC for: $(printf '%q ' "$@" | head -c 200)"
  fi
}

TEST "every hostile input is refused with exit 2 and changes nothing"
before=$(catalog_digest)
for v in "${values[@]}"; do
  refused host add "$v" --transport local
  refused client add "$v"
  refused site create "$v" --service static-site
done
for v in "${bad_addresses[@]}"; do refused host add ok1 --address "$v"; done
for v in "${bad_ports[@]}"; do refused host add ok2 --address 127.0.0.1 --port "$v"; done
for v in "${bad_paths[@]}"; do
  refused host add ok3 --transport local --base-dir "$v"
  refused host add ok4 --address 127.0.0.1 --identity "$v"
done
for v in "${bad_sources[@]}"; do refused route add "$v" --site shop; done
for v in "${bad_params[@]}"; do refused site create ok5 --service static-site --param "$v"; done
for v in 'x@' '@x' 'a b@c' "$(printf 'a\n@b')" 'a"@b'; do refused client add ok6 --email "$v"; done
for v in -1 abc 1.5 ''; do refused client add ok7 --max-sites "$v"; done
for v in yesterday 2026-13-01 2026-1-1 '2026-01-01;' 2026-02-31 2026-02-29 2026-04-31; do refused usage report --from "$v"; done
for v in 2026-13 2026-1 26-01 '2026-01;'; do refused invoice x --period "$v"; done
for v in abc x1.0 '1.0 beta' 1.0- :1 1:; do refused package list --below "$v"; done
for v in xml '' 'json;'; do refused -o "$v" host list; done

# Service files: malformed, huge, deep, binary, hostile script paths.
yaml() { printf '%s' "$2" > "$WORK/$1.yaml"; refused createservice "$WORK/$1.yaml"; }
yaml empty ''
yaml scalar 'just text'
yaml list '[1, 2]'
yaml unclosed 'name: [a'
yaml tabs "$(printf 'name: a\n\tversion: 1')"
yaml deep "$(head -c 200 /dev/zero | tr '\0' '[')"
yaml deepmap "$(for i in $(seq 1 60); do printf '%*sa:\n' $((i * 2)) ''; done)"
yaml binary "$(printf 'name: a\x00b\nversion: 1')"
yaml utf8 "$(printf 'name: \xff\nversion: 1')"
yaml alias 'a: &a [*a, *a]'
yaml noname 'version: 1
actions: {install: [{name: a, run: "true"}]}'
yaml badname 'name: "a;b"
version: 1
actions: {install: [{name: a, run: "true"}]}'
yaml traversal 'name: t
version: 1
actions: {install: [{name: a, script: ../../../etc/passwd}]}'
yaml absolute 'name: t
version: 1
actions: {install: [{name: a, script: /etc/passwd}]}'
yaml both 'name: t
version: 1
actions: {install: [{name: a, run: "true", script: x.sh}]}'
yaml badtimeout 'name: t
version: 1
timeout: forever
actions: {install: [{name: a, run: "true"}]}'
yaml badwindow 'name: t
version: 1
reserve: {size: 1, window: "25:00-26:00"}
actions: {install: [{name: a, run: "true"}]}'
yaml badregex 'name: t
version: 1
params: {p: {pattern: "("}}
actions: {install: [{name: a, run: "true"}]}'
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' '#' > "$WORK/huge.yaml"
refused createservice "$WORK/huge.yaml"
echo "# $n hostile inputs"
expect_true test "$n" -ge 200
expect_catalog_unchanged "$before"
expect_true test ! -e /tmp/hostctl-pwned

done_testing
