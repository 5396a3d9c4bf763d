"""Benchmark: API calls spent only on what changed (issue 11), counted by the simulator, with real DAG runs.

One account (`--conversations`, `--contacts`), then:
1. the initial load (front_sync_backfill) and a nightly run (front_sync_full: small resources, contacts, the
   conversation re-listing, and the rolling verification of issue 19: the messages and comments of about
   1/verify_days of all conversations, reported on its own as calls per night);
2. an hourly run (front_sync_incremental) after `--changed` conversations (new messages, replies, comments, tags,
   assignments...) and `--contacts-changed` contacts changed; then a second hourly run inside the overlap;
3. a backfill re-run over the unchanged account (its listing pages are the floor);
4. on a fresh warehouse (`--kill-conversations` account): a backfill killed with SIGKILL half-way through its calls,
   then re-run, against an uninterrupted one; the warehouse is compared with the simulator's truth.
Writes bench/results/bench_quota.json and prints a table.

    .venv/bin/python bench/bench_quota.py                                  # 20,000 conversations: ~15 min
    .venv/bin/python bench/bench_quota.py --conversations 2000 --kill-conversations 1000   # ~3 min
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
from decimal import Decimal

from front_sync_testing.bench import harness  # noqa: I001 - sets Airflow's environment before airflow is imported
from front_sync_testing.db import fetch

CHANGE_MIX = (
    "new_inbound",
    "new_out_reply",
    "add_comments",
    "tag",
    "assign",
    "archive",
    "trash",
    "update_conversation_custom_fields",
)
KILLED_RUN = """
from front_sync_testing.bench import harness  # sets Airflow's environment first
from front_sync_testing.dags import parse_dags
parse_dags().dags["front_sync_backfill"].test()
"""


def calls(control) -> dict:
    stats = control.stats()
    return {"total": stats["totals"]["calls"], **{name: entry["calls"] for name, entry in stats["endpoints"].items()}}


def measured(control, dag, **conf) -> dict:
    """Run a DAG once (dag.test) and return the simulator's call counts for it."""
    control.reset_stats()
    state = dag.test(run_conf=conf or None).state
    if state != "success":
        raise RuntimeError(f"{dag.dag_id} ended {state}")
    return calls(control)


def wait_past(control) -> None:
    """A run's window ends at its start: let the clock pass the newest change."""
    newest = max(Decimal(str(e["emitted_at"])) for e in control.truth("events")["_results"][-5:])
    while Decimal(str(time.time())) <= newest:
        time.sleep(0.01)


def change(control, conversations: int, contacts: int) -> int:
    """Change `conversations` distinct conversations (a mix of kinds) and `contacts` contacts."""
    changed: set[str] = set()
    n = 0
    while len(changed) < conversations:
        changed.update(control.mutate(CHANGE_MIX[n % len(CHANGE_MIX)], count=1)["ids"])
        n += 1
    control.mutate("update_contacts", count=contacts)
    wait_past(control)
    return len(changed)


def steady_state(s: harness.Stack, args) -> dict:
    """Initial load, nightly, hourly after changes, hourly inside the overlap, backfill re-run."""
    dags, control = s.dags, s.control
    started = time.monotonic()
    backfill = measured(control, dags["front_sync_backfill"])
    figures = {
        "backfill_calls": backfill["total"],
        "backfill_listing_pages": backfill.get("/conversations", 0),
        "backfill_seconds": round(time.monotonic() - started, 1),
    }
    figures["nightly_calls"] = measured(control, dags["front_sync_full"])
    figures["nightly_verification"] = verification(s.warehouse_url)
    figures["changed_conversations"] = change(control, args.changed, args.contacts_changed)
    figures["hourly_calls"] = measured(control, dags["front_sync_incremental"])
    figures["hourly_again_in_overlap_calls"] = measured(control, dags["front_sync_incremental"])
    rerun = measured(control, dags["front_sync_backfill"], restart=True)
    figures["backfill_rerun_calls"] = rerun
    figures["backfill_rerun_over_listing"] = round(rerun["total"] / max(figures["backfill_listing_pages"], 1), 4)
    return figures


def verification(url: str) -> dict:
    """The last nightly run's rolling verification, from its sync_logs rows (verify_messages, verify_comments)."""
    rows = fetch(
        url,
        "SELECT resource, api_calls, metadata FROM front.sync_logs WHERE task_id LIKE 'verify_%%' "
        "AND id > coalesce((SELECT max(id) FROM front.sync_logs WHERE task_id = 'sync_conversations' "
        "AND sync_type = 'full'), 0)",
    )
    per = {
        r: {
            "calls": calls,
            "conversations": meta["verify"]["due"],
            "repaired": meta["verify"]["repaired"],
            "verify_days": meta["verify"]["verify_days"],
        }
        for r, calls, meta in rows
    }
    return {"calls_per_night": sum(v["calls"] for v in per.values()), **per}


