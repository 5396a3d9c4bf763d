"""What the warehouse already knows, so the API quota goes only to what changed.

- applied events (by Front's event id): re-reading the overlap below the watermark costs no second fetch;
- per conversation and sub-resource, the conversation updated_at its sub-resources are current for
  (front.children_synced): a backfill, a listing or the nightly re-list queues only conversations changed since.
  Markers fail closed (issue 19 item 3): only a proven-safe skip moves one on; anything unknown leaves it behind;
- per conversation and sub-resource, when a complete fetch last verified its sub-resources (front.children_verified):
  the nightly rolling verification re-fetches a slice so every conversation is verified every `verify_days`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from front_sync.warehouse.sql_files import load_sql


def applied_events(conn, event_ids: Iterable[str]) -> set[str]:
    """The ids among `event_ids` an earlier run applied."""
    ids = sorted(set(event_ids))
    if not ids:
        return set()
    with conn.cursor() as cur:
        cur.execute(load_sql("known/applied_events_find"), {"ids": ids})
        found = {row[0] for row in cur.fetchall()}
    conn.commit()
    return found


def record_applied(cur, events: Iterable[tuple[str, Decimal]], run_id: str) -> None:
    """Remember applied events (id, emitted_at) in the caller's transaction."""
    events = list(events)
    if events:
        cur.execute(
            load_sql("known/applied_events_record"),
            {"ids": [e[0] for e in events], "emitted_at": [e[1] for e in events], "run_id": run_id},
        )


def purge_applied(conn, before: Decimal) -> int:
    """Forget applied events emitted before `before` (no run reads them again); committed."""
    with conn.cursor() as cur:
        cur.execute(load_sql("known/applied_events_purge"), {"before": before})
        purged = cur.rowcount
    conn.commit()
    return purged


def advance_sub_resources(
    cur, resource: str, through: Mapping[str, Decimal | None], born: set[str], run_id: str
) -> None:
    """Mark conversations' `resource` rows current as of `through` (their snapshots' updated_at); an existing
    marker moves on, a new one is made only for conversations in `born` (every event of theirs was applied)."""
    ids = sorted(through)
    if ids:
        cur.execute(
            load_sql("known/children_synced_advance"),
            {
                "resource": resource,
                "ids": ids,
                "through": [through[i] for i in ids],
                "born": [i in born for i in ids],
                "run_id": run_id,
            },
        )


def sub_resources_changed(cur, resource: str, updated_at: Mapping[str, Decimal | None]) -> set[str]:
    """Of the listed conversations (id -> updated_at), those whose `resource` rows may be out of date."""
    ids = sorted(updated_at)
    if not ids:
        return set()
    cur.execute(
        load_sql("known/sub_resources_changed"),
        {"resource": resource, "ids": ids, "updated_at": [updated_at[i] for i in ids]},
    )
    return {row[0] for row in cur.fetchall()}


def forget_sub_resources(cur, resource: str, conversation_ids: Iterable[str]) -> None:
    """Move the markers of these conversations' `resource` rows back to unknown (their next listing queues a
    fetch); in the caller's transaction."""
    ids = sorted(set(conversation_ids))
    if ids:
        cur.execute(load_sql("known/children_synced_forget"), {"resource": resource, "ids": ids})


def record_merges(cur, merged_into: Mapping[str, str], run_id: str) -> None:
    """Remember which conversation each merged-away one went into (front.conversation_merges); caller commits."""
    merged = sorted(merged_into)
    if merged:
        cur.execute(
            load_sql("known/merges_record"),
            {"merged": merged, "survivors": [merged_into[i] for i in merged], "run_id": run_id},
        )


def record_verified(cur, resource: str, conversation_ids: Iterable[str], run_id: str) -> None:
    """A complete fetch read every `resource` row of these conversations (front.children_verified); caller commits."""
    ids = sorted(set(conversation_ids))
    if ids:
        cur.execute(load_sql("known/children_verified_record"), {"resource": resource, "ids": ids, "run_id": run_id})


def verification_due(conn, resource: str, verify_days: int, night: int) -> list[str]:
    """The conversations whose `resource` rows tonight's rolling verification re-fetches: night `night`'s slice
    (about 1/verify_days of all) plus those not verified for verify_days."""
    with conn.cursor() as cur:
        cur.execute(
            load_sql("known/verification_due"),
            {"resource": resource, "days": verify_days, "slice": night % verify_days},
        )
        ids = [row[0] for row in cur.fetchall()]
    conn.commit()
    return ids
