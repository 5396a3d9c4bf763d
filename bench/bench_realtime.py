"""Benchmark: Front's webhooks into the warehouse under the real scheduler (issue 21 "Measure").

The `make airflow` topology (`--topology local`): a throwaway warehouse and metadata database, the simulator in its
own process (a company with a plan limit of `--rpm`), Airflow's api-server, scheduler, dag-processor and triggerer
(LocalExecutor) and the webhook receiver as its own process, registered with the simulator (the challenge
handshake). `--topology celery` is the native Celery cluster (testing/front_sync_testing/celery_cluster).
After the initial load (backfill, hourly run) and one warm-up webhook:
1. steady: `--rate` mutations a second for `--steady-seconds`, cycling through every mutation that emits an event;
2. burst: `--burst` mutations within `--burst-seconds`;
   per phase: webhook-to-row lag p50/p95/max (webhook_events.applied_at - sent_at, the phase's events only),
   webhooks applied vs sent, front_sync_realtime runs started, API calls per webhook (sync_logs, cross-checked
   with the simulator's count), 429s; against issue 21's targets;
3. faults (`--no-faults` skips it): 20 % dropped, duplicates, reordering, forged and replayed requests, then the
   receiver stopped for `--down-seconds` while mutations go on, restarted; the hourly run; the warehouse against
   the simulator's truth, and what was stored (nothing forged or replayed).
`--events-previews-only` measures the case where Front's `/events` carries previews only (its reference says
"partial", its spec full records; the simulator serves full ones): the simulator's `event_preview` fault on every
`/events` page from the first phase on, so the real-time task fetches each message and comment by id.
Writes bench/results/bench_realtime.json (bench_realtime_celery.json; `_previews` for that case) and prints a table;
`--strict` exits 1 when a target fails.

    .venv/bin/python bench/bench_realtime.py                  # the full measurement: about 25 min
    .venv/bin/python bench/bench_realtime.py --steady-seconds 20 --burst 50 --down-seconds 20   # a short check
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from front_sync_testing.bench.harness import write_report
from front_sync_testing.realtime import figures as fig
from front_sync_testing.realtime import plan
from front_sync_testing.realtime.faults import run_faults
from front_sync_testing.realtime.phases import run_phase
from front_sync_testing.realtime.stack import StackOptions, initial_load, start_local
from front_sync_testing.soak.infra import Deadline, Workspace, log

SIZES = {
    "contacts": 100,
    "teammates": 5,
    "inboxes": 3,
    "channels": 3,
    "tags": 8,
    "contact_lists": 2,
    "messages_per_conversation": 2,
    "comments_per_conversation": 1,
}


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topology", choices=("local", "celery"), default="local")
    parser.add_argument("--steady-seconds", type=float, default=300)
    parser.add_argument("--rate", type=float, default=1.0, help="mutations per second in the steady phase")
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--burst-seconds", type=float, default=10)
    parser.add_argument("--faults", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--fault-seconds", type=float, default=60, help="mutations under faults, receiver up")
    parser.add_argument("--down-seconds", type=float, default=300, help="the receiver stopped (issue: 5 minutes)")
    parser.add_argument("--settle-seconds", type=float, default=300, help="bound on the wait for a phase's webhooks")
    parser.add_argument("--conversations", type=int, default=120)
    parser.add_argument("--rpm", type=int, default=100, help="the company's plan limit (0 = no rate limit)")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument(
        "--events-previews-only",
        action="store_true",
        help="/events pages carry previews only (the simulator's event_preview fault): records fetched by id",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    parser.add_argument("--keep-logs", default=None, help="copy the processes' logs to this folder at the end")
    return parser.parse_args(argv)


def start(ws: Workspace, args: argparse.Namespace, deadline: Deadline) -> Any:
    """The stack of the chosen topology."""
    options = StackOptions(args.seed, {**SIZES, "conversations": args.conversations}, args.rpm or None)
    if args.topology == "celery":
        from front_sync_testing.realtime.celery import start_celery

        return start_celery(ws, options, deadline)
    return start_local(ws, options, deadline)


def measure(args: argparse.Namespace, ws: Workspace) -> dict[str, Any]:
    """Set-up, initial load and the phases; the figures of each."""
    deadline = Deadline(3600 + args.steady_seconds + args.down_seconds + 3 * args.settle_seconds)
    started = time.monotonic()
    stack = start(ws, args, deadline)
    figures: dict[str, Any] = {"setup_seconds": round(time.monotonic() - started, 1)}
    started = time.monotonic()
    initial_load(stack, timeout=1200)
    figures["initial_load_seconds"] = round(time.monotonic() - started, 1)
    if args.events_previews_only:
        previews = {"endpoint": "/events", "kind": "bad_records", "variant": "event_preview", "count": 15}
        stack.control.set_faults([previews])
    steady = plan.steady(args.steady_seconds, args.rate)
    figures["steady"] = run_phase(stack, "steady", steady, args.settle_seconds)
    burst = plan.burst(args.burst, args.burst_seconds, start=len(steady))
    figures["burst"] = run_phase(stack, "burst", burst, args.settle_seconds)
    if args.faults:
        faults = run_faults(stack, args.rate, args.fault_seconds, args.down_seconds, args.settle_seconds)
        faults["targets"] = fig.fault_targets(faults)
        figures["faults"] = faults
    return figures


def table(figures: dict[str, Any]) -> str:
    """The printed summary: one line per target and phase."""
    lines = [f"{'phase':8} {'target':24} {'value':>10} {'limit':>8}  result"]
    for phase in ("steady", "burst", "faults"):
        for name, check in figures.get(phase, {}).get("targets", {}).items():
            value = "-" if check["value"] is None else f"{check['value']:g}"
            verdict = "pass" if check["pass"] else "FAIL"
            lines.append(f"{phase:8} {name:24} {value:>10} {check['limit']!s:>8}  {verdict}")
    return "\n".join(lines)


def interrupted(signum: int, _frame: Any) -> None:
    """SIGTERM as Ctrl-C: main's finally stops every process the run started."""
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    signal.signal(signal.SIGTERM, interrupted)
    ws = Workspace.create()
    log(f"workspace {ws.root}; load average {os.getloadavg()}")
    load_before = os.getloadavg()
    try:
        figures = measure(args, ws)
    finally:
        ws.close(keep=None if args.keep_logs is None else Path(args.keep_logs))
    figures["load_average"] = {"before": load_before, "after": os.getloadavg()}
    checks = {p: figures[p]["targets"] for p in ("steady", "burst", "faults") if p in figures}
    figures["failed_targets"] = fig.failed(checks)
    # One report per topology: the Celery run does not overwrite the local one.
    name = "bench_realtime" + ("_celery" if args.topology == "celery" else "")
    path = write_report(name + ("_previews" if args.events_previews_only else ""), vars(args), figures)
    print(table(figures))
    print(json.dumps({"failed_targets": figures["failed_targets"], "report": str(path)}))
    return 1 if args.strict and figures["failed_targets"] else 0


if __name__ == "__main__":
    sys.exit(main())
