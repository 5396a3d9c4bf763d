#!/usr/bin/env bash
# make airflow: Airflow standalone (UI on http://127.0.0.1:8080, or AIRFLOW_PORT) on the embedded default: SQLite
# metadata in .airflow/, a throwaway PostgreSQL warehouse and the Front simulator (unless real connections are
# configured), the front_api pool imported and the connections stored in the metadata DB; and the webhook receiver
# (python -m front_sync.realtime on FRONT_SYNC_WEBHOOK_PORT, default 8090; README "Real-time updates"). With the
# embedded simulator, real time is wired too: a fresh signing secret and the simulator's company id make the
# front_webhook connection, and the receiver's URL is registered with the simulator (the challenge handshake), so
# every simulated change is a signed webhook that wakes front_sync_realtime (scripts/realtime_wiring.py).
# Ctrl-C (or SIGTERM) stops everything within a few seconds: Airflow runs in its own session, which gets SIGTERM
# and, after STOP_GRACE_SECONDS (default 5), SIGKILL (LocalExecutor workers ignore SIGINT/SIGTERM, and task
# processes sit in process groups of their own); then the simulator and the throwaway PostgreSQL are stopped, and the
# script exits only once every process it started is gone (the same bounded grace each), so ports are free.
set -euo pipefail
source "$(dirname "$0")/airflow_env.sh"
cd "$ROOT"
export AIRFLOW__API__HOST=127.0.0.1 AIRFLOW__CORE__PARALLELISM=4
airflow_port_env "${AIRFLOW_PORT:-8080}"
GRACE="${STOP_GRACE_SECONDS:-5}"
LOGS="$AIRFLOW_HOME/standalone-logs"
mkdir -p "$LOGS"
PGDIR="" SIM_PID="" AF_SID="" HOOK_PID="" SIM_URL="" WIRED=""

session_pids() {  # the live processes of Airflow's session (task processes change their group, not the session)
  ps -eo pid=,sid=,stat= | awk -v sid="$1" '$2 == sid && $3 !~ /^Z/ { print $1 }'
}

wait_gone() {  # wait up to $2 seconds for Airflow's session to empty; fails if it did not
  local waited=0
  while [ -n "$(session_pids "$1")" ]; do
    [ "$waited" -lt $(($2 * 10)) ] || return 1
    sleep 0.1
    waited=$((waited + 1))
  done
}

pid_alive() {  # a live (not zombie) process
  local stat
  stat=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ "$stat" != Z* ]]
}

stop_pid() {  # SIGTERM $1 ($2 names it), wait up to GRACE seconds for it to be gone, then SIGKILL and wait again
  local pid="$1" waited=0
  kill -TERM "$pid" 2>/dev/null || true
  while pid_alive "$pid"; do
    if [ "$waited" -eq $((GRACE * 10)) ]; then
      echo "$2 still running after ${GRACE}s: SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    elif [ "$waited" -gt $((GRACE * 10 + 50)) ]; then
      echo "$2 (pid $pid) did not exit" >&2
      return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  wait "$pid" 2>/dev/null || true   # reap it when it is our child
}

stop_airflow() {
  [ -n "$AF_SID" ] || return 0
  local pids
  pids=$(session_pids "$AF_SID")
  [ -n "$pids" ] || return 0
  echo "Stopping Airflow (SIGTERM, then SIGKILL after ${GRACE}s)..." >&2
  kill -TERM $pids 2>/dev/null || true
  wait_gone "$AF_SID" "$GRACE" && return 0
  echo "Airflow still running after ${GRACE}s: SIGKILL" >&2
  kill -KILL $(session_pids "$AF_SID") 2>/dev/null || true
  wait_gone "$AF_SID" 5 || echo "Airflow processes still running: $(session_pids "$AF_SID")" >&2
}

