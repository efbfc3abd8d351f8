#!/usr/bin/env bash
# Moving a site's data between hosts: `site migrate` of a static site carrying
# SIZE_MB of files (backup, fresh install on the target, the archive streamed
# host to host over SFTP through the control node, restore, switch), beside
# OpenSSH moving the same archive the same way (`ssh src cat | ssh dst cat`).
#   bench/migrate.sh [BUILD_DIR] [SIZE_MB]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${1:-$ROOT/build}
SIZE_MB=${2:-512}
export HOSTCTL_BIN="$BUILD_DIR/hostctl"
. "$ROOT/tests/rig/rig.sh"
rig_skip_unless_ready
WORK=$(mktemp -d)
export HOSTCTL_CATALOG="$WORK/catalog.db"
H=$HOSTCTL_BIN
$H init -q >/dev/null
rig_start 2 >/dev/null
rig_register >/dev/null
$H createservice "$ROOT/schemas/examples/static-site/service.yaml" -q >/dev/null
$H site create big --service static-site --host rig1 -q >/dev/null
dir=$($H deployment show "$($H site show big --field active_deployment)" --field directory)
# Random data: gzip cannot shrink it, so the archive is as large as the site.
head -c "$((SIZE_MB * 1024 * 1024))" /dev/urandom > "$dir/public/data.bin"
[ "$(id -u)" != 0 ] || chown -R "$RIG_USER" "$dir/public"

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
start=$(date +%s%N)
$H site migrate big --to-host rig2 -q >/dev/null
migrate=$(ms "$start")
copy=$(sqlite3 "$HOSTCTL_CATALOG" "SELECT CAST(round((julianday(max(t.finished_at)) - julianday(min(t.started_at))) * 86400000) AS INTEGER)
  FROM task t JOIN command c ON c.id = t.command_id WHERE c.action = 'migrate copy'")
archive=$(sqlite3 "$HOSTCTL_CATALOG" "SELECT path FROM backup ORDER BY id LIMIT 1")

ssh_opts=(-F none -i "$RIG_KEY" -o UserKnownHostsFile="$RIG_KNOWN_HOSTS" -o StrictHostKeyChecking=yes -o BatchMode=yes)
start=$(date +%s%N)
ssh "${ssh_opts[@]}" -p "${RIG_PORT[1]}" "$RIG_USER@${RIG_ADDR[1]}" cat "$archive" |
  ssh "${ssh_opts[@]}" -p "${RIG_PORT[2]}" "$RIG_USER@${RIG_ADDR[2]}" "cat > '${RIG_BASE[2]}/openssh-copy.bin'"
openssh=$(ms "$start")
cmp -s "$archive" "${RIG_BASE[2]}/openssh-copy.bin"

size=$(stat -c %s "$archive")
echo "site migrate of a static site with ${SIZE_MB} MiB of data (archive $((size / 1048576)) MiB)"
echo "  whole migrate:            ${migrate} ms"
echo "  its migrate copy command: ${copy} ms (catalog times, 1 s resolution) ($(( size / 1048576 * 1000 / (copy > 0 ? copy : 1) )) MiB/s)"
echo "  OpenSSH ssh|ssh, same archive: ${openssh} ms ($(( size / 1048576 * 1000 / (openssh > 0 ? openssh : 1) )) MiB/s)"
echo "  ratio copy / OpenSSH: $(python3 -c "print(f'{$copy / $openssh:.2f}')")"
rig_stop
rm -rf "$WORK"
