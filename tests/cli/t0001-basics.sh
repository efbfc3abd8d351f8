#!/usr/bin/env bash
# version, help, init, doctor, exit codes, streams, output formats, config.
. "$(dirname "$0")/lib.sh"

TEST "version and --help need no catalog"
hc version
expect_rc 0
expect_out_has "version:"
hc --version
expect_rc 0
expect_out "hostctl $(hc version --field version; echo "$OUT")"
hc --version
expect_true test ! -e "$HOSTCTL_CATALOG"
hc --help
expect_rc 0
expect_out_has "host"
hc host --help
expect_rc 0
expect_out_has "add"

TEST "a missing catalog is 'not found' with a hint"
hc host list
expect_rc 3
expect_out_empty
expect_err_has "catalog '$HOSTCTL_CATALOG' does not exist"
expect_err_has "hostctl init"

TEST "init creates a private catalog; doctor checks it"
hc init
expect_rc 0
expect_out_has "created:"
is_postgres || expect_true test "$(stat -c %a "$HOSTCTL_CATALOG")" = 600
hc doctor -o json
expect_rc 0
expect_json "d['integrity'] == 'ok' and d['schema_version'] == d['latest_schema_version']"
hc init -o json
expect_json "d['created'] is False and d['backup'] is None"

TEST "argument errors are exit 2"
hc host add
expect_rc 2
hc host list --bogus
expect_rc 2
hc host
expect_rc 2
hc -o xml host list
expect_rc 2
expect_err_has "invalid --output 'xml'"

TEST "unknown commands suggest the closest one"
hc hots list
expect_rc 2
expect_err_has "unknown command 'hots'"
expect_err_has "did you mean 'host'?"

TEST "plugins: hostctl-X on PATH runs with the remaining arguments and the catalog"
mkdir -p "$WORK/bin"
printf '#!/bin/sh\necho "plugin $* catalog=$HOSTCTL_CATALOG"\n' > "$WORK/bin/hostctl-hello"
chmod +x "$WORK/bin/hostctl-hello"
PATH="$WORK/bin:$PATH" hc --catalog /tmp/x.db hello a b
expect_rc 0
expect_out "plugin a b catalog=/tmp/x.db"

TEST "errors as JSON on stderr with -o json, stdout empty"
hc -o json host show nope
expect_rc 3
expect_out_empty
printf '%s' "$ERR" | python3 -c "import json,sys; e=json.load(sys.stdin)['error']; assert e['kind']=='not_found' and e['exit_code']==3" ||
  fail "stderr is not a JSON error"

TEST "every output format"
hc host add web1 --address 127.0.0.1 --port 2201 --role web --role router -q
expect_rc 0
expect_err_empty
hc host add db1 --address 127.0.0.2 --role db -q
hc host list
expect_out_has "NAME"
expect_out_has "router,web"
hc host list -o json
expect_json "[h['name'] for h in d] == ['db1', 'web1'] and d[1]['port'] == 2201 and d[1]['roles'] == ['router', 'web']"
hc host list -o yaml
expect_out_has 'name: "web1"'
hc host list -o tsv
expect_out_has "$(printf 'web1\tssh\t127.0.0.1\t2201')"
hc host list -o id
expect_out "$(printf '2\n1')"
hc host list --field name
expect_out "$(printf 'db1\nweb1')"
hc host show web1 --field port
expect_out "2201"
hc host show web1 --field nope
expect_rc 2

TEST "-o id chains into the next command"
id=$("$HOSTCTL_BIN" host add chain1 --transport local -o id -q)
hc host show "$id" --field name
expect_out "chain1"

TEST "a closed pipe ends quietly"
for i in $(seq 1 300); do echo "  h$i: {}"; done > /dev/null
for i in $(seq 1 200); do "$HOSTCTL_BIN" host add "bulk$i" --transport local -q || break; done
out=$( ( "$HOSTCTL_BIN" host list 2>"$WORK/pipe-err"; echo "rc=$?" >"$WORK/pipe-rc" ) | head -1)
expect_true test -n "$out"
expect_true test ! -s "$WORK/pipe-err"
expect_true grep -qx "rc=0" "$WORK/pipe-rc"

