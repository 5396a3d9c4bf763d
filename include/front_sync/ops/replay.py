"""Dead-letter replay: after a fix, load dead letters again through the normal loader (load_batch).

Selected: the rows not replayed yet, all or one resource's, optionally only those whose error contains a text.
Each record is loaded on its own (one transaction, the normal conflict rules and the version rule: as of the view
its batch was seen in, or the oldest view when unknown, so an old payload never replaces a newer row), so one that
still fails cannot
hold back the others: a record that loads gets replayed_at (the row is kept); one that fails again keeps
replayed_at null and takes the new error (the loader's new copy of it is removed). A dead-lettered queue entry
(a conversation whose messages or comments failed too often: payload {"id": "cnv_...", "queue": ...}) is put
back in front.sync_pending instead, for the next sync_messages / sync_comments run. Records of a name outside the
resource table are replayed by an applier the caller passes (dead-lettered events: re-applied through the events
sync's own path, so the version rule applies); a name nobody can replay is reported and left as it is, never a
crash (issue 19 item 7). One sync_logs row per resource (sync_type 'replay').
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from front_sync.ops import audit
from front_sync.resources import ALL_RESOURCES, get_resource
from front_sync.warehouse import pending
from front_sync.warehouse.load import load_batch
from front_sync.warehouse.prepare import View
from front_sync.warehouse.sql_files import load_sql

log = logging.getLogger(__name__)

# Replays one record of a name outside the resource table: (conn, record, run_id) -> (error or None, counts).
Applier = Callable[[Any, Any, str], tuple[str | None, Counter]]


@dataclass
class ReplayResult:
    """Per resource: replayed (loaded or re-queued), failed_again, requeued; `unknown`: dead letters of names
    nothing can replay (left unreplayed, reported)."""

    replayed: Counter = field(default_factory=Counter)
    failed_again: Counter = field(default_factory=Counter)
    requeued: Counter = field(default_factory=Counter)
    unknown: Counter = field(default_factory=Counter)


def _record(payload: Any, payload_text: str | None) -> Any:
    if payload is not None:
        return payload
    return json.loads(payload_text) if payload_text else None


def _is_queue_entry(record: Any) -> bool:
    return isinstance(record, dict) and set(record) == {"id", "queue"} and isinstance(record["id"], str)


def select(conn, resource: str | None, error_contains: str | None) -> dict[str, list[tuple[int, Any, View]]]:
    """The dead letters to replay, by resource: (dead letter id, record, the view it came from)."""
    with conn.cursor() as cur:
        cur.execute(
            load_sql("ops/replay_select"), {"resource": resource or None, "error_contains": error_contains or None}
        )
        rows = cur.fetchall()
    conn.rollback()
    chosen: dict[str, list[tuple[int, Any, View]]] = defaultdict(list)
    for dead_id, name, payload, payload_text, view_at in rows:
        chosen[name].append((dead_id, _record(payload, payload_text), View(at=view_at)))
    return chosen


def _apply_one(conn, name: str, applier: Applier, dead_id: int, record: Any, run_id: str, counts: Counter) -> bool:
    """Replay one record with its applier; a record still bad keeps its row unreplayed, with the new error."""
    error, applied = applier(conn, record, run_id)
    counts["fetched"] += 1
    counts.update(applied)
    with conn.cursor() as cur:
        if error is None:
            cur.execute(load_sql("ops/replay_done"), {"id": dead_id})
        else:
            counts["dead_lettered"] += 1
            cur.execute(load_sql("ops/replay_error"), {"id": dead_id, "error": f"{name}: {error}"})
    conn.commit()
    return error is None


def _replay_one(conn, resource, dead_id: int, record: Any, view: View, run_id: str, counts: Counter) -> bool:
    """Load or re-queue one dead letter; True when it went through."""
    if _is_queue_entry(record) and resource.name == record["queue"]:
        with conn.cursor() as cur:
            pending.enqueue(cur, resource.name, [record["id"]], run_id)
            cur.execute(load_sql("ops/replay_done"), {"id": dead_id})
        conn.commit()
        counts["requeued"] += 1
        return True
    result = load_batch(conn, resource, [record], run_id, view=view)
    counts["fetched"] += 1
    counts.update(result.counts)
    with conn.cursor() as cur:
        if result.counts.get("dead_lettered"):
            cur.execute(load_sql("ops/replay_failed_again"), {"run_id": run_id, "id": dead_id})
        else:
            cur.execute(load_sql("ops/replay_done"), {"id": dead_id})
    conn.commit()
    return not result.counts.get("dead_lettered")


def replay(
    conn,
    who: audit.RunIdentity,
    resource: str | None = None,
    error_contains: str | None = None,
    appliers: Mapping[str, Applier] | None = None,
) -> ReplayResult:
    """Replay the selected dead letters, with one sync_logs row per resource; `appliers` replay names outside the
    resource table (e.g. "events"). Dead letters of a name with neither are reported in the result and the log."""
    appliers = dict(appliers or {})
    known = {r.name for r in ALL_RESOURCES} | set(appliers)
    if resource and resource not in appliers:
        get_resource(resource)  # an unknown name fails here, naming the known ones
    result = ReplayResult()
    for name, letters in sorted(select(conn, resource, error_contains).items()):
        if name not in known:
            result.unknown[name] = len(letters)
            log.warning(
                "Replay: %d dead letter(s) of %r left as they are: nothing replays that name (known: %s)",
                len(letters),
                name,
                ", ".join(sorted(known)),
            )
            continue
        _replay_resource(conn, who, name, letters, error_contains, appliers.get(name), result)
    return result


def _replay_resource(
    conn,
    who: audit.RunIdentity,
    name: str,
    letters: list[tuple[int, Any, View]],
    error_contains: str | None,
    applier: Applier | None,
    result: ReplayResult,
) -> None:
    """Replay one resource's dead letters under one sync_logs row."""
    with audit.audited(conn, who, name, "replay") as row:
        counts = row.counts
        row.metadata.update(error_contains=error_contains, selected=len(letters))
        for dead_id, record, view in letters:
            if applier is not None:
                ok = _apply_one(conn, name, applier, dead_id, record, who.run_id, counts)
            else:
                ok = _replay_one(conn, get_resource(name), dead_id, record, view, who.run_id, counts)
            result.replayed[name] += ok
            result.failed_again[name] += not ok
        result.requeued[name] = counts.pop("requeued", 0)
        row.metadata.update(
            replayed=result.replayed[name], failed_again=result.failed_again[name], requeued=result.requeued[name]
        )
    log.info(
        "Replayed %s: %d of %d dead letters went through (%d re-queued), %d failed again",
        name,
        result.replayed[name],
        len(letters),
        result.requeued[name],
        result.failed_again[name],
    )
