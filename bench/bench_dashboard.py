"""Benchmark: the Front sync page and its data endpoint on a 20,000-conversation warehouse (issue 22).

Starts a throwaway PostgreSQL (scripts/pg_start.sh, stopped at the end) and fills it the real way where it
matters: the simulator's generator makes a company of N conversations and as many contacts, and the warehouse
loader (``load.load_batches``) writes them (messages are not loaded: they go through the sub-resources' queue, and
the page only counts rows, exactly under 200,000 and from the planner's estimate above). The sync history the
page reads is 14 days of hourly front_sync_incremental runs (one sync_logs row per resource per run, one run in
20 with a failed task and the next one resolving it), a queue of messages/comments and open alerts.

Then Airflow's own api-server app (create_app: the plugin mounted as the api-server mounts it, behind its auth)
answers, in this process through Starlette's TestClient (no network, no browser): the page, its three assets and
data.json, `repeat` times each after one warm-up. Reported: each request's median and maximum in ms, and the
page load as the browser makes it (page, then its assets, then data.json), summed. The browser's own rendering
is not in these figures.

Writes bench/results/bench_dashboard.json and prints a table.

    .venv/bin/python bench/bench_dashboard.py [--conversations 20000] [--days 14] [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from front_sync_testing.bench.harness import ROOT, write_report

os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(ROOT / "plugins")
os.environ["AIRFLOW__API_AUTH__JWT_SECRET"] = os.environ.get("AIRFLOW__API_AUTH__JWT_SECRET", "bench-secret-" * 6)
BATCH = 2000
TASKS = ("contacts", "tags", "inboxes", "teammates", "conversations", "messages", "comments")


def start_postgres() -> tuple[str, str]:
    datadir = tempfile.mkdtemp(prefix="front-sync-pg.")
    url = (
        subprocess.run([str(ROOT / "scripts" / "pg_start.sh"), datadir], capture_output=True, text=True, check=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    return url, datadir


def batches(records: list, size: int = BATCH) -> Iterator[tuple[list, None]]:
    for start in range(0, len(records), size):
        yield records[start : start + size], None


def fill_entities(conn, conversations: int) -> dict[str, int]:
    """The simulator's company of `conversations` conversations (and as many contacts), loaded by the loader."""
    from front_simulator.state import SimulatorState
    from front_sync.resources import get_resource
    from front_sync.warehouse.load import load_batches

    state = SimulatorState(seed=1, sizes={"conversations": conversations, "contacts": conversations})
    loaded = {}
    for name in ("contacts", "conversations"):
        records = state.truth(name)["_results"]
        for _ in load_batches(conn, get_resource(name), batches(records), "bench-load"):
            pass
        loaded[name] = len(records)
    return loaded


def fill_history(conn, days: int) -> int:
    """Hourly runs over `days` days: a sync_logs row per resource, every 20th run failing one task."""
    with conn.cursor() as cur:
        cur.execute(
            """
            INSERT INTO front.sync_logs (run_id, dag_id, task_id, try_number, resource, sync_type, status,
                started_at, completed_at, fetched, unchanged, api_calls, error_message, metadata)
            SELECT 'scheduled__' || h, 'front_sync_incremental', 'sync_' || t.resource, 1, t.resource, 'incremental',
                   CASE WHEN h %% 20 = 0 AND t.resource = 'contacts' THEN 'failed' ELSE 'success' END,
                   now() - make_interval(hours => h), now() - make_interval(hours => h) + interval '40 s',
                   (h * 7 + t.n) %% 300, (h * 7 + t.n) %% 300, 3 + t.n,
                   CASE WHEN h %% 20 = 0 AND t.resource = 'contacts'
                        THEN 'FrontRetryableError: GET /contacts answered 503 Service Unavailable' END,
                   jsonb_build_object('quota_remaining_min', 400 + (h %% 50) * 10, 'quota_limit', 1000)
            FROM generate_series(1, %(hours)s) AS h,
                 unnest(%(tasks)s::text[]) WITH ORDINALITY AS t(resource, n)
        """,
            {"hours": days * 24, "tasks": list(TASKS)},
        )
        cur.execute("""INSERT INTO front.sync_pending (resource, conversation_id, enqueued_by, priority)
                       SELECT 'messages', 'cnv_' || i, 'bench', i % 3 FROM generate_series(1, 500) AS i""")
        cur.execute("""INSERT INTO front.alert_state (alert_key, alert, since, figure)
                       VALUES ('stale_resource:tags', 'stale_resource', now() - interval '3 hours', 'bench')""")
        cur.execute("SELECT count(*) FROM front.sync_logs")
        rows = cur.fetchone()[0]
    conn.commit()
    with conn.cursor() as cur:
        cur.execute("ANALYZE")
    conn.commit()
    return rows


def timed(client, path: str, headers: dict, repeat: int) -> dict[str, float]:
    client.get(path, headers=headers)  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return {
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        "bytes": len(response.content),
    }


def measure(url: str, repeat: int) -> dict[str, dict[str, float]]:
    """The page, its assets and data.json through Airflow's api-server app, logged in as admin."""
    from airflow.api_fastapi.app import create_app, get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from airflow.utils import db
    from fastapi.testclient import TestClient

    os.environ["AIRFLOW_CONN_FRONT_WAREHOUSE"] = url
    db.resetdb()
    app = create_app()
    token = get_auth_manager().generate_jwt(SimpleAuthManagerUser(username="admin", role="ADMIN"))
    headers = {"Authorization": f"Bearer {token}"}
    client = TestClient(app)
    paths = {
        "page": "/front-sync/",
        "dashboard.js": "/front-sync/assets/dashboard.js",
        "charts.js": "/front-sync/assets/charts.js",
        "dashboard.css": "/front-sync/assets/dashboard.css",
        "data.json": "/front-sync/data.json",
    }
    return {name: timed(client, path, headers, repeat) for name, path in paths.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    import psycopg

    from front_sync.warehouse import migrations

    url, datadir = start_postgres()
    try:
        with psycopg.connect(url) as conn:
            migrations.migrate(conn)
            started = time.perf_counter()
            loaded = fill_entities(conn, args.conversations)
            history = fill_history(conn, args.days)
            fill_seconds = time.perf_counter() - started
        figures = measure(url, args.repeat)
    finally:
        subprocess.run([str(ROOT / "scripts" / "pg_stop.sh"), datadir], capture_output=True)
    load_ms = sum(figures[n]["median_ms"] for n in figures)
    summary = {
        "requests": figures,
        "page_load_median_ms": round(load_ms, 1),
        "warehouse": {"loaded": loaded, "sync_logs_rows": history, "fill_seconds": round(fill_seconds, 1)},
    }
    path = write_report("bench_dashboard", vars(args), summary)
    print(f"warehouse: {loaded}, {history} sync_logs rows (filled in {fill_seconds:.0f} s)")
    for name, figure in figures.items():
        print(
            f"  {name:14} median {figure['median_ms']:8.1f} ms   max {figure['max_ms']:8.1f} ms   "
            f"{figure['bytes']:>9,} bytes"
        )
    print(
        f"  page load (page + assets + data.json, medians summed): {load_ms:.1f} ms\n  results: "
        f"{Path(path).relative_to(ROOT)}"
    )


if __name__ == "__main__":
    main()
