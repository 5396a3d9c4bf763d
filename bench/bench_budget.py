"""Benchmark: two concurrent tasks (two processes) share one company budget through PostgreSQL.

Starts its own PostgreSQL (scripts/pg_start.sh, migrated) and the simulator in its own process with Front's
limits on (``--rpm`` per 60 s window, burst 5/s per resource, search at 40 %). Two worker processes, each a
FrontHook with the PostgreSQL budget store and ``--threads`` threads (``map_concurrent``), configured with the
plan's ``rpm`` and ``share``, fetch conversations' messages and comments, contacts and tags for ``--seconds``.
The combined rate is what the simulator served between two samples of its statistics (after a warm-up);
429s are counted over the whole run. ``--store memory`` gives each task its own in-memory budget (the old
behaviour) for comparison. Writes bench/results/bench_budget.json (bench_budget_memory.json), prints a table.

    .venv/bin/python bench/bench_budget.py                 # 100 rpm plan, share 0.8: about 2.5 minutes

Targets: combined rate within 80 +/- 5 rpm (rpm x share), <= 1 % of responses are 429, no failed request.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from front_sync_testing.bench.machine import machine

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
TOKEN = "test-token"
WARM_UP = 15.0  # seconds after both tasks start before the rate is measured
TOLERANCE_RPM = 5.0
TARGETS = {"rpm_tolerance": TOLERANCE_RPM, "max_429_share": 0.01, "max_failed": 0}


def worker(args: argparse.Namespace) -> int:
    """One task: a FrontHook on the shared (or its own) budget, fetching until its deadline; prints its figures."""
    import psycopg

    from front_sync.hooks.front import FrontAPIError, FrontHook
    from front_sync.warehouse.budget_store import PostgresBudgetStore

    ids = json.loads(args.ids)
    paths = [f"/conversations/{cid}/{child}" for cid in ids for child in ("messages", "comments")]
    paths[::5] = ["/contacts"] * len(paths[::5])
    paths[2::7] = ["/tags"] * len(paths[2::7])
    store = PostgresBudgetStore(lambda: psycopg.connect(args.warehouse_url)) if args.store == "postgres" else None
    failures: list[str] = []
    print("ready", flush=True)
    sys.stdin.readline()  # both tasks start together
    deadline = time.monotonic() + args.seconds

    def jobs():
        n = args.index
        while time.monotonic() < deadline:
            yield paths[n % len(paths)]
            n += 1

    with FrontHook(budget_store=store) as hook:

        def fetch(path: str) -> None:
            try:
                hook.request_json(path, {"limit": 100})
            except FrontAPIError as exc:
                failures.append(type(exc).__name__)

        done = sum(1 for _ in hook.map_concurrent(fetch, jobs(), max_workers=args.threads))
        figures = {
            "requests": done,
            "failures": failures,
            **hook.sync_log_figures(),
            "pacing_wait_seconds": hook.sync_log_metadata().get("pacing_wait_seconds"),
        }
    if store is not None:
        store.close()
    print(json.dumps(figures), flush=True)
    return 0


def start_worker(args: argparse.Namespace, index: int, base_url: str, url: str, ids: list[str]) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "include"),
        "AIRFLOW_CONN_FRONT_DEFAULT": json.dumps(
            {
                "conn_type": "front",
                "host": base_url,
                "password": TOKEN,
                "extra": {
                    "rpm": args.rpm,
                    "share": args.share,
                    "max_workers": args.threads,
                    "allowed_hosts": ["localhost"],
                },
            }
        ),
    }
    command = [
        sys.executable,
        __file__,
        "--worker",
        "--index",
        str(index),
        "--warehouse-url",
        url,
        "--ids",
        json.dumps(ids),
        "--seconds",
        str(args.seconds),
        "--threads",
        str(args.threads),
        "--store",
        args.store,
    ]
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)


def measure(args: argparse.Namespace, base_url: str, url: str) -> dict:
    """Run the two tasks against the simulator; sample its statistics after the warm-up and near the end."""
    from front_simulator.control import SimulatorControl

    control = SimulatorControl(base_url)
    ids = [c["id"] for c in control.truth("conversations")["_results"]]
    tasks = [start_worker(args, i, base_url, url, ids) for i in range(2)]
    for task in tasks:
        if task.stdout.readline().strip() != "ready":
            raise RuntimeError("a task did not start")
    control.reset_stats()
    started = time.monotonic()
    for task in tasks:
        task.stdin.write("go\n")
        task.stdin.flush()
    time.sleep(WARM_UP)
    first = (time.monotonic(), control.stats()["totals"])
    time.sleep(max(args.seconds - WARM_UP - 2.0, 1.0))
    last = (time.monotonic(), control.stats()["totals"])
    results = [json.loads(task.communicate(timeout=120)[0].strip().splitlines()[-1]) for task in tasks]
    return {
        "window": (first, last),
        "totals": control.stats()["totals"],
        "tasks": results,
        "elapsed": time.monotonic() - started,
    }


def run(args: argparse.Namespace) -> dict:
    """Start PostgreSQL and the simulator, run the tasks; return parameters and figures."""
    import psycopg

    from front_sync.warehouse import migrations

    datadir = tempfile.mkdtemp(prefix="front-sync-pg.")
    url = (
        subprocess.run([str(ROOT / "scripts" / "pg_start.sh"), datadir], capture_output=True, text=True, check=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    sim = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "front_simulator",
            "--port",
            "0",
            "--seed",
            "1",
            "--contacts",
            "300",
            "--conversations",
            "200",
            "--rpm",
            str(args.rpm),
            "--window-seconds",
            "60",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "include")},
    )
    try:
        line = sim.stdout.readline() or ""
        if "listening on " not in line:
            raise RuntimeError("the simulator did not start")
        base_url = line.split("listening on ", 1)[1].strip()
        with psycopg.connect(url) as conn:
            migrations.migrate(conn)
        measured = measure(args, base_url, url)
    finally:
        sim.terminate()
        sim.wait()
        subprocess.run([str(ROOT / "scripts" / "pg_stop.sh"), datadir], capture_output=True)
    return result_of(args, measured)


def result_of(args: argparse.Namespace, measured: dict) -> dict:
    (t0, first), (t1, last) = measured["window"]
    totals = measured["totals"]
    combined_rpm = (last["calls"] - first["calls"]) / (t1 - t0) * 60
    failures = [f for task in measured["tasks"] for f in task["failures"]]
    return {
        "name": "bench_budget" if args.store == "postgres" else "bench_budget_memory",
        "parameters": {
            "tasks": 2,
            "threads_per_task": args.threads,
            "seconds": args.seconds,
            "warm_up_seconds": WARM_UP,
            "simulator_rpm": args.rpm,
            "simulator_window_seconds": 60,
            "simulator_burst_per_second": 5,
            "hook_rpm": args.rpm,
            "hook_share": args.share,
            "budget_rpm": args.rpm * args.share,
            "store": args.store,
            "workload": "per task: GET /conversations/{id}/messages and /comments, 1 in 5 /contacts, 1 in 7 /tags "
            "(limit=100), via FrontHook.map_concurrent, each task its own process",
        },
        "figures": {
            "combined_rpm": round(combined_rpm, 2),
            "measured_seconds": round(t1 - t0, 1),
            "server_responses": totals["calls"],
            "server_429s": totals["429s"],
            "share_429": round(totals["429s"] / totals["calls"], 4) if totals["calls"] else 0.0,
            "overall_rpm": round(totals["calls"] / measured["elapsed"] * 60, 2),
            "failed": len(failures),
            "tasks": measured["tasks"],
        },
        "targets": TARGETS,
        "machine": machine(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rpm", type=int, default=100, help="simulator plan limit and hook rpm (default 100)")
    parser.add_argument("--share", type=float, default=0.8, help="hook share of the plan (default 0.8)")
    parser.add_argument("--threads", type=int, default=4, help="map_concurrent workers per task (default 4)")
    parser.add_argument("--seconds", type=float, default=150, help="how long both tasks run (default 150)")
    parser.add_argument(
        "--store",
        choices=("postgres", "memory"),
        default="postgres",
        help="postgres: one shared budget (default); memory: one budget per task, for comparison",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--index", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--warehouse-url", help=argparse.SUPPRESS)
    parser.add_argument("--ids", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="bench-budget-airflow-"))
    if args.worker:
        return worker(args)

    result = run(args)
    path = RESULTS / f"{result['name']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    fig, par = result["figures"], result["parameters"]
    met = (
        abs(fig["combined_rpm"] - par["budget_rpm"]) <= TOLERANCE_RPM
        and fig["share_429"] <= TARGETS["max_429_share"]
        and fig["failed"] <= TARGETS["max_failed"]
    )
    print(
        f"2 tasks x {par['threads_per_task']} threads ({par['store']} budget) vs simulator at {par['simulator_rpm']} "
        f"rpm, share {par['hook_share']:g}: budget {par['budget_rpm']:g} rpm"
    )
    print(f"{'measured s':>10} {'rpm':>7} {'responses':>9} {'429s':>5} {'429 %':>6} {'failed':>6}")
    print(
        f"{fig['measured_seconds']:>10} {fig['combined_rpm']:>7} {fig['server_responses']:>9} "
        f"{fig['server_429s']:>5} {fig['share_429']:>6.2%} {fig['failed']:>6}"
    )
    print(
        f"targets ({par['budget_rpm']:g} +/- {TOLERANCE_RPM:g} rpm, <= 1 % 429s, 0 failed): "
        f"{'met' if met else 'NOT met'}"
    )
    print(f"results: {path.relative_to(ROOT)}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
