"""Benchmark: the cost and speed of real DAG runs (dag.test) against the unthrottled simulator.

- full sync of C contacts (front_sync_full): task seconds of sync_contacts, from its sync_logs row;
- incremental after K changed conversations in an N-conversation account (front_sync_incremental, the events
  strategy): API calls (sync_logs, cross-checked with the simulator's request statistics) and task seconds,
  summed over the run's sync tasks.

Starts its own PostgreSQL (scripts/pg_start.sh) and Airflow metadata DB (a temp AIRFLOW_HOME), writes
bench/results/bench_sync.json (name, parameters, figures, machine) and prints a table.

    .venv/bin/python bench/bench_sync.py [--contacts 10000] [--conversations 20000] [--changed 100]
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
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "bench_sync.json"
os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="front-sync-bench-airflow-")
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"
sys.path.insert(0, str(ROOT / "include"))

# The kinds of change mixed into the incremental scenario.
CHANGE_MIX = ("new_inbound", "new_out_reply", "add_comments", "tag", "assign", "archive", "trash",
              "update_conversation_custom_fields")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_rows(url: str, dag_id: str) -> list[dict]:
    """sync_logs rows of the latest run of a DAG."""
    import psycopg2
    import psycopg2.extras

    with psycopg2.connect(url) as conn, conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute("SELECT run_id FROM front.sync_logs WHERE dag_id = %s ORDER BY id DESC LIMIT 1", (dag_id,))
        run_id = cur.fetchone()["run_id"]
        cur.execute("SELECT resource, status, fetched, api_calls, "
                    "extract(epoch FROM completed_at - started_at)::float AS seconds "
                    "FROM front.sync_logs WHERE run_id = %s AND dag_id = %s", (run_id, dag_id))
        return cur.fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--changed", type=int, default=100)
    args = parser.parse_args()

    from airflow.dag_processing.dagbag import DagBag
    from airflow.models import Variable
    from airflow.utils import db

    from front_simulator.control import SimulatorControl

    db.resetdb()
    datadir = tempfile.mkdtemp(prefix="front-sync-pg.")
    url = subprocess.run([str(ROOT / "scripts" / "pg_start.sh"), datadir], capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()[-1]
    # The simulator runs in its own process, as Front would: it must not share this process's GIL with the tasks.
    port = free_port()
    sim = subprocess.Popen([sys.executable, "-m", "front_simulator", "--port", str(port), "--seed", "1",
                            "--contacts", str(args.contacts), "--conversations", str(args.conversations)],
                           stdout=subprocess.PIPE, text=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT / "include")})
    base_url = f"http://127.0.0.1:{port}"
    try:
        if "listening" not in (sim.stdout.readline() or ""):
            raise RuntimeError("the simulator did not start")
        control = SimulatorControl(base_url)
        os.environ["AIRFLOW_CONN_FRONT_WAREHOUSE"] = url
        os.environ["AIRFLOW_CONN_FRONT_DEFAULT"] = json.dumps({
            "conn_type": "front", "host": base_url, "password": "test-token",
            "extra": {"allowed_hosts": ["localhost"], "rpm": 100000, "share": 1.0, "burst_per_second": 0}})
        dags = DagBag(dag_folder=str(ROOT / "dags")).dags

        assert dags["front_sync_full"].test().state == "success"
        full = {r["resource"]: r for r in run_rows(url, "front_sync_full")}

        # As after a backfill: the change feed takes over from now.
        now = Decimal(str(time.time())).quantize(Decimal("0.001"))
        Variable.set("front_sync.watermark.conversations", json.dumps({"value": f"{now:.3f}"}))
        changed: set[str] = set()
        n = 0
        while len(changed) < args.changed:  # one change at a time, mixing kinds, until K distinct conversations
            changed.update(control.mutate(CHANGE_MIX[n % len(CHANGE_MIX)], count=1)["ids"])
            n += 1
        newest = max(Decimal(str(e["emitted_at"])) for e in control.truth("events")["_results"][-5:])
        while Decimal(str(time.time())) <= newest:
            time.sleep(0.01)
        control.reset_stats()
        assert dags["front_sync_incremental"].test().state == "success"
        incremental = run_rows(url, "front_sync_incremental")
        served = control.stats()["totals"]["calls"]
    finally:
        sim.terminate()
        sim.wait()
        subprocess.run([str(ROOT / "scripts" / "pg_stop.sh"), datadir], capture_output=True)

    figures = {
        "changed_conversations": len(changed),
        "full_contacts_task_seconds": round(full["contacts"]["seconds"], 3),
        "full_contacts_fetched": full["contacts"]["fetched"],
        "full_contacts_api_calls": full["contacts"]["api_calls"],
        "incremental_api_calls": sum(r["api_calls"] for r in incremental),
        "incremental_api_calls_served_by_simulator": served,
        "incremental_task_seconds": round(sum(r["seconds"] for r in incremental), 3),
        "incremental_by_task": {r["resource"]: {"api_calls": r["api_calls"], "seconds": round(r["seconds"], 3),
                                                "fetched": r["fetched"]} for r in incremental},
        "targets": {"full_contacts_task_seconds": "< 3", "incremental_api_calls": "<= 150",
                    "incremental_task_seconds": "< 10"},
    }
    report = {"name": "bench_sync", "parameters": vars(args), "figures": figures,
              "machine": {"platform": platform.platform(), "python": platform.python_version(),
                          "cpus": os.cpu_count()}}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2))
    print(f"{'figure':45} value")
    for key in ("full_contacts_task_seconds", "full_contacts_api_calls", "incremental_api_calls",
                "incremental_api_calls_served_by_simulator", "incremental_task_seconds"):
        print(f"{key:45} {figures[key]}")
    for resource, row in figures["incremental_by_task"].items():
        print(f"  {resource:43} {row['api_calls']} calls, {row['seconds']} s, {row['fetched']} records")
    print(f"results: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
