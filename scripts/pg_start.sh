#!/usr/bin/env bash
# Start a throwaway PostgreSQL on loopback and print its URL (database "front", user "postgres", no password).
# Usage: scripts/pg_start.sh [DATADIR]   env: PGPORT (default: a free port), PG_BIN (folder with initdb/pg_ctl)
# Works as root (the server runs as the "postgres" user through runuser) and as an ordinary user.
# Stop it with scripts/pg_stop.sh DATADIR (the folder is printed on stderr and kept in DATADIR/url).
set -euo pipefail

find_pg_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  if command -v initdb >/dev/null 2>&1; then dirname "$(readlink -f "$(command -v initdb)")"; return; fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$d" ] && [ -x "$d/initdb" ]; then echo "$d"; return; fi
  ls -d /usr/local/pgsql/bin 2>/dev/null || true
}

PGBIN=$(find_pg_bin)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ]; then
  echo "pg_start.sh: PostgreSQL server binaries (initdb, pg_ctl) not found." >&2
  echo "  Install them: 'apt-get install postgresql' (Debian/Ubuntu) or 'brew install postgresql' (macOS)," >&2
  echo "  or point PG_BIN at the folder that holds initdb and pg_ctl." >&2
  exit 2
fi

PGDATA="${1:-${PGDATA:-$(mktemp -d /tmp/front-sync-pg.XXXXXX)}}"
PGPORT="${PGPORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
mkdir -p "$PGDATA"
chmod 700 "$PGDATA"

as_pg=()
if [ "$(id -u)" = "0" ]; then
  # initdb refuses to run as root: run the server as the unprivileged "postgres" user.
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
  chown postgres: "$PGDATA"
  as_pg=(runuser -u postgres --)
fi

"${as_pg[@]}" "$PGBIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --no-locale >"$PGDATA.initdb.log" 2>&1 || {
  echo "pg_start.sh: initdb failed; see $PGDATA.initdb.log" >&2; exit 1; }
rm -f "$PGDATA.initdb.log"
"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 30 \
  -o "-p $PGPORT -c listen_addresses=127.0.0.1 -k $PGDATA -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null || { echo "pg_start.sh: server did not start; see $PGDATA/server.log" >&2; exit 1; }
"${as_pg[@]}" "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres -qc "CREATE DATABASE front;" >/dev/null

URL="postgresql://postgres@127.0.0.1:$PGPORT/front"
echo "$PGBIN" >"$PGDATA/front_sync_pgbin"
echo "$URL" >"$PGDATA/front_sync_url"
echo "pg_start.sh: PostgreSQL running, data in $PGDATA" >&2
echo "$URL"