TEST "config precedence: flags > env > file > defaults, with origins"
mkdir -p "$HOME/.config/hostctl"
printf 'jobs: 3\noutput: yaml\n' > "$HOME/.config/hostctl/config.yaml"
HOSTCTL_JOBS=5 hc config show --origin -o json
expect_json "{r['key']: (r['value'], r['origin']) for r in d}['jobs'] == ('5', 'env HOSTCTL_JOBS')"
expect_json "{r['key']: r['origin'] for r in d}['output'] == 'flag --output'"
HOSTCTL_JOBS=5 hc config show --origin --jobs 7 -o tsv
expect_out_has "$(printf 'jobs\t7\tflag --jobs')"
hc config show --origin
expect_out_has 'value: "yaml"'
hc config show --origin --field origin -o json
printf 'bogus: 1\n' > "$HOME/.config/hostctl/config.yaml"
hc host list
expect_rc 2
expect_err_has "config.yaml:1:1: unknown setting 'bogus'"
rm "$HOME/.config/hostctl/config.yaml"

TEST "NO_COLOR is honoured"
NO_COLOR=1 hc config show --origin -o json
expect_json "{r['key']: r['value'] for r in d}['color'] == 'never'"

TEST "completion scripts print without a catalog"
HOSTCTL_CATALOG=/nonexistent/x.db hc completion bash
expect_rc 0
expect_out_has "complete -F _hostctl hostctl"
hc completion zsh
expect_out_has "#compdef hostctl"
hc completion fish
expect_out_has "complete -c hostctl"
hc completion tcsh
expect_rc 2

TEST "every man page renders without groff warnings, and the group pages are current"
for page in "$HOSTCTL_SOURCE_DIR"/man/*.[15]; do
  run_cmd groff -man -Tutf8 -ww "$page"
  expect_rc 0
  expect_err_empty
done
mkdir -p "$WORK/man"
sh "$HOSTCTL_SOURCE_DIR/man/group-pages.sh" "$WORK/man"
for page in "$WORK"/man/*.1; do
  cmp -s "$page" "$HOSTCTL_SOURCE_DIR/man/$(basename "$page")" || fail "$(basename "$page") is stale: run man/group-pages.sh"
done
for group in $("$HOSTCTL_BIN" --help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 {print $1}'); do
  grep -q "^\.SS hostctl $group" "$HOSTCTL_SOURCE_DIR/man/hostctl.1" || fail "no man entry for 'hostctl $group'"
done

TEST "a misspelt command or option names the nearest one; nothing changes"
digest=$(catalog_digest)
hc site lst
expect_rc 2
expect_err_has "unknown command 'site lst': did you mean 'site list'?"
hc site list --format json
expect_rc 2
expect_err_has "unknown option '--format': did you mean '--output'?"
hc site create x --sevice static-site
expect_rc 2
expect_err_has "did you mean '--service'?"
hc help sit
expect_rc 2
expect_err_has "did you mean 'site'?"
expect_catalog_unchanged "$digest"

TEST "JSON asked for in any spelling makes even a parse error JSON"
for spelling in "-o json" "-ojson" "--output=json" "--output json"; do
  hc $spelling site lst
  expect_rc 2
  printf '%s' "$ERR" | python3 -c "import json,sys; e=json.load(sys.stdin)['error']; assert e['exit_code'] == 2 and 'site list' in e['message']" ||
    fail "stderr is not one JSON error with $spelling"
done
HOSTCTL_OUTPUT=json hc site lst
printf '%s' "$ERR" | python3 -c "import json,sys; assert json.load(sys.stdin)['error']['kind'] == 'usage'" ||
  fail "stderr is not one JSON error with HOSTCTL_OUTPUT=json"

TEST "hostctl help COMMAND is COMMAND --help"
hc help site create
expect_rc 0
help_text=$OUT
hc site create --help
expect_out "$help_text"
expect_out_has "--service"
hc help
expect_rc 0
expect_out_has "Subcommands:"

TEST "arguments after -- are arguments, for every command; a list flag takes commas"
hc host add -q -- -odd
expect_rc 2
expect_err_has "invalid host name '-odd'"
hc host add --transport local -q -- odd
expect_rc 0
hc host add combo --transport local --role web,router -q
expect_rc 0
hc host show -- combo -o json
expect_rc 2
hc host show -o json -- combo
expect_rc 0
expect_json "sorted(d['roles']) == ['router', 'web']"
hc host add bad-role --transport local --role web,rooter
expect_rc 2
expect_err_has "rooter"

done_testing
