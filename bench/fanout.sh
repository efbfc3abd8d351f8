#!/usr/bin/env bash
# Fan-out benchmark: a trivial command on N loopback sshd hosts (N = 1, 8, 32)
# with `hostctl host exec`, `ansible all -m shell` (forks = N), parallel-ssh
# (-p N) and a loop of plain ssh, all in one run. Prints median wall times of
# RUNS runs and the ratios against hostctl.
#   bench/fanout.sh [BUILD_DIR] [RUNS]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${1:-$ROOT/build}
RUNS=${2:-5}
export HOSTCTL_BIN="$BUILD_DIR/hostctl"

need=()
command -v ansible >/dev/null || need+=(ansible-core)
command -v parallel-ssh >/dev/null || need+=(pssh)
command -v ssh >/dev/null || need+=(openssh-client)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

. "$ROOT/tests/rig/rig.sh"
rig_skip_unless_ready
WORK=$(mktemp -d)
export HOSTCTL_CATALOG="$WORK/catalog.db"
"$HOSTCTL_BIN" init -q >/dev/null
rig_start 32 >/dev/null
rig_register

# Median wall time in milliseconds of RUNS runs of "$@" (output discarded).
median_ms() {
  local times=() i start
  for i in $(seq 1 "$RUNS"); do
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "FAILED"; return; }
    times+=($(( ($(date +%s%N) - start) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}

ssh_opts=(-o BatchMode=yes -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$RIG_KNOWN_HOSTS" -i "$RIG_KEY"
  -o LogLevel=ERROR -F /dev/null)

run_hostctl() { "$HOSTCTL_BIN" --jobs "$1" -q host exec $(seq -f 'rig%g' 1 "$1") -- true; }

write_inventories() {
  local n=$1 i
  : > "$WORK/inventory.ini"
  : > "$WORK/pssh_hosts"
  for i in $(seq 1 "$n"); do
    echo "rig$i ansible_host=${RIG_ADDR[$i]} ansible_port=${RIG_PORT[$i]} ansible_user=$RIG_USER" >> "$WORK/inventory.ini"
    echo "$RIG_USER@${RIG_ADDR[$i]}:${RIG_PORT[$i]}" >> "$WORK/pssh_hosts"
  done
}
run_ansible() {
  ANSIBLE_HOST_KEY_CHECKING=True ANSIBLE_SSH_ARGS="-o UserKnownHostsFile=$RIG_KNOWN_HOSTS -F /dev/null" \
    ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_LOCAL_TEMP="$WORK/ansible-local" \
    ANSIBLE_REMOTE_TEMP=/tmp/.ansible-hostctl-bench \
    ansible all -i "$WORK/inventory.ini" -m shell -a true -f "$1" --private-key "$RIG_KEY"
}
run_pssh() {
  parallel-ssh -h "$WORK/pssh_hosts" -p "$1" -O BatchMode=yes -O StrictHostKeyChecking=yes \
    -O "UserKnownHostsFile=$RIG_KNOWN_HOSTS" -O "IdentityFile=$RIG_KEY" -O LogLevel=ERROR true
}
run_ssh_loop() {
  local i
  for i in $(seq 1 "$1"); do ssh "${ssh_opts[@]}" -p "${RIG_PORT[$i]}" "$RIG_USER@${RIG_ADDR[$i]}" true || return 1; done
}

echo "fan-out of 'true' to N loopback sshd hosts; median of $RUNS runs, wall ms ($(nproc) cores)"
printf '%4s %9s %9s %13s %9s %17s %14s\n' N hostctl ansible parallel-ssh ssh-loop ansible/hostctl pssh/hostctl
for n in 1 8 32; do
  write_inventories "$n"
  h=$(median_ms run_hostctl "$n")
  a=$(median_ms run_ansible "$n")
  p=$(median_ms run_pssh "$n")
  s=$(median_ms run_ssh_loop "$n")
  ratio() { [[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ && $2 -gt 0 ]] && awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1fx", a / b}' || echo "-"; }
  printf '%4s %9s %9s %13s %9s %17s %14s\n' "$n" "$h" "$a" "$p" "$s" "$(ratio "$a" "$h")" "$(ratio "$p" "$h")"
done
echo "targets: hostctl >= 5x faster than ansible, and no slower than parallel-ssh at N = 32"
