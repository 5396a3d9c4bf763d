"""The faults phase of the real-time benchmark: webhooks dropped, duplicated, reordered, forged and replayed, the
receiver down for a while, then the hourly run; the warehouse must equal the simulator's truth and nothing forged
or replayed may have been stored."""

from __future__ import annotations

import time
from typing import Any

from front_sync_testing.soak.infra import log
from front_sync_testing.truth import TABLES, live_rows, wait_past

from .phases import drive, wait_applied
from .plan import steady
from .stack import REALTIME_DAG, RealtimeStack, run_to_end, wait_idle

FAULTS = {
    "drop": 0.2,
    "duplicate": 0.1,
    "reorder": {"window": 10, "max_hold_seconds": 2},
    "forge": 0.05,
    "replay": 0.05,
}
STALE_REPLAYS = 5  # genuine requests re-sent with a timestamp 10 minutes old: outside the 5-minute window


def run_faults(
    stack: RealtimeStack, rate: float, fault_seconds: float, down_seconds: float, timeout: float
) -> dict[str, Any]:
    """Mutations under webhook faults, then with the receiver stopped, then after its restart; the hourly run;
    the comparison with the truth and the check of what was stored."""
    control = stack.control
    after_seq = control.webhook_status()["last_seq"]
    control.set_webhook_faults(**FAULTS)
    log(f"faults: {FAULTS}; {fault_seconds:.0f} s of mutations")
    under_faults = drive(control, steady(fault_seconds, rate))
    stack.stop_receiver()
    log(f"faults: receiver stopped for {down_seconds:.0f} s while mutations go on")
    while_down = drive(control, steady(down_seconds, rate, start=len(under_faults.events)))
    stack.start_receiver()
    log("faults: receiver restarted")
    after_restart = drive(control, steady(min(fault_seconds, 30.0), rate, start=3))
    stale = control.replay_webhooks(count=STALE_REPLAYS, backdate_seconds=600)
    control.set_webhook_faults()
    events = under_faults.events + while_down.events + after_restart.events
    settled = wait_applied(stack, events, timeout)
    wait_idle(stack.site, REALTIME_DAG, timeout)
    wait_past(control)
    started = time.monotonic()
    run_to_end(stack.site, "front_sync_incremental", timeout)
    hourly_seconds = round(time.monotonic() - started, 1)
    return {
        "faults": FAULTS,
        "mutations": {
            "under_faults": sum(under_faults.actions.values()),
            "receiver_down": sum(while_down.actions.values()),
            "after_restart": sum(after_restart.actions.values()),
            "refused": dict(under_faults.refused + while_down.refused + after_restart.refused),
        },
        "events": len(events),
        "settle_seconds": settled,
        "hourly_run_seconds": hourly_seconds,
        "deliveries": delivery_outcomes(control, after_seq),
        "stale_replays_sent": len(stale),
        "stored": stored_check(stack, events),
        "mismatches": mismatches(control, stack.warehouse_url),
    }


def delivery_outcomes(control: Any, after_seq: int) -> dict[str, dict[str, int]]:
    """The simulator's delivery log since `after_seq`: per kind (event, duplicate, forged, replay), per outcome."""
    counts: dict[str, dict[str, int]] = {}
    for entry in control.webhook_deliveries(after=after_seq):
        per_kind = counts.setdefault(entry["kind"], {})
        per_kind[entry["outcome"]] = per_kind.get(entry["outcome"], 0) + 1
    return counts


def stored_check(stack: RealtimeStack, events: list[str]) -> dict[str, Any]:
    """Every stored webhook is a genuine simulator event stored once; forged ids never stored; refusals counted."""
    genuine = {e["id"] for e in stack.control.truth("events")["_results"]}
    rows = stack.wh("SELECT event_id, deliveries, applied_at IS NOT NULL FROM front.webhook_events")
    ids = [r[0] for r in rows]
    forged = {d["event_id"] for d in stack.control.webhook_deliveries(kind="forged")}
    rejections = dict(stack.wh("SELECT reason, sum(count)::int FROM front.webhook_rejections GROUP BY reason"))
    phase = set(events)
    return {
        "webhook_rows": len(rows),
        "not_genuine": len(set(ids) - genuine),
        "forged_ids_stored": len(forged & set(ids)),
        "stored_more_than_once": len(ids) - len(set(ids)),
        "phase_events_stored": len(phase & set(ids)),
        "phase_events_not_stored": len(phase - set(ids)),
        "redelivered_rows": sum(1 for r in rows if r[1] > 1),
        "not_applied": sum(1 for r in rows if not r[2]),
        "rejections": rejections,
    }


def mismatches(control: Any, warehouse_url: str) -> dict[str, Any]:
    """Per warehouse table, its live rows against the simulator's truth (front_sync_testing.truth's tables):
    missing, extra and differing row counts, one differing id as an example; `total` sums them."""
    per_table: dict[str, Any] = {}
    for table, truth_names in TABLES.items():
        names = (truth_names,) if isinstance(truth_names, str) else truth_names
        truth = {r["id"]: r for name in names for r in control.truth(name)["_results"]}
        stored = live_rows(warehouse_url, table)
        differing = [i for i in truth.keys() & stored.keys() if truth[i] != stored[i]]
        entry = {
            "missing": len(truth.keys() - stored.keys()),
            "extra": len(stored.keys() - truth.keys()),
            "differing": len(differing),
        }
        if differing:
            one = differing[0]
            keys = sorted(k for k in truth[one].keys() | stored[one].keys() if truth[one].get(k) != stored[one].get(k))
            entry["example"] = {"id": one, "fields": keys}
        per_table[table] = entry
    total = sum(e["missing"] + e["extra"] + e["differing"] for e in per_table.values())
    return {"total": total, "tables": per_table}