cleanup() {
  trap - EXIT INT TERM
  stop_airflow
  if [ -n "$HOOK_PID" ]; then stop_pid "$HOOK_PID" "the webhook receiver" || true; fi
  if [ -n "$SIM_PID" ]; then stop_pid "$SIM_PID" "the Front simulator" || true; fi
  if [ -n "$PGDIR" ]; then
    # pg_ctl stop waits for the pid file only; the postmaster may still be exiting: wait for the process too.
    local postmaster
    postmaster=$(head -n 1 "$PGDIR/postmaster.pid" 2>/dev/null || true)
    scripts/pg_stop.sh "$PGDIR" || true
    if [ -n "$postmaster" ]; then stop_pid "$postmaster" "PostgreSQL" || true; fi
  fi
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

airflow db migrate >"$LOGS/db-migrate.log" 2>&1 || { tail -20 "$LOGS/db-migrate.log"; exit 1; }
airflow pools import pools.json >/dev/null

warehouse="${AIRFLOW_CONN_FRONT_WAREHOUSE:-}"
if [ -z "$warehouse" ]; then
  PGDIR=$(mktemp -d /tmp/front-sync-pg.XXXXXX)
  warehouse=$(scripts/pg_start.sh "$PGDIR")
  python scripts/demo_tools.py reset-watermarks   # a fresh warehouse must not inherit old cursors
fi
front="${AIRFLOW_CONN_FRONT_DEFAULT:-}"
if [ -z "$front" ] && [ -n "${FRONT_API_TOKEN:-}" ]; then
  front=$(python -c 'import json, os; print(json.dumps({"conn_type": "front",
    "host": "https://api2.frontapp.com", "password": os.environ["FRONT_API_TOKEN"]}))')
fi
if [ -z "$front" ]; then
  port=$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  python -m front_simulator --host 127.0.0.1 --port "$port" --seed 1 --contacts "${DEMO_CONTACTS:-10000}" \
    >"$LOGS/simulator.log" 2>&1 &
  SIM_PID=$!
  front="{\"conn_type\": \"front\", \"host\": \"http://127.0.0.1:$port\", \"password\": \"test-token\",
    \"extra\": {\"allowed_hosts\": [\"localhost\"], \"rpm\": 100000, \"share\": 1.0, \"burst_per_second\": 0}}"
  echo "Front simulator on http://127.0.0.1:$port (control API under /_simulator)"
  SIM_URL="http://127.0.0.1:$port"
  if [ -z "${AIRFLOW_CONN_FRONT_WEBHOOK:-}" ]; then
    # front_webhook: a fresh signing secret and the simulator's company id (once it answers).
    AIRFLOW_CONN_FRONT_WEBHOOK=$(python scripts/realtime_wiring.py connection "$SIM_URL")
    export AIRFLOW_CONN_FRONT_WEBHOOK
    WIRED=1
  fi
fi
# Store the connections in the metadata DB so they show in the UI (environment connections do not); one Python
# process instead of four CLI calls (each CLI call spends about 3 s importing Airflow).
unset AIRFLOW_CONN_FRONT_DEFAULT AIRFLOW_CONN_FRONT_WAREHOUSE
python - "$front" "$warehouse" "${WIRED:+$AIRFLOW_CONN_FRONT_WEBHOOK}" <<'PY'
import sys
from airflow.models import Connection
from airflow.utils.session import create_session
with create_session() as session:
    for conn_id, value in zip(("front_default", "front_warehouse", "front_webhook"), sys.argv[1:]):
        if not value:
            continue
        session.query(Connection).filter(Connection.conn_id == conn_id).delete()
        session.add(Connection.from_json(value, conn_id=conn_id) if value.startswith("{")
                    else Connection(conn_id=conn_id, uri=value))
PY
# The receiver reads no metadata DB: it gets the warehouse (stored there above) in its environment.
mapfile -d '' hook_env < <(webhook_receiver_env "AIRFLOW_CONN_FRONT_WAREHOUSE=$warehouse")
env -i "${hook_env[@]}" python -m front_sync.realtime >"$LOGS/webhooks.log" 2>&1 &
HOOK_PID=$!
echo "Front webhook receiver: http://127.0.0.1:$(webhook_port)/webhooks/front (log $LOGS/webhooks.log; it accepts" \
  "webhooks once AIRFLOW_CONN_FRONT_WEBHOOK is set, docs/runbook.md \"Real-time webhooks\")"
if [ -n "$WIRED" ]; then
  # The warehouse migrated (the receiver stores into it before any DAG ran), then the simulator's webhook sent to
  # the receiver once it answers (registration sends the challenge first); a failure is reported and Airflow
  # starts anyway: the hourly run syncs without webhooks.
  python scripts/realtime_wiring.py register "$SIM_URL" "http://127.0.0.1:$(webhook_port)" "$warehouse" \
    || echo "Real time not wired: the simulator's webhook could not be registered (log $LOGS/webhooks.log)" >&2
fi
echo "Airflow UI: $AIRFLOW__API__BASE_URL (user admin; password in $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated)"
# Its own session (setsid): Ctrl-C reaches only this script, which stops the whole session in order (see above).
setsid airflow standalone &
AF_SID=$!
wait "$AF_SID"
