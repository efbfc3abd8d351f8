#!/usr/bin/env bash
# hosts and clients: add, list, show, edit, remove; bad input changes nothing.
. "$(dirname "$0")/lib.sh"
"$HOSTCTL_BIN" init -q >/dev/null

TEST "host add, show, edit"
hc host add web1 --address 127.0.0.1 --port 2222 --user deploy --identity /keys/id_ed25519 --capacity 10 \
  --base-dir /srv/sites -o json
expect_rc 0
expect_json "d['name'] == 'web1' and d['user'] == 'deploy' and d['capacity'] == 10 and d['roles'] == ['web']"
hc host edit web1 --role router --port 2223 -o json
expect_json "d['roles'] == ['router'] and d['port'] == 2223 and d['user'] == 'deploy'"
hc host list --role router --field name
expect_out "web1"
hc host add me --transport local -o json
expect_json "d['transport'] == 'local'"

TEST "host list -o ansible is a static inventory file that ansible-inventory reads"
command -v ansible-inventory >/dev/null || { echo "skip: ansible-core is not installed (scripts/setup.sh installs it)"; exit 77; }
hc host list -o ansible
expect_rc 0
printf '%s\n' "$OUT" > "$WORK/hosts.yaml"
run_cmd ansible-inventory -i "$WORK/hosts.yaml" --list
expect_rc 0
expect_json "d['router']['hosts'] == ['web1'] and d['_meta']['hostvars']['web1']['ansible_port'] == 2223 and d['_meta']['hostvars']['me']['ansible_connection'] == 'local' and 'UserKnownHostsFile=' in d['_meta']['hostvars']['web1']['ansible_ssh_common_args'] and sorted(d['all']['children']) == ['router', 'ungrouped', 'web']"
hc client list -o ansible
expect_rc 2
expect_err_has "only for 'hostctl host list'"

TEST "bad host input: exit 2, clear message, catalog unchanged"
before=$(catalog_digest)
for args in "Web --address 1.2.3.4" "w1 --address 'a b'" "w2 --address 127.0.0.1 --port 0" \
  "w3 --address 127.0.0.1 --port 70000" "w4 --address 127.0.0.1 --role cache" "w5 --address 127.0.0.1 --user 'r;m'" \
  "w6 --address 127.0.0.1 --base-dir relative" "w7 --address 127.0.0.1 --base-dir /srv/../etc" "w8" \
  "w9 --transport telnet --address x" "w10 --address 127.0.0.1 --capacity -1" "'a\$(id)' --address x"; do
  eval "hc host add $args"
  expect_rc 2
  expect_err_has "hostctl: error:"
done
hc host add web1 --address 127.0.0.2
expect_rc 4
expect_err_has "already exists"
hc host edit nope --port 22
expect_rc 3
hc host edit web1 --port abc
expect_rc 2
expect_catalog_unchanged "$before"

TEST "dry-run shows the result and keeps nothing"
before=$(catalog_digest)
hc host add dry --address 127.0.0.9 --dry-run -o json
expect_rc 0
expect_json "d['name'] == 'dry'"
expect_err_has "dry run: nothing was changed"
expect_catalog_unchanged "$before"

TEST "remove needs --yes without a terminal"
before=$(catalog_digest)
hc host remove me
expect_rc 2
expect_err_has "add --yes"
expect_catalog_unchanged "$before"
hc host remove me --yes
expect_rc 0
hc host show me
expect_rc 3

TEST "clients"
hc client add acme --email ops@acme.test --max-sites 3 -o json
expect_rc 0
expect_json "d['max_sites'] == 3 and d['sites'] == 0"
hc client add free -o json
expect_json "d['max_sites'] is None"
hc client list --field name
expect_out "$(printf 'acme\nfree')"
before=$(catalog_digest)
hc client add acme
expect_rc 4
hc client add bad --email nope
expect_rc 2
hc client add bad2 --max-sites many
expect_rc 2
hc client show ghost
expect_rc 3
expect_catalog_unchanged "$before"
hc client remove free -y
expect_rc 0

TEST "the audit trail records who changed what"
user=$(id -un)
n=$(catalog_sql "SELECT count(*) FROM audit WHERE actor = '$user' AND action LIKE 'host add web1%'")
expect_true test "$n" = 1
catalog_sql "SELECT argv FROM audit WHERE action = 'client add acme'" | grep -q '"--max-sites"' ||
  fail "argv not recorded"

TEST "audit list reads the trail: by user, since a time, by the object a command named"
hc audit list --user "$user" --since 1h -o json
expect_rc 0
expect_json "'client add acme' in [e['action'] for e in d] and all(e['user'] == '$user' for e in d)"
expect_json "[e['argv'][1:] for e in d if e['action'] == 'client add acme'][0][:3] == ['client', 'add', 'acme']"
hc audit list --object client:acme -o json
expect_json "[e['action'] for e in d] == ['client add acme']"
hc audit list --user nobody-here -o json
expect_json "d == []"
hc audit list --since "$(date -u -d '+1 day' +%F)" -o json
expect_json "d == []"
hc audit list -n 1 -o json
expect_json "len(d) == 1"
for bad in "--since 2026-02-31" "--since soon" "--object acme" "--object planet:x" "-n -1"; do
  hc audit list $bad
  expect_rc 2
done

done_testing
