#!/usr/bin/env bash
# make airflow-celery: docker-compose.yaml's topology run natively, without a Docker engine.
#   Redis (broker), PostgreSQL (Airflow's metadata DB and the warehouse, two databases on one throwaway server),
#   api-server (UI and the execution API the workers' tasks talk to), scheduler (CeleryExecutor), dag-processor,
#   triggerer and FRONT_SYNC_CELERY_WORKERS Celery workers (default 2: worker1, worker2), the webhook receiver
#   (python -m front_sync.realtime, FRONT_SYNC_WEBHOOK_PORT, default 8090), plus the Front simulator unless a Front
#   connection or a tenant list is given; with the simulator, real time is wired (a fresh signing secret and the
#   simulator's company id make AIRFLOW_CONN_FRONT_WEBHOOK unless it is given, and the receiver's URL is registered
#   with the simulator: scripts/realtime_wiring.py). Each component runs in its own process group; Ctrl-C or SIGTERM stops them
#   all (workers first, warm shutdown), then Redis and PostgreSQL.
#
# Usage:
#   scripts/airflow_celery.sh               start everything and wait (UI on http://127.0.0.1:${AIRFLOW_PORT:-8080})
#   scripts/airflow_celery.sh worker NAME   one more worker for the running cluster in FRONT_SYNC_CELERY_DIR,
#                                           in the foreground (scale out, or replace a worker that died)
#
# Settings (environment):
#   FRONT_SYNC_CELERY_DIR          working folder: Airflow home, logs, PostgreSQL data, pids/, cluster.env
#                                  (default: a new /tmp folder, deleted at exit unless FRONT_SYNC_CELERY_KEEP=1)
#   FRONT_SYNC_CELERY_WORKERS      number of workers (2); FRONT_SYNC_WORKER_CONCURRENCY task slots each (1)
#   FRONT_SYNC_TRIGGERER           0 leaves the triggerer out (it runs front_sync_realtime's webhook watcher: without
#                                  it no webhook wakes a run, the hourly run still syncs everything)
#   AIRFLOW_PORT                   the api-server's port (8080)
#   AIRFLOW_CONN_FRONT_DEFAULT / FRONT_API_TOKEN, AIRFLOW_CONN_FRONT_WAREHOUSE: real connections instead of the
#                                  simulator / the throwaway warehouse database. Connections reach every component
#                                  through the environment only; none is stored in the metadata DB.
#   FRONT_SYNC_TENANTS             a tenant list (docs/deploying.md, tenants): every component gets it, its
#                                  pools are imported next to pools.json, and no simulator is started (the tenants'
#                                  connections, AIRFLOW_CONN_<ID>, come from the environment like any other)
#   FRONT_SYNC_PG_DATABASES        more databases to create on the throwaway PostgreSQL, e.g. "front_acme
#                                  front_globex" (one warehouse per tenant); PGPORT fixes its port (default: a free
#                                  one), so connections given before the start can name them
#   AIRFLOW__*                     any other Airflow setting, passed to every component as given
#   DEMO_CONTACTS, DEMO_CONVERSATIONS  the simulator's account size (10,000 and 1,000)
#
# cluster.env (mode 600) holds the environment every component got, and API_URL, METADATA_URL, WAREHOUSE_URL,
# SIM_URL, REDIS_URL: `source "$FRONT_SYNC_CELERY_DIR/cluster.env"` to reach the cluster from another shell.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
log() { printf '[airflow-celery %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# One Celery worker in the foreground (exec): its own host name in task_instance.hostname (several workers share
# this machine) and its own log-server port (each worker serves its task logs on one).
run_worker() {
  local name=$1
  export FRONT_SYNC_WORKER_HOSTNAME="$name"
  export AIRFLOW__CORE__HOSTNAME_CALLABLE=front_sync.ops.worker_host.hostname
  AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=$(free_port)
  export AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT
  mkdir -p "$FRONT_SYNC_CELERY_DIR/run"   # Celery's pid file, one per worker (the default is one per AIRFLOW_HOME)
  exec airflow celery worker --celery-hostname "$name@%h" --concurrency "${FRONT_SYNC_WORKER_CONCURRENCY:-1}" \
    --pid "$FRONT_SYNC_CELERY_DIR/run/$name.pid"
}

if [ "${1:-}" = "worker" ]; then
  name="${2:?usage: airflow_celery.sh worker NAME}"
  state="${FRONT_SYNC_CELERY_DIR:?set FRONT_SYNC_CELERY_DIR to the folder of the running cluster}"
  [ -f "$state/cluster.env" ] || { echo "no cluster.env in $state: is the cluster running?" >&2; exit 1; }
  # shellcheck disable=SC1091
  source "$state/cluster.env"
  echo $$ >"$state/pids/$name"   # the cluster's shutdown stops it too
  run_worker "$name"
fi
[ $# -eq 0 ] || { echo "usage: airflow_celery.sh [worker NAME]" >&2; exit 2; }

REDIS_SERVER=$(command -v redis-server || true)
[ -n "$REDIS_SERVER" ] || { echo "redis-server not found: apt-get install redis-server" >&2; exit 2; }

CREATED_STATE=0
if [ -z "${FRONT_SYNC_CELERY_DIR:-}" ]; then
  FRONT_SYNC_CELERY_DIR=$(mktemp -d /tmp/front-sync-celery.XXXXXX)
  CREATED_STATE=1
fi
STATE="$FRONT_SYNC_CELERY_DIR"
export FRONT_SYNC_CELERY_DIR   # the workers (this script's `worker NAME`) read cluster.env from it
mkdir -p "$STATE/pids" "$STATE/logs" "$STATE/redis"
chmod 755 "$STATE"   # the postgres user must reach the data folder inside
export AIRFLOW_HOME="$STATE/airflow"
# shellcheck source=scripts/airflow_env.sh
source "$ROOT/scripts/airflow_env.sh"
cd "$ROOT"
LOGS="$STATE/logs"
PGDIR="$STATE/front-sync-pg"
COMPONENTS=()   # started names, in order; pids/<name> holds each one's pid (= its process group id)

# SIGTERM the process groups of the named components together, wait up to $1 seconds for all of them, then
# SIGKILL what is left. A worker added by hand may not lead a process group: then its process alone.
stop_components() {
  local grace=$1 name pid target i targets=() names=()
  shift
  for name in "$@"; do
    pid=$(cat "$STATE/pids/$name" 2>/dev/null) || continue
    rm -f "$STATE/pids/$name"
    target="-$pid"
    kill -0 -- "$target" 2>/dev/null || target="$pid"
    kill -TERM -- "$target" 2>/dev/null && targets+=("$target") && names+=("$name")
  done
  for _ in $(seq 1 $((grace * 5))); do
    local left=0
    for target in "${targets[@]}"; do kill -0 -- "$target" 2>/dev/null && left=1; done
    [ "$left" = 0 ] && return 0
    sleep 0.2
  done
  for i in "${!targets[@]}"; do
    if kill -0 -- "${targets[$i]}" 2>/dev/null; then
      log "${names[$i]} still running ${grace} s after SIGTERM: SIGKILL ($(pgrep -a -g "${targets[$i]#-}" \
        2>/dev/null | cut -c1-80 | tr '\n' ';'))"
      kill -KILL -- "${targets[$i]}" 2>/dev/null || true
    fi
  done
}

cleanup() {
  trap - EXIT INT TERM
  log "stopping"
  local i rest=()
  # Workers first (warm shutdown: a running task may finish), those added with `worker NAME` included; then the
  # webhook receiver, scheduler, dag-processor, triggerer and api-server; Redis and the simulator last.
  # shellcheck disable=SC2046
  stop_components 30 $(cd "$STATE/pids" && ls -d worker* 2>/dev/null)
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
    case "${COMPONENTS[$i]}" in worker* | redis | simulator) ;; *) rest+=("${COMPONENTS[$i]}") ;; esac
  done
  stop_components 20 "${rest[@]}"
  stop_components 10 redis simulator
  [ -d "$PGDIR" ] && "$ROOT/scripts/pg_stop.sh" "$PGDIR"
  if [ "$CREATED_STATE" = 1 ] && [ "${FRONT_SYNC_CELERY_KEEP:-0}" != 1 ]; then
    rm -rf "$STATE"
  else
    log "logs kept in $LOGS and $AIRFLOW_HOME/logs"
  fi
  log "stopped"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Start a component in its own session (so its whole process tree can be signalled, or killed alone).
