"""Benchmark: backfill wall time under Front's usual faults, against the same backfill without them.

Runs the real backfill DAG (front_sync_backfill via dag.test(): migrate, list every conversation, drain the
messages and comments queues) twice on the same simulated account, each into a fresh warehouse database:
once fault-free and once under a fault mix of about 5 % 5xx, 5 % burst 429s (quota remaining, Retry-After
``--retry-after`` s), 2 % connection resets and 3 % truncated bodies on every endpoint. The simulator runs in
its own process with Front's limits on (``--rpm`` per 60 s window, 5 requests per second per resource), and
the connection paces to rpm x share, so the run is budget-bound, as it is against real Front.

Reports each run's wall time, their ratio, API calls (sync_logs and the simulator's count), retries, 429s
(limiter and injected), the faults served, and whether the warehouse equals the simulator's ground truth
(conversations, messages, comments). Starts its own PostgreSQL (scripts/pg_start.sh) and Airflow metadata DB
(a temp AIRFLOW_HOME); writes bench/results/bench_backfill_faults.json and prints a table.

    .venv/bin/python bench/bench_backfill_faults.py [--conversations 250] [--rpm 1500] [--share 0.8] [--burst 25]
        [--retry-after 1.0] [--workers 4] [--seed 1]

Target (issue 11): faulted wall time <= 2x the fault-free run, warehouse equal to ground truth in both.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from front_sync_testing.db import create_database, fetch

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "bench_backfill_faults.json"
os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="front-sync-bench-airflow-")
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"

TABLES = ("conversations", "messages", "comments")
TARGET_RATIO = 2.0


def fault_mix(retry_after: float) -> list[dict]:
    """The issue's mix on every endpoint: ~5 % 5xx, ~5 % burst 429s, ~2 % resets, ~3 % truncated bodies."""
    return [
        {"kind": "status", "status": 500, "probability": 0.0125},
        {"kind": "status", "status": 502, "probability": 0.0125, "body": "html"},
        {"kind": "status", "status": 503, "probability": 0.0125},
        {"kind": "status", "status": 504, "probability": 0.0125},
        {"kind": "rate_limit", "remaining": 50, "retry_after": retry_after, "probability": 0.05},
        {"kind": "reset", "probability": 0.02},
        {"kind": "truncate", "mode": "body", "probability": 0.03},
    ]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_database(admin_url: str) -> str:
    """A new empty database on the benchmark's server; returns its URL."""
    return create_database(admin_url, f"bench_{uuid.uuid4().hex[:10]}")


def task_rows(url: str) -> list[dict]:
    """sync_logs rows of the (only) backfill run in this database."""
    return fetch(
        url,
        "SELECT resource, status, fetched, api_calls, retries, rate_limit_waits, "
        "rate_limit_wait_seconds::float AS rate_limit_wait_seconds, "
        "extract(epoch FROM completed_at - started_at)::float AS seconds "
        "FROM front.sync_logs WHERE dag_id = 'front_sync_backfill' ORDER BY id",
        dicts=True,
    )


def truth_differences(control, url: str) -> dict[str, int]:
    """Per table: live warehouse rows missing, extra or differing from the simulator's truth (0 = equal)."""
    import psycopg

    out = {}
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        for table in TABLES:
            truth = {r["id"]: r for r in control.truth(table)["_results"]}
            cur.execute(f"SELECT id, raw FROM front.{table} WHERE deleted_at IS NULL")  # noqa: S608 - fixed names
            stored = dict(cur.fetchall())
            out[table] = len(truth.keys() ^ stored.keys()) + sum(
                1 for i in truth.keys() & stored.keys() if truth[i] != stored[i]
            )
    return out


def one_run(dag, control, admin_url: str, faults: list[dict], args) -> dict:
    """Reset the account, point the warehouse at a fresh database, run the backfill DAG; return its figures."""
    control.clear_faults()
    control.reset(seed=args.seed, sizes=sizes(args))
    control.set_rate_limit(rpm=args.rpm, burst_per_second=args.burst or None, window_seconds=60)
    url = fresh_database(admin_url)
    os.environ["AIRFLOW_CONN_FRONT_WAREHOUSE"] = url
    if faults:
        control.set_faults(faults)
    control.reset_stats()
    started = time.monotonic()
    state = dag.test(run_conf={"restart": True}).state
    wall = time.monotonic() - started
    control.clear_faults()
    totals = control.stats()["totals"]
    rows = task_rows(url)
    differences = truth_differences(control, url)
    return {
        "state": str(state),
        "wall_seconds": round(wall, 2),
        "api_calls": sum(r["api_calls"] for r in rows),
        "api_calls_served_by_simulator": totals["calls"],
        "retries": sum(r["retries"] for r in rows),
        "rate_limit_waits": sum(r["rate_limit_waits"] for r in rows),
        "rate_limit_wait_seconds": round(sum(r["rate_limit_wait_seconds"] or 0 for r in rows), 2),
        "http_429s": totals.get("429s", 0),
        "limiter_429s": totals.get("rate_limited", 0) + totals.get("burst_limited", 0),
        "faults_served": totals.get("faults_served", 0),
        "faults": totals.get("faults", {}),
        "by_task": {
            r["resource"]: {
                "status": r["status"],
                "seconds": round(r["seconds"] or 0, 2),
                "api_calls": r["api_calls"],
                "retries": r["retries"],
                "fetched": r["fetched"],
            }
            for r in rows
        },
        "truth_differences": differences,
        "equal_to_truth": not any(differences.values()),
    }


