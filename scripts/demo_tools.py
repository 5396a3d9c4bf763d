"""Helpers for scripts/demo.sh: reset watermarks, change simulator contacts, print the sync_logs table."""

from __future__ import annotations

import argparse
import os
import sys


def reset_watermarks() -> None:
    """Delete front_sync watermark Variables: the demo's warehouse is new, so every cursor starts empty."""
    from airflow.models import Variable

    from front_sync.config import watermark_key
    from front_sync.resources import RESOURCES

    for resource in RESOURCES:
        Variable.delete(watermark_key(resource.name))


def mutate(url: str, count: int) -> None:
    """Change `count` contacts, then wait until the wall clock has passed their new updated_at.

    The simulator stamps changes strictly increasing, so a burst can run a few ms ahead of the clock; a run's
    window ends when it is triggered, and a change stamped after that belongs to the next run.
    """
    import time
    from decimal import Decimal

    from front_simulator.control import SimulatorControl

    control = SimulatorControl(url)
    ids = set(control.mutate("update_contacts", count=count)["ids"])
    newest = max(Decimal(str(c["updated_at"])) for c in control.truth("contacts")["_results"] if c["id"] in ids)
    while Decimal(time.time()) <= newest:
        time.sleep(0.01)
    print(f"  changed {len(ids)} contacts")


def report(runs: int) -> None:
    """Print the last `runs` DAG runs' sync_logs rows as a table."""
    import psycopg2

    from front_sync.sql_files import load_sql

    with psycopg2.connect(os.environ["AIRFLOW_CONN_FRONT_WAREHOUSE"]) as conn, conn.cursor() as cur:
        cur.execute(load_sql("report_recent_runs"), {"runs": runs})
        rows = cur.fetchall()
    header = ("run", "resource", "type", "status", "fetched", "created", "updated", "unchanged", "api calls", "seconds")
    table = [header, *[tuple("" if v is None else str(v) for v in row) for row in rows]]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for n, row in enumerate(table):
        cells = enumerate(zip(row, widths, strict=True))
        print("  " + "  ".join(v.rjust(w) if n and i >= 4 else v.ljust(w) for i, (v, w) in cells))
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))
    if not rows:
        sys.exit("no sync_logs rows found")
    if any(row[3] != "success" for row in rows):
        sys.exit("a sync did not succeed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("reset-watermarks")
    m = sub.add_parser("mutate")
    m.add_argument("--url", required=True)
    m.add_argument("--count", type=int, required=True)
    r = sub.add_parser("report")
    r.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    if args.command == "reset-watermarks":
        reset_watermarks()
    elif args.command == "mutate":
        mutate(args.url, args.count)
    else:
        report(args.runs)


if __name__ == "__main__":
    main()