start() {
  local name=$1
  shift
  setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$STATE/pids/$name"
  COMPONENTS+=("$name")
}

alive() { kill -0 "$(cat "$STATE/pids/$1" 2>/dev/null || echo 0)" 2>/dev/null; }

# Wait up to $2 seconds for the command "${@:3}" to succeed; fail (showing the log) if component $1 exits.
wait_until() {
  local name=$1 timeout=$2
  shift 2
  for _ in $(seq 1 $((timeout * 2))); do
    "$@" >/dev/null 2>&1 && return 0
    alive "$name" || { tail -30 "$LOGS/$name.log" >&2; echo "$name exited during start-up" >&2; return 1; }
    sleep 0.5
  done
  tail -30 "$LOGS/$name.log" >&2
  echo "$name not ready after $timeout s" >&2
  return 1
}

log "working folder $STATE"
PG_URL=$("$ROOT/scripts/pg_start.sh" "$PGDIR" 2>"$LOGS/pg_start.log") || { cat "$LOGS/pg_start.log" >&2; exit 1; }
"$(cat "$PGDIR/front_sync_pgbin")/psql" "$PG_URL" -qc "CREATE DATABASE airflow;" >/dev/null
METADATA_URL="${PG_URL%/*}/airflow"
for database in ${FRONT_SYNC_PG_DATABASES:-}; do
  "$(cat "$PGDIR/front_sync_pgbin")/psql" "$PG_URL" -qc "CREATE DATABASE \"$database\";" >/dev/null
  log "PostgreSQL: database $database"
