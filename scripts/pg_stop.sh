#!/usr/bin/env bash
# Stop a PostgreSQL started by scripts/pg_start.sh and delete its data folder.
# Usage: scripts/pg_stop.sh DATADIR
set -euo pipefail
PGDATA="${1:?usage: pg_stop.sh DATADIR (the folder pg_start.sh reported)}"
[ -d "$PGDATA" ] || { echo "pg_stop.sh: $PGDATA does not exist; nothing to stop" >&2; exit 0; }
PGBIN=$(cat "$PGDATA/front_sync_pgbin" 2>/dev/null || dirname "$(readlink -f "$(command -v pg_ctl)")")
as_pg=()
[ "$(id -u)" = "0" ] && as_pg=(runuser -u postgres --)
"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
case "$PGDATA" in
  /tmp/front-sync-pg.*|*/front-sync-pg*) rm -rf "$PGDATA" ;;
  *) echo "pg_stop.sh: stopped; left $PGDATA in place (not a pg_start.sh temp folder)" >&2 ;;
esac
