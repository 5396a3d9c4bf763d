#!/usr/bin/env bash
# make demo: the whole flow through Airflow into a throwaway PostgreSQL, then the sync_logs summary:
# backfill (conversations, messages, comments), incremental (contacts, small resources, events), changes of every
# kind, incremental again, contact deletions, the nightly full run with deletion reconciliation.
# With no Front credentials it runs against the simulator (10,000 contacts) and makes the changes there.
# With AIRFLOW_CONN_FRONT_DEFAULT or FRONT_API_TOKEN set it syncs that Front account instead (read only).
# With AIRFLOW_CONN_FRONT_WAREHOUSE set it loads that database instead of a throwaway one.
set -euo pipefail
source "$(dirname "$0")/airflow_env.sh"
cd "$ROOT"
DEMO_CONTACTS="${DEMO_CONTACTS:-10000}"
DEMO_CHANGES="${DEMO_CHANGES:-50}"
DEMO_CONVERSATIONS="${DEMO_CONVERSATIONS:-1000}"
LOGS="$AIRFLOW_HOME/demo-logs"
mkdir -p "$LOGS"
PGDIR="" SIM_PID=""

cleanup() {
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
  [ -n "$PGDIR" ] && scripts/pg_stop.sh "$PGDIR"
  return 0
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
free_port() { python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

FRESH_WAREHOUSE=0
if [ -z "${AIRFLOW_CONN_FRONT_WAREHOUSE:-}" ]; then
  step "Starting a throwaway PostgreSQL"
  PGDIR=$(mktemp -d /tmp/front-sync-pg.XXXXXX)
  export AIRFLOW_CONN_FRONT_WAREHOUSE="$(scripts/pg_start.sh "$PGDIR")"
  FRESH_WAREHOUSE=1
fi

SIMULATED=0
if [ -z "${AIRFLOW_CONN_FRONT_DEFAULT:-}" ] && [ -n "${FRONT_API_TOKEN:-}" ]; then
  export AIRFLOW_CONN_FRONT_DEFAULT
  AIRFLOW_CONN_FRONT_DEFAULT=$(python -c 'import json, os; print(json.dumps({"conn_type": "front",
    "host": "https://api2.frontapp.com", "password": os.environ["FRONT_API_TOKEN"]}))')
fi
if [ -z "${AIRFLOW_CONN_FRONT_DEFAULT:-}" ]; then
  step "Starting the Front simulator with $DEMO_CONTACTS contacts and $DEMO_CONVERSATIONS conversations"
  SIM_PORT=$(free_port)
  python -m front_simulator --host 127.0.0.1 --port "$SIM_PORT" --seed 1 --contacts "$DEMO_CONTACTS" \
    --conversations "$DEMO_CONVERSATIONS" >"$LOGS/simulator.log" 2>&1 &
  SIM_PID=$!
  for _ in $(seq 1 300); do
    grep -q "listening on" "$LOGS/simulator.log" 2>/dev/null && break
    kill -0 "$SIM_PID" 2>/dev/null || { cat "$LOGS/simulator.log"; echo "simulator failed to start"; exit 1; }
    sleep 0.1
  done
  export SIM_URL="http://127.0.0.1:$SIM_PORT"
  export AIRFLOW_CONN_FRONT_DEFAULT="{\"conn_type\": \"front\", \"host\": \"$SIM_URL\", \"password\": \"test-token\",
    \"extra\": {\"allowed_hosts\": [\"localhost\"], \"rpm\": 100000, \"share\": 1.0, \"burst_per_second\": 0}}"
  SIMULATED=1
fi

step "Preparing Airflow metadata in $AIRFLOW_HOME (SQLite) and the front_api pool"
airflow db migrate >"$LOGS/db-migrate.log" 2>&1 || { tail -20 "$LOGS/db-migrate.log"; exit 1; }
airflow pools import pools.json >/dev/null
if [ "$FRESH_WAREHOUSE" = 1 ]; then
  python scripts/demo_tools.py reset-watermarks   # a fresh warehouse must not inherit old cursors
fi

run_dag() {
  local n=$1 dag=$2
  step "Run $n: airflow dags test $dag (log: $LOGS/run$n.log)"
  if ! airflow dags test "$dag" >"$LOGS/run$n.log" 2>&1; then
    grep -E "ERROR|Error|Exception" "$LOGS/run$n.log" | tail -20
    echo "run $n failed; full log in $LOGS/run$n.log"
    exit 1
  fi
  grep -oE "Synced [a-z_]+: .*" "$LOGS/run$n.log" | sed -E "s/ \[front_sync[^]]*\].*$//; s/^/  /" || true
}

run_dag 1 front_sync_backfill
run_dag 2 front_sync_incremental
if [ "$SIMULATED" = 1 ]; then
  step "Changing the account: $DEMO_CHANGES contacts, and every kind of conversation change"
  python scripts/demo_tools.py mutate --url "$SIM_URL" --contacts "$DEMO_CHANGES" --conversations 5
fi
run_dag 3 front_sync_incremental
if [ "$SIMULATED" = 1 ]; then
  step "Deleting 10 contacts (Front sends no event: the nightly full run finds them)"
  python scripts/demo_tools.py mutate --url "$SIM_URL" --delete-contacts 10
fi
run_dag 4 front_sync_full

step "front.sync_logs"
python scripts/demo_tools.py report --runs 4
echo "Dashboard: make airflow, log in, then Browse > Front sync: http://127.0.0.1:${AIRFLOW_PORT:-8080}/plugin/front-sync"
