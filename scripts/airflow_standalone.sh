#!/usr/bin/env bash
# make airflow: Airflow standalone (UI on http://127.0.0.1:8080) on the embedded default: SQLite metadata in
# .airflow/, a throwaway PostgreSQL warehouse and the Front simulator (unless real connections are configured),
# the front_api pool imported and the connections stored in the metadata DB. Ctrl-C stops everything.
set -euo pipefail
source "$(dirname "$0")/airflow_env.sh"
cd "$ROOT"
export AIRFLOW__API__HOST=127.0.0.1 AIRFLOW__API__PORT="${AIRFLOW_PORT:-8080}" AIRFLOW__CORE__PARALLELISM=4
LOGS="$AIRFLOW_HOME/standalone-logs"
mkdir -p "$LOGS"
PGDIR="" SIM_PID=""
cleanup() {
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null
  [ -n "$PGDIR" ] && scripts/pg_stop.sh "$PGDIR"
  return 0
}
trap cleanup EXIT INT TERM

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
fi
# Store the connections in the metadata DB so they show in the UI (environment connections do not); one Python
# process instead of four CLI calls (each CLI call spends about 3 s importing Airflow).
unset AIRFLOW_CONN_FRONT_DEFAULT AIRFLOW_CONN_FRONT_WAREHOUSE
python - "$front" "$warehouse" <<'PY'
import sys
from airflow.models import Connection
from airflow.utils.session import create_session
with create_session() as session:
    for conn_id, value in zip(("front_default", "front_warehouse"), sys.argv[1:], strict=True):
        session.query(Connection).filter(Connection.conn_id == conn_id).delete()
        session.add(Connection.from_json(value, conn_id=conn_id) if value.startswith("{")
                    else Connection(conn_id=conn_id, uri=value))
PY
echo "Airflow UI: http://127.0.0.1:$AIRFLOW__API__PORT (user admin; password in $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated)"
airflow standalone
