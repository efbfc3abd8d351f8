#!/bin/sh
# Renders public/index.html from the notes table, escaping every note.
set -eu
title=$(printf '%s' "${HOSTCTL_PARAM_TITLE:-Notes}" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g')
tmp="$HOSTCTL_ROOT/public/.index.html.tmp"
{
  printf '<!doctype html>\n<html><head><title>%s</title></head><body><h1>%s</h1><ul>\n' "$title" "$title"
  sqlite3 -separator ' ' "$HOSTCTL_ROOT/data/notes.db" "SELECT id, body FROM note ORDER BY id;" |
    sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/^/<li>/; s/$/<\/li>/'
  printf '</ul><p>deployment: %s</p></body></html>\n' "${HOSTCTL_DEPLOYMENT:-}"
} > "$tmp"
chmod 644 "$tmp"
mv "$tmp" "$HOSTCTL_ROOT/public/index.html"