done
log "PostgreSQL: $PG_URL (warehouse) and $METADATA_URL (metadata)"

REDIS_PORT=$(free_port)
start redis "$REDIS_SERVER" --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --dir "$STATE/redis"
wait_until redis 20 redis-cli -p "$REDIS_PORT" ping
REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
log "Redis: $REDIS_URL"

SIM_URL="" WIRED=""
if [ -z "${AIRFLOW_CONN_FRONT_DEFAULT:-}" ] && [ -n "${FRONT_API_TOKEN:-}" ]; then
  AIRFLOW_CONN_FRONT_DEFAULT=$(python -c 'import json, os; print(json.dumps({"conn_type": "front",
    "host": "https://api2.frontapp.com", "password": os.environ["FRONT_API_TOKEN"]}))')
fi
if [ -z "${AIRFLOW_CONN_FRONT_DEFAULT:-}" ] && [ -z "${FRONT_SYNC_TENANTS:-}" ]; then
  sim_port=$(free_port)
  start simulator python -m front_simulator --host 127.0.0.1 --port "$sim_port" --seed 1 \
    --contacts "${DEMO_CONTACTS:-10000}" --conversations "${DEMO_CONVERSATIONS:-1000}"
  SIM_URL="http://127.0.0.1:$sim_port"
  wait_until simulator 60 grep -q "listening on" "$LOGS/simulator.log"
  AIRFLOW_CONN_FRONT_DEFAULT="{\"conn_type\": \"front\", \"host\": \"$SIM_URL\", \"password\": \"test-token\",
    \"extra\": {\"allowed_hosts\": [\"localhost\"], \"rpm\": 100000, \"share\": 1.0, \"burst_per_second\": 0}}"
  log "Front simulator: $SIM_URL"
  if [ -z "${AIRFLOW_CONN_FRONT_WEBHOOK:-}" ]; then
    AIRFLOW_CONN_FRONT_WEBHOOK=$(python scripts/realtime_wiring.py connection "$SIM_URL")
    export AIRFLOW_CONN_FRONT_WEBHOOK
    WIRED=1
  fi
fi
[ -z "${AIRFLOW_CONN_FRONT_DEFAULT:-}" ] || export AIRFLOW_CONN_FRONT_DEFAULT
WAREHOUSE_URL="${AIRFLOW_CONN_FRONT_WAREHOUSE:-$PG_URL}"
export AIRFLOW_CONN_FRONT_WAREHOUSE="$WAREHOUSE_URL"

API_PORT="${AIRFLOW_PORT:-8080}"
API_URL="http://127.0.0.1:$API_PORT"
# The Celery settings of docker-compose.yaml's x-airflow-common block, with loopback addresses. The caller's own
# AIRFLOW__* values win (`:=`), e.g. a shorter task_instance_heartbeat_timeout in the tests.
: "${AIRFLOW__CORE__EXECUTOR:=CeleryExecutor}"
: "${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:=${METADATA_URL/postgresql:/postgresql+psycopg2:}}"
: "${AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_PRE_PING:=True}"
: "${AIRFLOW__CELERY__BROKER_URL:=$REDIS_URL}"
: "${AIRFLOW__CELERY__RESULT_BACKEND:=db+$METADATA_URL}"
: "${AIRFLOW__CORE__EXECUTION_API_SERVER_URL:=$API_URL/execution/}"
: "${AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION:=True}"
: "${AIRFLOW__CORE__TEST_CONNECTION:=Enabled}"
: "${AIRFLOW__CORE__PARALLELISM:=8}"
: "${AIRFLOW__API__HOST:=127.0.0.1}"
: "${AIRFLOW__API__PORT:=$API_PORT}"
: "${AIRFLOW__API__BASE_URL:=$API_URL}"
: "${AIRFLOW__API__WORKERS:=1}"
: "${AIRFLOW__API__SECRET_KEY:=$(python3 -c 'import secrets; print(secrets.token_hex(16))')}"
: "${AIRFLOW__API_AUTH__JWT_SECRET:=$(python3 -c 'import secrets; print(secrets.token_hex(32))')}"
: "${AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT:=$(free_port)}"
: "${AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK:=False}"
export "${!AIRFLOW__@}"   # every AIRFLOW__* setting, given or defaulted, reaches every component

