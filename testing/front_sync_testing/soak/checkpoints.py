"""Compare during the run: after each successful incremental run, no synced row may be older than Front was then.

A checkpoint follows every incremental run the scheduler (or the quiet period) finished successfully. Its cutoff
is the run's start, or its window's end when earlier (a scheduled run that started late syncs up to its data
interval's end), or, for a resource whose run was stopped by a `max_results` cap, that run's watermark: the most
the sync says it has. A record whose Front version at the cutoff is known must be stored as that version (it
cannot be newer: Front's current version is the newest there is):
  * the version at the cutoff is the current one when the record did not change since: its `updated_at` is at or
    before the cutoff (conversations, contacts, tags, accounts...); for messages and comments, which have no
    `updated_at`, the conversation they are in now (a merge moves them and bumps the survivor); or its rendering
    is byte for byte the same in a truth dump taken at or before the cutoff and now;
  * a record absent from a truth dump taken at or before the cutoff (or a comment the mutator deleted before it)
    was deleted in Front by then.
Children of conversations still in `front.sync_pending` are not claimed yet and are left out. Differences only in
fields Front derives live from other records, contacts deleted (only the nightly listing sees it) and comments
deleted with nothing due to re-fetch them are *drift without an event* (tests/soak/README.md), tracked until they
converge; anything else is a row older than Front: a mismatch of that checkpoint.

A row that was soft-deleted while its record was gone from Front and is live again later is a *resurrection*:
always a failure, never drift.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import threading
import time
from collections import defaultdict
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql

from .compare import _fetch, _refetch_moments, entity_tables
from .expected import TRUTH_OF_TABLE, Truth, _related, canonical_derived, differing_paths

# Mutations that change what the API renders without an event (README "Drift without an event"): a drifted row's
# change is dated by the first of these after the row was last seen equal to Front (an upper bound of its age).
DRIFT_CAUSES = frozenset(
    {
        "update_contacts",
        "merge_contacts",
        "delete_contacts",
        "rename_tags",
        "delete_tags",
        "update_links",
        "delete_links",
        "delete_comments",
        "rename_teams",
        "update_ticket_statuses",
    }
)
# record field that dates a record's own last change (the current version is the one at the cutoff when <= it)
# (not tags: a deleted parent makes its children top-level without moving their updated_at)
UPDATED = {
    "conversations": "updated_at",
    "contacts": "updated_at",
    "accounts": "updated_at",
    "conversation_statuses": "updated_at",
}
CREATED = {
    "conversations": "created_at",
    "messages": "created_at",
    "comments": "posted_at",
    "contacts": "created_at",
    "tags": "created_at",
    "accounts": "created_at",
}
CHILDREN = ("messages", "comments")
# deletions Front emits no event for and that only a complete listing reconciles (the nightly run's)
DELETIONS_WITHOUT_EVENT = frozenset({"contacts"})
# fields the simulator's bad_records fault (variant unknown_fields) adds to a served record: not Front's version,
# healed when the record is listed again (tracked like drift)
FAULT_FIELDS = ("x_new_field", "_experimental")
EXAMPLES = 5
# per checkpoint and table: rows compared, not knowable at the cutoff, children still queued, older than Front,
# and the kinds of rows behind Front that are tracked until they converge
COUNTS = (
    "compared",
    "unchanged_unknown",
    "queued_skipped",
    "mismatches",
    "drift",
    "dead_lettered",
    "served_with_injected_fields",
)
POLL_SECONDS = 2.0


def dead_letter_ids(conn) -> set[str]:
    """Ids an unreplayed dead letter holds back: its record id, the id in its self link (a record served with a
    garbled id), and for an event its conversation and target (the change it carried is not applied)."""
    ids: set[str] = set()
    for row in _fetch(
        conn,
        "SELECT record_id, payload #>> '{_links,self}', payload #>> '{conversation,id}', "
        "payload #>> '{target,data,id}' FROM front.dead_letters WHERE replayed_at IS NULL",
    ):
        record_id, link, conversation, target = row
        ids.update(v for v in (record_id, conversation, target) if v)
        if link:
            ids.add(link.rstrip("/").rsplit("/", 1)[-1])
    return ids


def _digest(record: Any) -> str:
    return hashlib.sha1(json.dumps(record, sort_keys=True).encode()).hexdigest()


class Checkpoints(threading.Thread):
    """Polls Airflow for finished incremental runs and compares the warehouse with Front at each run's start."""

    def __init__(self, soak: Any):
        super().__init__(name="checkpoints", daemon=True)
        from front_simulator.control import SimulatorControl

        self.soak = soak
        self.control = SimulatorControl(soak.sim_url, timeout=60)  # a requests session per thread
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.results: list[dict[str, Any]] = []
        self.snapshots: list[tuple[float, dict[str, dict[str, str]]]] = []  # (dump taken by, table -> id -> hash)
        self.tombstones: dict[tuple[str, str], str] = {}  # soft-deleted while gone from Front -> checkpoint
        self.resurrections: list[dict[str, Any]] = []
        self.clean_at: dict[tuple[str, str], float] = {}  # last time a row was seen equal to Front
        self.open_drift: dict[tuple[str, str], dict[str, Any]] = {}
        self.converged: list[dict[str, Any]] = []
        self.last_end = None
        self.skipped_runs = 0
        self.errors: list[str] = []
        self.dead: set[str] = set()  # ids of the records unreplayed dead letters hold (or name)

    # -- the loop --

    def run(self) -> None:
        while not self.stop_event.wait(POLL_SECONDS):
            try:
                self.poll()
            except Exception as exc:  # noqa: BLE001 - a restart of the warehouse, a slow truth: next poll
                self.errors.append(f"{type(exc).__name__}: {exc}"[:300])

    def stop(self) -> None:
        self.stop_event.set()
        self.join(timeout=120)

    def poll(self) -> None:
        rows = self.soak.site.query(
            "SELECT run_id, start_date, end_date, run_type FROM dag_run WHERE dag_id = 'front_sync_incremental' "
            "AND state = 'success' AND run_type IN ('scheduled', 'manual') AND end_date IS NOT NULL "
            "AND (%s::timestamptz IS NULL OR end_date > %s) ORDER BY end_date",
            (self.last_end, self.last_end),
        )
        if not rows:
            return
        self.last_end = rows[-1][2]
        self.skipped_runs += len(rows) - 1  # a checkpoint takes seconds: only the newest run is checked
        run_id, started, _end, run_type = rows[-1]
        self.check(f"{run_type}:{run_id}", run_id, started.timestamp())

    def final(self) -> dict[str, Any]:
        """The last checkpoint, with the DAGs paused: against the start of the newest successful incremental run
        (what the sync last said it had), so an unfinished quiet period does not count as rows older than Front."""
        rows = self.soak.site.query(
            "SELECT run_id, start_date FROM dag_run WHERE dag_id = 'front_sync_incremental' AND state = 'success' "
            "AND run_type IN ('scheduled', 'manual') ORDER BY end_date DESC LIMIT 1"
        )
        if not rows:
            return self.check("final (no incremental run succeeded)", None, self.soak.soak_started_wall)
        return self.check(f"final:{rows[0][0]}", rows[0][0], rows[0][1].timestamp())

    # -- one checkpoint --

    def check(self, label: str, run_id: str | None, started: float) -> dict[str, Any]:
        """Compare the warehouse with Front at `started` (cutoffs per resource from the run's sync_logs)."""
        conn = psycopg.connect(self.soak.warehouse_url, connect_timeout=10)
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ  # one snapshot of the warehouse
        conn.read_only = True
        try:
            # The warehouse first, Front after: no stored row can then be newer than the truth it is compared with
            # (a run writing in between would otherwise look like a row Front does not have yet).
            tables = [t for t in entity_tables(conn) if t != "custom_fields"]
            cutoffs = self.cutoffs(conn, run_id, started)
            pending = {(r, c) for r, c in _fetch(conn, "SELECT resource, conversation_id FROM front.sync_pending")}
            self.dead = dead_letter_ids(conn)
            stored = {
                t: {
                    r[0]: (r[1], r[2])
                    for r in _fetch(
                        conn,
                        sql.SQL("SELECT id, raw, deleted_at IS NOT NULL FROM {}").format(sql.Identifier("front", t)),
                    )
                }
                for t in tables
            }
        finally:
            conn.close()
        truth = Truth.fetch(self.control, {TRUTH_OF_TABLE.get(t, t) for t in tables} | {"links"})
        taken = time.time()
        stored = {t: rows for t, rows in stored.items() if TRUTH_OF_TABLE.get(t, t) in truth.records}
        result = {
            "checkpoint": label,
            "run_started": round(started, 3),
            "taken": round(taken, 3),
            "t": round(taken - self.soak.soak_started_wall, 1),
            "cutoffs": {k: float(v) for k, v in sorted(cutoffs.items())},
            **dict.fromkeys(COUNTS, 0),
            "by_table": {},
            "examples": [],
            "resurrections": [],
        }
        context = {
            "deleted_comments": dict(self.soak.mutator.deleted_comments) if self.soak.mutator else {},
            "backfill_started": self.soak.refetch_backfill_starts(),
        }
        moments = _refetch_moments(truth, context)
        snapshot: dict[str, dict[str, str]] = {}
        for table, rows in stored.items():
            resource = TRUTH_OF_TABLE.get(table, table)
            expected = truth.records[resource]
            snapshot[table] = {i: _digest(r) for i, r in expected.items()}
            cutoff = cutoffs.get(table if table not in CHILDREN else "conversations", Decimal(str(started)))
            counts = self.compare_table(
                table, expected, rows, truth, float(cutoff), pending, context, moments, result, taken
            )
            result["by_table"][table] = counts
        with self.lock:
            self.snapshots.append((taken, snapshot))
            self.results.append(result)
        self.soak.note(
            f"checkpoint {label}: compared {result['compared']}, older than Front "
            f"{result['mismatches']}, drift {result['drift']}, resurrections "
            f"{len(result['resurrections'])}"
        )
        return result

    def cutoffs(self, conn, run_id: str | None, started: float) -> dict[str, Decimal]:
        """Per resource, what the run claims: up to its start, or to the end of its window when that is earlier (a
        scheduled run that started late syncs up to its data interval's end), or to its watermark when a
        max_results cap stopped it."""
        out: dict[str, Decimal] = {}
        if run_id is None:
            return out
        for resource, capped, after, window_end in _fetch(
            conn,
            "SELECT DISTINCT ON (resource) resource, metadata ->> 'capped' = 'true', watermark_after, "
            "window_end FROM front.sync_logs WHERE dag_id = 'front_sync_incremental' AND run_id = %s "
            "AND status = 'success' ORDER BY resource, id DESC",
            (run_id,),
        ):
            bounds = [Decimal(str(started))]
            if window_end is not None:
                bounds.append(Decimal(window_end))
            if capped and after is not None:
                bounds.append(Decimal(after))
            out[resource] = min(bounds)
        return out

    def snapshot_before(self, cutoff: float) -> dict[str, dict[str, str]] | None:
        """The newest truth dump taken at or before the cutoff."""
        with self.lock:
            earlier = [snap for at, snap in self.snapshots if at <= cutoff]
        return earlier[-1] if earlier else None

    def compare_table(
        self,
        table: str,
        expected: dict[str, dict[str, Any]],
        rows: dict[str, tuple],
        truth: Truth,
        cutoff: float,
        pending: set,
        context: dict[str, Any],
        moments: dict[str, list[Decimal]],
        result: dict[str, Any],
        taken: float,
    ) -> dict[str, int]:
        counts = defaultdict(int)
        before = (self.snapshot_before(cutoff) or {}).get(table)
        label = result["checkpoint"]
        for record_id in sorted(expected.keys() | rows.keys()):
            key = (table, record_id)
            want = expected.get(record_id)
            raw, soft_deleted = rows.get(record_id, (None, False))
            live = raw is not None and not soft_deleted
            if want is None:  # gone from Front
                if key in self.tombstones and live:
                    self.resurrect(key, label, result)
                if not live:
                    if raw is not None:
                        self.tombstones.setdefault(key, label)
                    self.settle(key, taken)
                    continue
                if not self.gone_by(table, record_id, cutoff, before, context):
                    counts["unchanged_unknown"] += 1
                    continue
                counts["compared"] += 1
                if self.deletion_without_event(table, record_id, cutoff, context, moments, truth):
                    self.drifted(key, result, counts, record_id, raw, context)
                    continue
                self.mismatch(result, counts, table, "deleted in Front, live in the warehouse", record_id, stored=raw)
                continue
            if table in CHILDREN and self.queued(table, want, raw, pending):
                counts["queued_skipped"] += 1
                continue
            if not self.known_at(table, record_id, want, truth, cutoff, before):
                counts["unchanged_unknown"] += 1
                continue
            counts["compared"] += 1
            if record_id in self.dead and (not live or raw != want):
                self.drifted(key, result, counts, record_id, raw, context, "dead_lettered")
                continue
            if not live:
                why = "soft-deleted in the warehouse, live in Front" if soft_deleted else "missing"
                self.mismatch(result, counts, table, why, record_id)
                continue
            if raw == want:
                self.settle(key, taken)
            elif canonical_derived(table, raw, truth) == canonical_derived(table, want, truth):
                self.drifted(key, result, counts, record_id, raw, context)
            elif (
                any(k in raw for k in FAULT_FIELDS) and {k: v for k, v in raw.items() if k not in FAULT_FIELDS} == want
            ):
                self.drifted(key, result, counts, record_id, raw, context, "served_with_injected_fields")
            else:
                paths = differing_paths(raw, want)
                self.mismatch(result, counts, table, "older than Front", record_id, paths=paths[:8])
        for name in COUNTS:
            result[name] += counts[name]
        return dict(counts)

    # -- what is known at the cutoff --

    def known_at(
        self,
        table: str,
        record_id: str,
        want: dict[str, Any],
        truth: Truth,
        cutoff: float,
        before: dict[str, str] | None,
    ) -> bool:
        """Whether Front's version at the cutoff is the current one (the record did not change since)."""
        if before is not None and before.get(record_id) == _digest(want):
            return True
        field = UPDATED.get(table)
        if field and want.get(field) is not None:
            return float(want[field]) <= cutoff
        if table in CHILDREN:
            created = want.get(CREATED[table])
            parent = truth.records["conversations"].get(_related(want, "conversation") or "")
            return (
                parent is not None
                and created is not None
                and float(created) <= cutoff
                and float(parent.get("updated_at") or 0) <= cutoff
            )
        return False

    def gone_by(
        self, table: str, record_id: str, cutoff: float, before: dict[str, str] | None, context: dict[str, Any]
    ) -> bool:
        """Whether the record was deleted in Front at or before the cutoff."""
        if table == "comments":
            info = (context.get("deleted_comments") or {}).get(record_id)
            if info is not None:
                return info["at"] <= cutoff
        return before is not None and record_id not in before

    def deletion_without_event(
        self,
        table: str,
        record_id: str,
        cutoff: float,
        context: dict[str, Any],
        moments: dict[str, list[Decimal]],
        truth: Truth,
    ) -> bool:
        """Deleted in Front with no event and nothing due to show it by the cutoff (drift, not a mismatch)."""
        if table in DELETIONS_WITHOUT_EVENT:
            return True
        info = (context.get("deleted_comments") or {}).get(record_id) if table == "comments" else None
        if info is None:
            return False
        conversation = info["conversation"]
        while conversation in truth.merged_conversations:
            conversation = truth.merged_conversations[conversation]
        due = [
            m
            for m in moments.get(conversation, []) + moments.get("*", [])
            if Decimal(str(info["at"])) < m <= Decimal(str(cutoff))
        ]
        return not due

    @staticmethod
    def queued(table: str, want: dict[str, Any], raw: Any, pending: set) -> bool:
        conversations = {_related(want, "conversation"), _related(raw, "conversation") if raw else None}
        return any((table, c) in pending for c in conversations if c)

    # -- outcomes --

    def mismatch(
        self, result: dict[str, Any], counts: dict[str, int], table: str, why: str, record_id: str, **detail: Any
    ) -> None:
        counts["mismatches"] += 1
        counts[why] += 1
        if sum(1 for e in result["examples"] if e["table"] == table and e["why"] == why) < EXAMPLES:
            example = {"table": table, "why": why, "id": record_id, **detail}
            if "stored" in example:
                example["stored"] = json.dumps(example["stored"], default=str)[:200]
            result["examples"].append(example)

    def resurrect(self, key: tuple[str, str], label: str, result: dict[str, Any]) -> None:
        entry = {
            "table": key[0],
            "id": key[1],
            "soft_deleted_at_checkpoint": self.tombstones.pop(key),
            "live_again_at_checkpoint": label,
        }
        result["resurrections"].append(entry)
        with self.lock:
            self.resurrections.append(entry)

    def drifted(
        self,
        key: tuple[str, str],
        result: dict[str, Any],
        counts: dict[str, int],
        record_id: str,
        raw: Any,
        context: dict[str, Any],
        kind: str = "drift_without_event",
    ) -> None:
        """A row behind Front for a reason the sync cannot see at once: tracked until it converges."""
        counts["drift" if kind == "drift_without_event" else kind] += 1
        if key not in self.open_drift:
            self.open_drift[key] = {
                "table": key[0],
                "id": record_id,
                "kind": kind,
                "first_seen": result["checkpoint"],
                "changed_at": self.change_time(key, raw, context),
            }

    def change_time(self, key: tuple[str, str], raw: Any, context: dict[str, Any]) -> float:
        """When Front changed the row without an event: a deleted comment's deletion, else the first mutation that
        can cause drift after the row was last seen equal to Front or after the Front time of the view it holds
        (an upper bound of the time it took to converge)."""
        info = (context.get("deleted_comments") or {}).get(key[1]) if key[0] == "comments" else None
        if info is not None:
            return float(info["at"])
        since = max(
            self.clean_at.get(key, 0.0),
            self.soak.soak_started_wall,
            *(
                float(raw[f])
                for f in ("updated_at", CREATED.get(key[0], "created_at"))
                if isinstance(raw, dict) and isinstance(raw.get(f), int | float)
            ),
        )
        times = self.soak.mutator.started_since(since, DRIFT_CAUSES) if self.soak.mutator else []
        return times[0] if times else since

    def settle(self, key: tuple[str, str], taken: float) -> None:
        """The row equals Front (or both have it deleted): an open drift converged here."""
        self.clean_at[key] = taken
        entry = self.open_drift.pop(key, None)
        if entry is not None:
            entry["converged_at"] = round(taken, 3)
            entry["seconds"] = round(taken - entry["changed_at"], 1)
            with self.lock:
                self.converged.append(entry)

    # -- the summary --

    def report(self) -> dict[str, Any]:
        with self.lock:
            seconds = [e["seconds"] for e in self.converged]
            open_rows = [{**e, "converged_at": None} for e in self.open_drift.values()]
            return {
                "count": len(self.results),
                "runs_not_checked": self.skipped_runs,
                "mismatches": sum(r["mismatches"] for r in self.results),
                "with_mismatches": sum(1 for r in self.results if r["mismatches"]),
                "compared": sum(r["compared"] for r in self.results),
                "errors": self.errors[-10:],
                "per_checkpoint": self.results,
                "resurrections": list(self.resurrections),
                "convergence": {
                    "converged": len(seconds),
                    "not_converged": len(open_rows),
                    "max_seconds": max(seconds) if seconds else None,
                    "p50_seconds": statistics.median(seconds) if seconds else None,
                    "rows": sorted(self.converged, key=lambda e: -e["seconds"]) + open_rows,
                },
            }
