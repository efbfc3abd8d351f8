#!/bin/sh
# Writes the site's page. HOSTCTL_PARAM_TITLE is checked against the plan's
# pattern before it gets here; it is still escaped, never trusted.
set -eu
title=$(printf '%s' "${HOSTCTL_PARAM_TITLE:-New site}" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g')
site=${HOSTCTL_SITE:-unallocated}
tmp="$HOSTCTL_ROOT/public/.index.html.tmp"
cat > "$tmp" <<HTML
<!doctype html>
<html><head><title>$title</title></head>
<body><h1>$title</h1><p>site: $site</p><p>deployment: $HOSTCTL_DEPLOYMENT</p></body></html>
HTML
chmod 644 "$tmp"
mv "$tmp" "$HOSTCTL_ROOT/public/index.html"
