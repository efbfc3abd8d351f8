#!/usr/bin/env bash
# Packaging: `cmake --install` puts the binary, man pages and completions where
# Debian expects them; CPack builds a .deb (stripped, its debug symbols in a
# -dbgsym package) that lintian passes with no error and no warning, that
# unpacks and runs, and (on CI, as root) installs with dpkg -i.
. "$(dirname "$0")/lib.sh"
BUILD_DIR=$(dirname "$HOSTCTL_BIN")
command -v dpkg-shlibdeps >/dev/null || { echo "skip: dpkg-dev is not installed (scripts/setup.sh installs it)"; exit 77; }

TEST "cmake --install lays out the binary, man pages and completions"
run_cmd cmake --install "$BUILD_DIR" --prefix "$WORK/prefix"
expect_rc 0
for f in bin/hostctl share/man/man1/hostctl.1.gz share/man/man1/hostctl-site.1.gz share/man/man5/hostctl-service.5.gz \
  share/bash-completion/completions/hostctl share/zsh/vendor-completions/_hostctl \
  share/fish/vendor_completions.d/hostctl.fish share/doc/hostctl/copyright share/doc/hostctl/changelog.gz; do
  expect_true test -s "$WORK/prefix/$f"
done
run_cmd "$WORK/prefix/bin/hostctl" version
expect_rc 0

TEST "cpack builds a .deb that unpacks and runs"
run_cmd cpack -G DEB -B "$WORK/deb" --config "$BUILD_DIR/CPackConfig.cmake"
expect_rc 0
deb=$(ls "$WORK"/deb/hostctl_*.deb 2>/dev/null | head -n 1)
expect_true test -n "$deb"
run_cmd dpkg-deb -f "$deb" Package Depends
expect_out_has "Package: hostctl"
expect_out_has "libssh"
run_cmd dpkg-deb -x "$deb" "$WORK/unpacked"
expect_rc 0
run_cmd "$WORK/unpacked/usr/bin/hostctl" version -o json
expect_rc 0
expect_json "d['version'] == '0.1.0'"
expect_true test -s "$WORK/unpacked/usr/share/man/man1/hostctl.1.gz"
run_cmd dpkg-deb -f "$deb" Depends
expect_out_has "libssh-4 (>= "
run_cmd file -b "$WORK/unpacked/usr/bin/hostctl"
expect_out_has ", stripped"
dbgsym=$(ls "$WORK"/deb/hostctl-dbgsym_*.ddeb 2>/dev/null | head -n 1)
expect_true test -n "$dbgsym"
run_cmd dpkg-deb -c "$dbgsym"
expect_out_has "./usr/lib/debug/.build-id/"

TEST "lintian finds no error and no warning in the .deb"
command -v lintian >/dev/null || { echo "skip: lintian is not installed (scripts/setup.sh installs it)"; exit 77; }
run_cmd lintian --fail-on error,warning "$deb"
expect_rc 0
printf '%s\n' "$OUT" | grep -E '^[EW]: ' && fail "lintian reports errors or warnings"

TEST "dpkg -i installs it (CI, as root)"
if [ "${CI:-}" = true ] && [ "$(id -u)" = 0 ]; then
  run_cmd dpkg -i "$deb"
  expect_rc 0
  run_cmd /usr/bin/hostctl version
  expect_rc 0
  run_cmd dpkg -r hostctl
  expect_rc 0
else
  echo "# dpkg -i runs only on CI as root, where the machine is thrown away"
fi

done_testing