def sizes(args) -> dict:
    return {
        "contacts": 0,
        "conversations": args.conversations,
        "teammates": 4,
        "inboxes": 3,
        "channels": 3,
        "tags": 6,
        "contact_lists": 1,
        "messages_per_conversation": args.messages_per_conversation,
        "comments_per_conversation": 0.6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=250)
    parser.add_argument("--messages-per-conversation", type=float, default=5)
    parser.add_argument("--rpm", type=int, default=1500, help="the simulated plan limit, and the connection's rpm")
    parser.add_argument("--share", type=float, default=0.8, help="the connection's share of the plan")
    parser.add_argument("--burst", type=float, default=25, help="per-resource burst limit, requests per second")
    parser.add_argument("--retry-after", type=float, default=1.0, help="Retry-After of the injected burst 429s")
    parser.add_argument("--workers", type=int, default=4, help="the connection's max_workers (concurrent fetches)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from airflow.utils import db

    from front_simulator.control import SimulatorControl
    from front_sync_testing.dags import parse_dags

    db.resetdb()
    datadir = tempfile.mkdtemp(prefix="front-sync-pg.")
    admin_url = (
        subprocess.run([str(ROOT / "scripts" / "pg_start.sh"), datadir], capture_output=True, text=True, check=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    port = free_port()
    # The simulator runs in its own process, as Front would: it must not share this process's GIL with the tasks.
    sim = subprocess.Popen(
        [sys.executable, "-m", "front_simulator", "--port", str(port), "--seed", str(args.seed), "--contacts", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "include")},
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        if "listening" not in (sim.stdout.readline() or ""):
            raise RuntimeError("the simulator did not start")
        control = SimulatorControl(base_url)
        os.environ["AIRFLOW_CONN_FRONT_DEFAULT"] = json.dumps(
            {
                "conn_type": "front",
                "host": base_url,
                "password": "test-token",
                "extra": {
                    "allowed_hosts": ["localhost"],
                    "rpm": args.rpm,
                    "share": args.share,
                    "burst_per_second": args.burst,
                    "max_workers": args.workers,
                },
            }
        )
        dag = parse_dags().dags["front_sync_backfill"]
        clean = one_run(dag, control, admin_url, [], args)
        faulted = one_run(dag, control, admin_url, fault_mix(args.retry_after), args)
    finally:
        sim.terminate()
        sim.wait()
        subprocess.run([str(ROOT / "scripts" / "pg_stop.sh"), datadir], capture_output=True)
    report_results(args, clean, faulted)


def report_results(args, clean: dict, faulted: dict) -> None:
    """Write the JSON result and print the table."""
    ratio = round(faulted["wall_seconds"] / clean["wall_seconds"], 2)
    figures = {
        "fault_free": clean,
        "fault_mix": faulted,
        "wall_time_ratio": ratio,
        "fault_mix_rules": fault_mix(args.retry_after),
        "targets": {"wall_time_ratio": f"<= {TARGET_RATIO}", "equal_to_truth": True},
    }
    report = {
        "name": "bench_backfill_faults",
        "parameters": vars(args),
        "figures": figures,
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, default=str))
    print(f"{'figure':32} {'fault-free':>12} {'fault mix':>12}")
    for key in (
        "state",
        "wall_seconds",
        "api_calls",
        "api_calls_served_by_simulator",
        "retries",
        "http_429s",
        "limiter_429s",
        "rate_limit_waits",
        "rate_limit_wait_seconds",
        "faults_served",
        "equal_to_truth",
    ):
        print(f"{key:32} {clean[key]!s:>12} {faulted[key]!s:>12}")
    print(f"{'wall time ratio':32} {ratio:>25} (target <= {TARGET_RATIO})")
    print(f"results: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
