#!/usr/bin/env bash
# Random sequences of site, route and deployment operations through the real
# binary on the rig; after each one the invariants of docs/RULES.md must hold, and
# a refused operation (exit 2, 3, 4) must leave the catalog unchanged.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../rig/rig.sh"
rig_suite 1

SEED=${TEST_SEED:-$(date +%s)}
STEPS=${TEST_STEPS:-60}
echo "# seed $SEED, $STEPS steps (TEST_SEED=$SEED reproduces them)"
RANDOM=$SEED

q() { catalog_sql "$1"; }
pick() { local a=("$@"); [ ${#a[@]} -gt 0 ] && echo "${a[RANDOM % ${#a[@]}]}"; }
# Mostly existing objects, sometimes new or unknown names.
site() {
  local existing
  existing=$(q "SELECT name FROM site")
  if [ -n "$existing" ] && [ $((RANDOM % 4)) -ne 0 ]; then pick $existing; else echo "s$((RANDOM % 3 + 1))"; fi
}
route() {
  local existing
  existing=$(q "SELECT source FROM route")
  if [ -n "$existing" ] && [ $((RANDOM % 3)) -ne 0 ]; then pick $existing; else echo "r$((RANDOM % 4 + 1)).s$((RANDOM % 3 + 1)).test"; fi
}
deployment() { pick $(q "SELECT name FROM deployment WHERE stage != 'removed'") $(q "SELECT name FROM deployment WHERE stage != 'removed'") none; }

check_invariants() {
  # The catalog-wide rules are lifecycle::rule_problems, which doctor runs.
  "$HOSTCTL_BIN" doctor -o json > "$WORK/doctor.json" 2> "$WORK/doctor.err" ||
    fail "doctor found a broken rule: $(cat "$WORK/doctor.err")"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["rules"] != "ok" or d["problems"] != [])' \
    "$WORK/doctor.json" || fail "doctor: $(cat "$WORK/doctor.json")"
  # Rule 5: the router holds a file for exactly the domains of active routes.
  local want have
  want=$(q "SELECT source FROM route WHERE active = 1" | cut -d/ -f1 | LC_ALL=C sort -u)
  have=$(ls "$RIG_NGINX_DIR/sites" | sed -n 's/^hostctl-\(.*\)\.conf$/\1/p' | LC_ALL=C sort)
  [ "$want" = "$have" ] || fail "rule 5: router files ($have) differ from active routes ($want)"
}

TEST "random operations keep the invariants"
declare -A seen=([0]=0 [2]=0 [3]=0 [4]=0 [5]=0)
for step in $(seq 1 "$STEPS"); do
  case $((RANDOM % 12)) in
    0|1) args=(site create "$(site)" --service static-site) ;;
    2) args=(route add "$(route)" --site "$(site)" $(pick --primary "") $(pick --active-on-launch "")) ;;
    3) args=(route activate "$(route)") ;;
    4) args=(route deactivate "$(route)") ;;
    5) args=(site launch "$(site)") ;;
    6) args=(site clone "$(site)") ;;
    7) args=(site switch "$(site)" --to "$(deployment)") ;;
    8) args=(deployment "$(pick lock archive)" "$(deployment)") ;;
    9) args=(deployment delete "$(deployment)" --yes) ;;
    10) args=(route delete "$(route)" --yes) ;;
    11) args=(site delete "$(site)" --yes) ;;
  esac
  before=$(catalog_digest)
  hc "${args[@]}"
  seen[$RC]=$(( ${seen[$RC]:-0} + 1 ))
  case $RC in
    0|5) ;;
    2|3|4) [ "$(catalog_digest)" = "$before" ] || fail "step $step: refused 'hostctl ${args[*]}' (exit $RC) changed the catalog" ;;
    *) fail "step $step: 'hostctl ${args[*]}' exited $RC" ;;
  esac
  check_invariants
  [ "$CURRENT_OK" = 1 ] || { echo "  at step $step: hostctl ${args[*]} (exit $RC)"; break; }
done
echo "# outcomes: ${seen[0]} done, ${seen[4]} refused by a rule, ${seen[2]} bad input, ${seen[3]} not found, ${seen[5]} remote failures"
[ "${seen[0]}" -ge 5 ] || fail "fewer than 5 operations succeeded: the sequence tested little"
[ "${seen[4]}" -ge 1 ] || fail "no operation was refused: the rules were not exercised"
hc doctor
expect_rc 0

done_testing
