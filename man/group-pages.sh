#!/bin/sh
# Writes hostctl-GROUP.1 for each command group, from the ".SS hostctl GROUP ..."
# sections of hostctl.1, so the two never disagree.
#   man/group-pages.sh [OUTPUT_DIR]
set -eu
dir=$(dirname "$0")
out=${1:-$dir}
while IFS='|' read -r group summary; do
  {
    printf '.TH HOSTCTL-%s 1 "2026-11-23" "hostctl 0.1.0" "User Commands"\n' "$(echo "$group" | tr a-z A-Z)"
    printf '.SH NAME\nhostctl\\-%s \\- %s\n' "$group" "$summary"
    printf '.SH SYNOPSIS\n.B hostctl %s\n.I command\n.RI [ arguments ]\n' "$group"
    printf '.SH COMMANDS\n'
    awk -v g="$group" '
      /^\.S[HS] / { keep = ($1 == ".SS" && $2 == "hostctl" && $3 == g) }
      keep { print }' "$dir/hostctl.1"
    # Each command's own options are in its section above; the options every
    # command takes are hostctl.1's GLOBAL OPTIONS, copied here as git's pages do.
    printf '.SH OPTIONS\nThe options of each command are listed with it under COMMANDS. Every command also takes:\n'
    awk '/^\.SH / { on = ($0 == ".SH GLOBAL OPTIONS"); next } on' "$dir/hostctl.1"
    # The group's lines of hostctl.1's EXAMPLES: every group has some.
    examples=$(awk -v g="$group" '/^\.SH EXAMPLES/ { on = 1; next } /^\.SH / { on = 0 }
      on && $1 == "hostctl" && $2 == g' "$dir/hostctl.1")
    [ -n "$examples" ] || { echo "group-pages.sh: no example for '$group' in EXAMPLES of hostctl.1" >&2; exit 1; }
    printf '.SH EXAMPLES\n.nf\n%s\n.fi\n' "$examples"
    printf '.SH SEE ALSO\n.BR hostctl (1)\n'
  } > "$out/hostctl-$group.1"
done <<'GROUPS'
service|service plans: what a deployment installs and runs
host|machines that run deployments or route traffic
client|who owns sites
config|settings and where they come from
deployment|installed copies of services on hosts
site|what clients buy: deployments and routes
route|domains and paths routers serve for sites
backup|archives of sites on their hosts
reserve|ready copies made ahead, so new sites go live at once
queue|what cron runs every minute
usage|metered usage of deployments
package|the package inventory the deployments report
audit|the audit trail: who changed the catalog, and when
task|commands and their tasks: status, logs, retry, cancel
catalog|the catalog itself: copy it to another, such as PostgreSQL
GROUPS
