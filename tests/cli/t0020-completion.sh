#!/usr/bin/env bash
# Shell completion as users meet it: the generated scripts parse in bash, zsh
# and fish, and real zsh and fish on a pseudo-terminal complete live names
# from the catalog at the first TAB.
. "$(dirname "$0")/lib.sh"
"$HOSTCTL_BIN" init -q >/dev/null || exit 1

TEST "every generated script parses: bash -n, zsh -n, fish -n"
for shell in bash zsh fish; do
  command -v "$shell" >/dev/null || { echo "skip: $shell is not installed (scripts/setup.sh installs it)"; exit 77; }
  "$HOSTCTL_BIN" completion "$shell" > "$WORK/complete.$shell"
  run_cmd "$shell" -n "$WORK/complete.$shell"
  expect_rc 0
  expect_err_empty
done

TEST "bash completes commands and live names from the catalog"
"$HOSTCTL_BIN" host add zeta --transport local -q >/dev/null
"$HOSTCTL_BIN" host exec zeta -q -- true >/dev/null
complete_words() {
  bash -c '
    PATH="$(dirname "$HOSTCTL_BIN"):$PATH"
    source <("$HOSTCTL_BIN" completion bash)
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
    _hostctl
    printf "%s\n" "${COMPREPLY[@]}"' complete "$@"
}
run_cmd complete_words hostctl ho
expect_out "host"
run_cmd complete_words hostctl host sh
expect_out "show"
run_cmd complete_words hostctl host show ze
expect_out "zeta"
run_cmd complete_words hostctl -o j
expect_out "json"
run_cmd complete_words hostctl host add x --tr
expect_out "--transport"
"$HOSTCTL_BIN" createservice "$EXAMPLES/static-site/service.yaml" -q >/dev/null
catalog_sql "INSERT INTO site(name, service_id, created_at) VALUES ('alpha', 1, 'now'), ('alpine', 1, 'now'), ('beta', 1, 'now');"
run_cmd complete_words hostctl site cl
expect_out "clone"
run_cmd complete_words hostctl site clone al
expect_out "$(printf 'alpha\nalpine')"
run_cmd complete_words hostctl site create x --service st
expect_out "static-site"


TEST "bash completes routes, commands, and the fixed values of options"
catalog_sql "INSERT INTO route(source, site_id, created_at) VALUES ('shop.example', 1, 'now')"
run_cmd complete_words hostctl route show sh
expect_out "shop.example"
run_cmd complete_words hostctl task show ""
expect_out "1"
run_cmd complete_words hostctl host add x --transport ""
expect_out "$(printf 'ssh\nlocal')"
run_cmd complete_words hostctl host add x --role r
expect_out "router"
run_cmd complete_words hostctl host list -r d
expect_out "db"
run_cmd complete_words hostctl site list -o y
expect_out "yaml"
run_cmd complete_words hostctl task list -n 5 --fa
expect_out "--failed"

# What a real shell on a terminal shows after the line and TAB(s).
shell_complete() {  # SHELL LINE [TABS]
  HOME=$WORK/home HOSTCTL_COMPLETIONS=$WORK/completions PATH="$(dirname "$HOSTCTL_BIN"):$PATH" \
    timeout 60 python3 "$HOSTCTL_SOURCE_DIR/tests/cli/pty-complete.py" "$@"
}
mkdir -p "$WORK/home" "$WORK/completions"
"$HOSTCTL_BIN" completion zsh > "$WORK/completions/_hostctl"
"$HOSTCTL_BIN" completion fish > "$WORK/completions/hostctl.fish"
catalog_sql "INSERT INTO site(name, service_id, created_at) VALUES ('zulu-shop', 1, 'now')"

TEST "zsh completes a live site name at the very first TAB of a session"
run_cmd shell_complete zsh "hostctl site show zu"
expect_out_has "hostctl site show zulu-shop"

TEST "zsh completes subcommands and routes"
run_cmd shell_complete zsh "hostctl rou"
expect_out_has "hostctl route"
run_cmd shell_complete zsh "hostctl route show sh"
expect_out_has "hostctl route show shop.example"

TEST "fish completes live site names, subcommands and option values"
run_cmd shell_complete fish "hostctl site show zu"
expect_out_has "hostctl site show zulu-shop"
run_cmd shell_complete fish "hostctl host add x --transport lo"
expect_out_has "--transport local"

done_testing
