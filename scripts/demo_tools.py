"""Helpers for scripts/demo.sh: reset watermarks, change simulator contacts, print the sync_logs table."""

from __future__ import annotations

import argparse
import os
import sys


def reset_watermarks() -> list[str]:
    """Delete every front_sync watermark Variable (the demo's warehouse is new, so every cursor starts empty).

    The names come from the resource table (front_sync.resources: conversations included), and any other
    front_sync.watermark.* Variable left by an older version goes too. Returns the keys deleted.
    """
    from airflow.models import Variable
    from airflow.utils.session import create_session

    from front_sync.config import watermark_key
    from front_sync.resources import ALL_RESOURCES

    prefix = watermark_key("")
    with create_session() as session:
        stored = {key for (key,) in session.query(Variable.key).filter(Variable.key.startswith(prefix))}
    keys = sorted(stored | {watermark_key(resource.name) for resource in ALL_RESOURCES})
    deleted = [key for key in keys if Variable.delete(key)]
    print(f"reset {len(deleted)} watermark(s): {', '.join(deleted) or 'none were set'}")
    return deleted


def mutate(url: str, contacts: int, conversations: int, deleted_contacts: int) -> None:
    """Change the simulator's account, then wait until the wall clock has passed the newest change.

    The simulator stamps changes strictly increasing, so a burst can run a few ms ahead of the clock; a run's
    window ends when it is triggered, and a change stamped after that belongs to the next run.
    """
    import time
    from decimal import Decimal

    from front_simulator.control import SimulatorControl
    from front_simulator.mutations import CONVERSATION_CHANGES

    control = SimulatorControl(url)
    if contacts:
        print(f"  changed {len(control.mutate('update_contacts', count=contacts)['ids'])} contacts")
    if deleted_contacts:
        print(f"  deleted {len(control.mutate('delete_contacts', count=deleted_contacts)['ids'])} contacts")
    if conversations:
        for action in CONVERSATION_CHANGES:
            control.mutate(action, count=conversations)
        print(
            f"  {len(CONVERSATION_CHANGES)} kinds of conversation change x {conversations}: "
            f"{', '.join(CONVERSATION_CHANGES)}"
        )
    stamps = [Decimal(str(c["updated_at"])) for c in control.truth("contacts")["_results"]]
    stamps += [Decimal(str(e["emitted_at"])) for e in control.truth("events")["_results"][-1:]]
    newest = max(stamps, default=Decimal(0))
    while Decimal(time.time()) <= newest:
        time.sleep(0.01)


def report(runs: int) -> None:
    """Print the last `runs` DAG runs' sync_logs rows as a table."""
    import psycopg

    from front_sync.warehouse.sql_files import load_sql

    with psycopg.connect(os.environ["AIRFLOW_CONN_FRONT_WAREHOUSE"]) as conn, conn.cursor() as cur:
        cur.execute(load_sql("report_recent_runs"), {"runs": runs})
        rows = cur.fetchall()
    header = (
        "run",
        "resource",
        "type",
        "status",
        "fetched",
        "created",
        "updated",
        "unchanged",
        "deleted",
        "api calls",
        "seconds",
    )
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
    m.add_argument("--contacts", type=int, default=0, help="contacts to edit")
    m.add_argument("--conversations", type=int, default=0, help="conversations per kind of change")
    m.add_argument("--delete-contacts", type=int, default=0, help="contacts to delete")
    r = sub.add_parser("report")
    r.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    if args.command == "reset-watermarks":
        reset_watermarks()
    elif args.command == "mutate":
        mutate(args.url, args.contacts, args.conversations, args.delete_contacts)
    else:
        report(args.runs)


if __name__ == "__main__":
    main()