def fresh_warehouse(s: harness.Stack) -> None:
    """Drop the warehouse schema and the watermarks: the next run is a first load."""
    from airflow.models import Variable

    fetch(s.warehouse_url, "DROP SCHEMA IF EXISTS front CASCADE")
    for key in ("conversations", "contacts"):
        Variable.delete(f"front_sync.watermark.{key}")


def live_ids(url: str, table: str) -> set[str]:
    statement = f"SELECT id FROM front.{table} WHERE deleted_at IS NULL"  # noqa: S608 - our own table names
    return {row[0] for row in fetch(url, statement)}


def killed_and_rerun(s: harness.Stack, args) -> dict:
    """An uninterrupted backfill's calls, then a fresh warehouse, a backfill SIGKILLed half-way, and its re-run."""
    from airflow.models import Variable

    control = s.control
    control.reset(seed=7, sizes={"conversations": args.kill_conversations, "contacts": 100})
    Variable.set("front_sync.config", json.dumps({"queue_lease_seconds": 5}))  # a dead try's claims lapse fast
    fresh_warehouse(s)
    whole = measured(control, s.dags["front_sync_backfill"])["total"]
    fresh_warehouse(s)
    control.reset_stats()
    victim = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    while control.stats()["totals"]["calls"] < whole // 2 and victim.poll() is None:
        time.sleep(0.05)
    if victim.poll() is not None:
        raise RuntimeError(f"the backfill to be killed ended by itself: {victim.stderr.read()[-2000:]}")
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    before_kill = control.stats()["totals"]["calls"]
    time.sleep(5)  # the killed try's leases lapse
    rerun = measured(control, s.dags["front_sync_backfill"])["total"]
    truth = {t: {r["id"] for r in control.truth(t)["_results"]} for t in ("conversations", "messages", "comments")}
    equal = all(live_ids(s.warehouse_url, t) == ids for t, ids in truth.items())
    return {
        "uninterrupted_calls": whole,
        "killed_at_calls": before_kill,
        "rerun_calls": rerun,
        "killed_plus_rerun_calls": before_kill + rerun,
        "extra_share": round((before_kill + rerun - whole) / whole, 4),
        "warehouse_equals_truth": equal,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--changed", type=int, default=100)
    parser.add_argument("--contacts-changed", type=int, default=50)
    parser.add_argument("--kill-conversations", type=int, default=5_000)
    args = parser.parse_args()
    with harness.stack({"conversations": args.conversations, "contacts": args.contacts}) as s:
        figures = steady_state(s, args)
        figures["killed_backfill"] = killed_and_rerun(s, args)
    figures["targets"] = {
        "hourly_calls.total": "<= 15",
        "hourly_again_in_overlap_calls.total": "<= 15",
        "backfill_rerun_over_listing": "<= 1.01",
        "killed_backfill.extra_share": "<= 0.01",
    }
    path = harness.write_report("bench_quota", vars(args), figures)
    killed = figures["killed_backfill"]
    rows = [
        ("backfill calls (listing pages)", f"{figures['backfill_calls']} ({figures['backfill_listing_pages']})"),
        ("nightly full run calls", figures["nightly_calls"]["total"]),
        (
            "  of which rolling verification (conversations)",
            f"{figures['nightly_verification']['calls_per_night']} "
            f"({figures['nightly_verification'].get('messages', {}).get('conversations')})",
        ),
        ("hourly calls after changes", figures["hourly_calls"]["total"]),
        ("hourly calls again inside the overlap", figures["hourly_again_in_overlap_calls"]["total"]),
        (
            "backfill re-run calls / listing pages",
            f"{figures['backfill_rerun_calls']['total']} ({figures['backfill_rerun_over_listing']}x)",
        ),
        (
            "killed + re-run vs uninterrupted",
            f"{killed['killed_plus_rerun_calls']} vs {killed['uninterrupted_calls']} (+{killed['extra_share']:.2%})",
        ),
        ("warehouse equals truth after the kill", killed["warehouse_equals_truth"]),
    ]
    for name, value in rows:
        print(f"{name:45} {value}")
    print(f"results: {path.relative_to(harness.ROOT)}")


if __name__ == "__main__":
    main()