# Everything a component gets, for `worker NAME` and for other shells (it holds the connections: owner only).
umask 077
{
  for var in ROOT AIRFLOW_HOME PATH PYTHONPATH "${!AIRFLOW__@}" "${!AIRFLOW_CONN_@}" FRONT_SYNC_TENANTS; do
    [ -n "${!var+x}" ] && printf 'export %s=%q\n' "$var" "${!var}"
  done
  printf 'export %s=%q\n' API_URL "$API_URL" METADATA_URL "$METADATA_URL" WAREHOUSE_URL "$WAREHOUSE_URL" \
    SIM_URL "$SIM_URL" REDIS_URL "$REDIS_URL" FRONT_SYNC_CELERY_DIR "$STATE"
} >"$STATE/cluster.env"
umask 022

log "airflow db migrate, pools import pools.json"
airflow db migrate >"$LOGS/db-migrate.log" 2>&1 || { tail -20 "$LOGS/db-migrate.log"; exit 1; }
airflow pools import pools.json >"$LOGS/pools.log" 2>&1 || { cat "$LOGS/pools.log"; exit 1; }
if [ -n "${FRONT_SYNC_TENANTS:-}" ]; then
  export FRONT_SYNC_TENANTS
  log "tenants of $FRONT_SYNC_TENANTS: pools import"
  python scripts/tenants.py pools >"$STATE/tenant_pools.json" 2>>"$LOGS/pools.log" &&
    airflow pools import "$STATE/tenant_pools.json" >>"$LOGS/pools.log" 2>&1 || { cat "$LOGS/pools.log"; exit 1; }
fi

start api-server airflow api-server
# The webhook receiver: the connections only (no Airflow setting or secret), like docker-compose's service.
mapfile -d '' hook_env < <(webhook_receiver_env)
start webhooks env -i "${hook_env[@]}" python -m front_sync.realtime
start scheduler airflow scheduler
start dag-processor airflow dag-processor
[ "${FRONT_SYNC_TRIGGERER:-1}" = 0 ] || start triggerer airflow triggerer
for i in $(seq 1 "${FRONT_SYNC_CELERY_WORKERS:-2}"); do
  start "worker$i" "$ROOT/scripts/airflow_celery.sh" worker "worker$i"
done

healthy() {
  local wanted=(metadatabase scheduler dag_processor)
  [ "${FRONT_SYNC_TRIGGERER:-1}" = 0 ] || wanted+=(triggerer)
  curl -sf "$API_URL/api/v2/monitor/health" | python3 -c '
import json, sys
body = json.load(sys.stdin)
sys.exit(0 if all(body.get(k, {}).get("status") == "healthy" for k in sys.argv[1:]) else 1)' "${wanted[@]}"
}
wait_until api-server 240 healthy
for i in $(seq 1 "${FRONT_SYNC_CELERY_WORKERS:-2}"); do
  wait_until "worker$i" 120 grep -q " ready\." "$LOGS/worker$i.log"
done
if [ -n "$WIRED" ]; then
  # The warehouse migrated, then registration (the challenge goes through the receiver); a failure is reported,
  # the cluster runs on (the hourly run needs no webhooks).
  python scripts/realtime_wiring.py register "$SIM_URL" "http://127.0.0.1:$(webhook_port)" "$WAREHOUSE_URL" ||
    log "real time not wired: the simulator's webhook could not be registered (log: $LOGS/webhooks.log)"
fi
log "ready: Airflow UI and API on $API_URL; workers: $(cd "$STATE/pids" && ls -d worker* | tr '\n' ' ')"
log "webhook receiver: http://127.0.0.1:$(webhook_port)/webhooks/front (accepts webhooks once" \
  "AIRFLOW_CONN_FRONT_WEBHOOK is set; log: $LOGS/webhooks.log)"
log "password of user admin: $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated; logs: $LOGS"
echo "ready" >"$STATE/ready"

# Report a component that dies (a killed worker stays down, as a lost machine would), until Ctrl-C / SIGTERM.
declare -A reported=()
while true; do
  for name in "${COMPONENTS[@]}"; do
    if [ -z "${reported[$name]:-}" ] && ! alive "$name"; then
      log "$name exited (log: $LOGS/$name.log)"
      reported[$name]=1
    fi
  done
  sleep 2 &
  wait $! || true
done
