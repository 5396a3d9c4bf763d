"""Benchmark: how much of its rate budget FrontHook spends, against a rate-limited simulator, without 429s.

The simulator runs in-process with Front's limits switched on: a plan limit of ``--rpm`` requests per
60 s window and the per-resource burst limit (5 requests per second). FrontHook, configured with the same
plan ``rpm`` and ``share`` (budget = rpm x share requests per minute), fetches the first page of messages of
``--requests`` conversations through ``map_concurrent`` with ``--threads`` workers: the per-conversation
fan-out of the sync, every request on one resource (so Front's burst limit, not the plan limit, binds).
``--workload mixed`` spreads the requests over five resources instead, so the plan limit and its
``x-ratelimit-*`` headers bind. Writes bench/results/bench_hook.json (bench_hook_mixed.json), prints a table.

    .venv/bin/python bench/bench_hook.py                  # 2,000 requests at 300 rpm: about 7 minutes
    .venv/bin/python bench/bench_hook.py --requests 200   # a 40-second check

Targets: achieved rate >= 95 % of the budget, <= 1 % of responses are 429, no failed request.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from front_sync_testing.bench.machine import machine

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
MIXED_PATHS = ("/inboxes", "/teammates", "/tags", "/channels")  # one request each, four more resources
TOKEN = "bench-token"
TARGETS = {"min_budget_share": 0.95, "max_429_share": 0.01, "max_failed": 0}


def measure(args: argparse.Namespace) -> dict:
    """Start the simulator, run the workload through FrontHook; return what the hook and the server saw."""
    # Airflow reads its home at import: keep the benchmark's away from any real installation.
    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="bench-hook-airflow-"))
    from front_simulator.control import SimulatorControl
    from front_simulator.server import SimulatorServer
    from front_sync.hooks.front import FrontAPIError, FrontHook

    conversations = min(args.requests, 2000)
    with SimulatorServer(seed=1, sizes={"contacts": 0, "conversations": conversations}, token=TOKEN) as sim:
        control = SimulatorControl(sim.base_url)
        ids = [c["id"] for c in control.truth("conversations")["_results"]]
        control.set_rate_limit(rpm=args.rpm, burst_per_second=args.burst, window_seconds=60)
        control.reset_stats()
        os.environ["AIRFLOW_CONN_FRONT_DEFAULT"] = json.dumps(
            {
                "conn_type": "front",
                "host": sim.base_url,
                "password": TOKEN,
                "extra": {
                    "rpm": args.rpm,
                    "share": args.share,
                    "max_workers": args.threads,
                    "allowed_hosts": ["localhost"],
                },
            }
        )
        failures: list[str] = []
        lock = threading.Lock()

        def path_of(index: int) -> str:
            if args.workload == "mixed" and index % 5:
                return MIXED_PATHS[index % 5 - 1]
            return f"/conversations/{ids[index % len(ids)]}/messages"

        with FrontHook() as hook:

            def fetch(index: int) -> int:
                try:
                    body = hook.request_json(path_of(index), {"limit": 100})
                except FrontAPIError as exc:  # counted, so one failure does not hide the others
                    with lock:
                        failures.append(type(exc).__name__)
                    return 0
                return len(body.get("_results", []))

            started = time.monotonic()
            done = sum(1 for _ in hook.map_concurrent(fetch, range(args.requests), max_workers=args.threads))
            elapsed = time.monotonic() - started
        return {
            "done": done,
            "failures": failures,
            "elapsed": elapsed,
            "server": control.stats()["totals"],
            "hook": {**hook.sync_log_figures(), **hook.sync_log_metadata()},
        }


def run(args: argparse.Namespace) -> dict:
    """Run the workload; return its parameters and figures."""
    measured = measure(args)
    failures, elapsed, server = measured["failures"], measured["elapsed"], measured["server"]
    budget_rpm = args.rpm * args.share
    succeeded = measured["done"] - len(failures)
    achieved_rpm = succeeded / elapsed * 60
    responses = server["calls"]
    return {
        "name": "bench_hook" if args.workload == "messages" else "bench_hook_mixed",
        "parameters": {
            "requests": args.requests,
            "threads": args.threads,
            "simulator_rpm": args.rpm,
            "simulator_window_seconds": 60,
            "simulator_burst_per_second": args.burst,
            "hook_rpm": args.rpm,
            "hook_share": args.share,
            "budget_rpm": budget_rpm,
            "workload": (
                "GET /conversations/{id}/messages?limit=100 (first page), one request per item"
                if args.workload == "messages"
                else "1 in 5 GET /conversations/{id}/messages?limit=100, "
                "the rest /inboxes, /teammates, /tags, /channels"
            )
            + ", via FrontHook.map_concurrent",
        },
        "figures": {
            "seconds": round(elapsed, 3),
            "succeeded": succeeded,
            "failed": len(failures),
            "failures": sorted(set(failures)),
            "achieved_rpm": round(achieved_rpm, 2),
            "share_of_budget": round(achieved_rpm / budget_rpm, 4),
            "server_responses": responses,
            "server_429s": server["429s"],
            "server_rate_limited": server["rate_limited"],
            "server_burst_limited": server["burst_limited"],
            "share_429": round(server["429s"] / responses, 4) if responses else 0.0,
            "hook": measured["hook"],
        },
        "targets": TARGETS,
        "machine": machine(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests in the workload (default 2000)")
    parser.add_argument("--threads", type=int, default=4, help="map_concurrent workers (default 4)")
    parser.add_argument("--rpm", type=int, default=300, help="simulator plan limit and hook rpm (default 300)")
    parser.add_argument("--share", type=float, default=1.0, help="hook share of the plan (default 1.0)")
    parser.add_argument("--burst", type=float, default=5, help="simulator burst limit per resource per second")
    parser.add_argument(
        "--workload",
        choices=("messages", "mixed"),
        default="messages",
        help="messages: one resource (default); mixed: five resources",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    result = run(args)
    path = RESULTS / f"{result['name']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")

    fig, par = result["figures"], result["parameters"]
    met = (
        fig["share_of_budget"] >= TARGETS["min_budget_share"]
        and fig["share_429"] <= TARGETS["max_429_share"]
        and fig["failed"] <= TARGETS["max_failed"]
    )
    print(
        f"FrontHook vs simulator at {par['simulator_rpm']} rpm (burst {par['simulator_burst_per_second']:g}/s per "
        f"resource), budget {par['budget_rpm']:g} rpm, {par['requests']:,} requests, {par['threads']} threads"
    )
    print(
        f"{'seconds':>8} {'ok':>6} {'failed':>6} {'rpm':>8} {'of budget':>9} {'429s':>5} {'429 %':>6} "
        f"{'retries':>7} {'pacing s':>9}"
    )
    print(
        f"{fig['seconds']:>8} {fig['succeeded']:>6} {fig['failed']:>6} {fig['achieved_rpm']:>8} "
        f"{fig['share_of_budget']:>9.1%} {fig['server_429s']:>5} {fig['share_429']:>6.2%} "
        f"{fig['hook']['retries']:>7} {fig['hook']['pacing_wait_seconds']:>9}"
    )
    print(f"targets (>= 95 % of budget, <= 1 % 429s, 0 failed): {'met' if met else 'NOT met'}")
    print(f"results: {path.relative_to(ROOT)}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
