# Sourced by the scripts: the embedded default Airflow (SQLite metadata under .airflow/, this repo's DAGs).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export AIRFLOW_HOME="${AIRFLOW_HOME:-$ROOT/.airflow}"
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags"
export AIRFLOW__CORE__PLUGINS_FOLDER="$ROOT/plugins"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__UNIT_TEST_MODE=False
export PATH="$ROOT/.venv/bin:$PATH"
mkdir -p "$AIRFLOW_HOME"

# The settings derived from the API server's port (make airflow's AIRFLOW_PORT): where the UI and the REST API
# listen, and where task processes call the execution API (Airflow's default is http://localhost:8080/execution/,
# so on any other port every task would fail to start and sit in up_for_retry). On a port other than 8080 the
# worker and triggerer log servers move to the two ports above it, so a second instance does not collide.
airflow_port_env() {
  local port="${1:?usage: airflow_port_env PORT}"
  export AIRFLOW__API__PORT="$port"
  export AIRFLOW__API__BASE_URL="http://127.0.0.1:$port"
  export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:$port/execution/"
  if [ "$port" != 8080 ]; then
    export AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT="$((port + 1))"
    export AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT="$((port + 2))"
  fi
}

# Project settings of every local Airflow (make airflow; docker-compose.yaml sets the same): the connection form's
# Test button (Airflow disables it by default; FrontHook.test_connection calls GET /me with the token).
export AIRFLOW__CORE__TEST_CONNECTION="${AIRFLOW__CORE__TEST_CONNECTION:-Enabled}"

# The webhook receiver (python -m front_sync.realtime, README "Real-time updates") of make airflow and
# make airflow-celery: its port (FRONT_SYNC_WEBHOOK_PORT, default 8090, or the API port + 3 when Airflow is not on
# 8080, so a second instance does not collide) and its environment, printed NUL-separated for `env -i`: the tenants'
# webhook and warehouse connections and its own settings only, never an Airflow setting, the Front API token or
# another secret (it never calls Airflow or Front). Extra NAME=VALUE arguments are added (make airflow passes the
# warehouse it stored in the metadata DB).
webhook_port() {
  if [ -n "${FRONT_SYNC_WEBHOOK_PORT:-}" ]; then echo "$FRONT_SYNC_WEBHOOK_PORT"
  elif [ "${AIRFLOW__API__PORT:-8080}" = 8080 ]; then echo 8090
  else echo $((AIRFLOW__API__PORT + 3)); fi
}
webhook_receiver_env() {
  local var conn_vars
  # AIRFLOW_CONN_<ID> of each tenant's webhook and warehouse connection (Airflow upper-cases the id).
  conn_vars=$(python -c 'from front_sync.config import tenants
print(" ".join(f"AIRFLOW_CONN_{i.upper()}" for t in tenants() for i in (t.webhook_conn_id, t.warehouse_conn_id)))')
  for var in PATH HOME AIRFLOW_HOME $conn_vars "${!FRONT_SYNC_WEBHOOK_@}" FRONT_SYNC_TENANTS; do
    [[ "$var" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] && [ -n "${!var+x}" ] && printf '%s=%s\0' "$var" "${!var}"
  done
  printf 'FRONT_SYNC_WEBHOOK_PORT=%s\0' "$(webhook_port)"
  [ $# -eq 0 ] || printf '%s\0' "$@"
}
