"""Compare the warehouse with the simulator's ground truth, row by row, child tables included.

The truth is `GET /_simulator/truth/<resource>`: every live record exactly as the API renders it now. The expected
rows of each child table are derived from the truth records in expected.py, independently of front_sync's transform
code, so a transform bug shows as a mismatch instead of being reproduced on both sides.

Some fields of a rendered record are derived live from *other* records and change without an event and without
moving the record's own timestamp (the simulator behaves like Front here):
  * conversations: `tags[]` (tag renamed or deleted), `recipient.name/handle` and its contact link (contact edited,
    merged or deleted);
  * messages: `recipients[].name/handle` and their contact links (same causes).
A sync that follows the Events API cannot see those changes until the record changes again. A row that differs
only there is reported as *drift without an event* (README: "Misses changes that emit no event"), not as a
mismatch; anything else that differs is a mismatch.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql

from .expected import (
    CHILD_TABLES,
    CUSTOM_FIELD_SCOPES,
    SAMPLES,
    TABLE_ORDER,
    TRUTH_OF_TABLE,
    TYPED_COLUMNS,
    Truth,
    _norm,
    _read,
    _related,
    _ts,
    canonical_derived,
    differing_paths,
    expected_children,
)

# -- the warehouse -----------------------------------------------------------------------------------------


def _fetch(conn, statement, params=()) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(statement, params)
        return cur.fetchall()


@dataclass
class TableReport:
    table: str
    truth_rows: int = 0
    warehouse_rows: int = 0
    compared: int = 0
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    differing: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)
    typed: list[str] = field(default_factory=list)
    examples: list[dict[str, Any]] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def mismatches(self) -> int:
        return len(self.missing) + len(self.extra) + len(self.differing) + len(self.typed)

    def as_dict(self) -> dict[str, Any]:
        return {
            "truth_rows": self.truth_rows,
            "warehouse_rows": self.warehouse_rows,
            "compared": self.compared,
            "mismatches": self.mismatches,
            "missing": len(self.missing),
            "extra": len(self.extra),
            "differing": len(self.differing),
            "typed_column_mismatches": len(self.typed),
            "drift_without_event": len(self.drift),
            "missing_ids": self.missing[:SAMPLES],
            "extra_ids": self.extra[:SAMPLES],
            "differing_ids": self.differing[:SAMPLES],
            "drift_ids": self.drift[:SAMPLES],
            "typed_ids": self.typed[:SAMPLES],
            "examples": self.examples[:SAMPLES],
            **self.notes,
        }


# Events after which the sync fetches a conversation's comments again: a merge. Comment and mention events carry
# the comment in full (loaded from the event, no fetch), so they no longer reveal a comment deleted before them.
COMMENT_REFETCH_EVENTS = frozenset({"conversations_merged"})


def compare_entities(
    conn,
    table: str,
    truth: Truth,
    context: dict[str, Any] | None = None,
    *,
    resource: str | None = None,
    scope: str | None = None,
) -> TableReport:
    """One entity table (or one scope of custom_fields) against the truth resource `resource`."""
    report = TableReport(f"{table}[{scope}]" if scope else table)
    context = context or {}
    expected = truth.records[resource or table]
    typed = TYPED_COLUMNS.get(table, {})
    columns = [sql.Identifier(c) for c in typed]
    where = sql.SQL(" WHERE scope = {}").format(sql.Literal(scope)) if scope else sql.SQL("")
    statement = sql.SQL("SELECT id, raw, deleted_at IS NOT NULL{extra} FROM {table}{where}").format(
        extra=sql.SQL("").join(sql.SQL(", ") + c for c in columns), table=sql.Identifier("front", table), where=where
    )
    live: dict[str, tuple[dict[str, Any], tuple]] = {}
    soft_deleted = 0
    for row in _fetch(conn, statement):
        if row[2]:
            soft_deleted += 1
            continue
        live[row[0]] = (row[1], row[3:])
    report.truth_rows, report.warehouse_rows = len(expected), len(live)
    report.notes["soft_deleted_rows"] = soft_deleted
    report.missing = sorted(expected.keys() - live.keys())
    report.extra = sorted(live.keys() - expected.keys())
    if table == "comments":
        _classify_deleted_comments(conn, report, truth, context)
    if table in ("messages", "comments") and report.missing:
        _explain_missing_children(conn, report, expected)
    for record_id in sorted(expected.keys() & live.keys()):
        report.compared += 1
        want, (stored, typed_values) = expected[record_id], live[record_id]
        if stored != want:
            if canonical_derived(table, stored, truth) == canonical_derived(table, want, truth):
                report.drift.append(record_id)
                kind = "drift_without_event"
            else:
                report.differing.append(record_id)
                kind = "differs"
            if len([e for e in report.examples if e["kind"] == kind]) < 3:
                paths = differing_paths(stored, want)
                report.examples.append(
                    {
                        "kind": kind,
                        "id": record_id,
                        "paths": paths[:8],
                        "stored": {p: _at(stored, p) for p in paths[:3]},
                        "truth": {p: _at(want, p) for p in paths[:3]},
                    }
                )
        for (column, how), value in zip(typed.items(), typed_values, strict=True):
            if _norm(value) != _norm(_read(want, how)) and stored == want:
                report.typed.append(f"{record_id}.{column}")
    return report


def _refetch_moments(truth: Truth, context: dict[str, Any]) -> dict[str, list[Decimal]]:
    """When each conversation's comments were due to be fetched again: its merge events, plus every backfill run
    with refetch_children (any other backfill fetches only conversations changed since their last fetch)."""
    moments: dict[str, list[Decimal]] = defaultdict(list)
    for event in truth.records.get("events", {}).values():
        conversation = event.get("conversation") or {}
        if event.get("type") in COMMENT_REFETCH_EVENTS and conversation.get("id"):
            moments[conversation["id"]].append(_ts(event.get("emitted_at")))
    for started in context.get("backfill_started", []):
        moments["*"].append(Decimal(str(started)))
    return moments


def _classify_deleted_comments(conn, report: TableReport, truth: Truth, context: dict[str, Any]) -> None:
    """A comment deleted in Front emits no event: it stays until something makes the sync fetch that
    conversation's comments again. Extra comments with no such moment after their deletion are drift."""
    deleted = context.get("deleted_comments") or {}
    if not report.extra or not deleted:
        return
    moments = _refetch_moments(truth, context)
    merged = truth.merged_conversations
    still_extra = []
    for comment_id in report.extra:
        info = deleted.get(comment_id)
        if info is None:
            still_extra.append(comment_id)
            continue
        conversation = info["conversation"]
        while conversation in merged:
            conversation = merged[conversation]
        later = [m for m in moments.get(conversation, []) + moments.get("*", []) if m > Decimal(str(info["at"]))]
        if later:
            still_extra.append(comment_id)
            queued = _fetch(
                conn,
                "SELECT to_jsonb(p) FROM front.sync_pending AS p WHERE resource = 'comments' AND conversation_id = %s",
                (conversation,),
            )
            report.examples.append(
                {
                    "kind": "deleted_comment_kept",
                    "id": comment_id,
                    "conversation": conversation,
                    "deleted_at": info["at"],
                    "refetch_due_at": str(min(later)),
                    "queued": queued[0][0] if queued else None,
                }
            )
        else:
            report.drift.append(comment_id)
            report.notes.setdefault("deleted_without_event", []).append(comment_id)
    report.extra = still_extra


def _explain_missing_children(conn, report: TableReport, expected: dict[str, dict[str, Any]]) -> None:
    """For missing messages/comments: their conversation, and its sync_pending row if it still waits."""
    by_conversation: dict[str, list[str]] = defaultdict(list)
    for record_id in report.missing:
        by_conversation[_related(expected[record_id], "conversation") or "?"].append(record_id)
    queued = {
        r[0]: r[1]
        for r in _fetch(
            conn,
            "SELECT conversation_id, to_jsonb(p) FROM front.sync_pending AS p WHERE resource = %s "
            "AND conversation_id = ANY(%s)",
            (report.table, list(by_conversation)),
        )
    }
    for conversation, ids in sorted(by_conversation.items())[:SAMPLES]:
        report.examples.append(
            {"kind": "missing", "conversation": conversation, "ids": ids[:SAMPLES], "queued": queued.get(conversation)}
        )
    report.notes["missing_by_conversation"] = {c: len(i) for c, i in by_conversation.items()}


def _at(record: Any, path: str) -> Any:
    """The value at a differing_paths path (for examples)."""
    current = record
    for part in path.replace("]", "").replace("[", ".").split("."):
        if part == "(record)":
            return current
        if isinstance(current, list):
            try:
                current = current[int(part)]
            except (ValueError, IndexError):
                return None
        elif isinstance(current, dict):
            current = current.get(part)
        else:
            return None
    text = json.dumps(current, default=str)
    return text if len(text) <= 300 else text[:300] + "..."


def compare_children(conn, table: str, truth: Truth) -> TableReport:
    parent_table, parent_column, columns = CHILD_TABLES[table]
    report = TableReport(table)
    parents = truth.records[TRUTH_OF_TABLE.get(parent_table, parent_table)]
    expected: Counter = Counter()
    for parent_id, record in parents.items():
        for row in expected_children(table, record):
            expected[(parent_id, *(_norm(v) for v in row))] += 1
    statement = sql.SQL(
        "SELECT c.{parent}, {cols}, p.id IS NULL, p.deleted_at IS NOT NULL FROM {child} AS c "
        "LEFT JOIN {ptable} AS p ON p.id = c.{parent}"
    ).format(
        parent=sql.Identifier(parent_column),
        cols=sql.SQL(", ").join(sql.SQL("c.") + sql.Identifier(c) for c in columns),
        child=sql.Identifier("front", table),
        ptable=sql.Identifier("front", parent_table),
    )
    stored: Counter = Counter()
    orphans = of_deleted = 0
    for row in _fetch(conn, statement):
        *values, no_parent, parent_deleted = row
        if no_parent:
            orphans += 1
            continue
        if parent_deleted:
            of_deleted += 1
            continue
        stored[(values[0], *(_norm(v) for v in values[1:]))] += 1
    report.truth_rows, report.warehouse_rows = sum(expected.values()), sum(stored.values())
    report.compared = report.truth_rows
    report.notes.update(orphan_rows=orphans, rows_of_soft_deleted_parents=of_deleted)
    missing = expected - stored
    extra = stored - expected
    # Rows that differ only in fields that follow other records without an event (see the module docstring).
    drift_parents = _drift_parents(table, missing, extra, truth)
    for key in sorted(missing.elements(), key=str):
        (report.drift if key[0] in drift_parents else report.missing).append(_child_label(key))
    for key in sorted(extra.elements(), key=str):
        (report.drift if key[0] in drift_parents else report.extra).append(_child_label(key))
    for kind, keys in (("missing", missing), ("extra", extra)):
        for key in list(keys)[:2]:
            if key[0] not in drift_parents:
                report.examples.append({"kind": kind, "row": [str(v) for v in key]})
    return report


def _child_label(key: tuple) -> str:
    return "|".join("" if v is None else str(v) for v in key[:3])


def _drift_parents(table: str, missing: Counter, extra: Counter, truth: Truth) -> set[str]:
    """Parents whose child rows differ only in live-derived fields (tags and links renamed, edited or deleted;
    recipient names, handles and contact links)."""
    if table not in ("conversation_tags", "conversation_links", "message_recipients"):
        return set()
    live_links = truth.live("links")
    if table == "conversation_links" and live_links is None:
        return set()

    def reduce(keys: Counter) -> dict[str, Counter]:
        out: dict[str, Counter] = defaultdict(Counter)
        for key, n in keys.items():
            parent = key[0]
            if table == "conversation_tags":
                if key[1] in truth.records["tags"]:
                    out[parent][(key[1],)] += n  # tag id only: the name follows a rename
            elif table == "conversation_links":
                if key[1] in live_links:
                    out[parent][(key[1],)] += n  # link id only: name and fields follow an edit
            else:
                out[parent][(key[1], truth.resolve_contact(key[4]))] += n  # role and resolved contact
        return out

    parents = {k[0] for k in missing} | {k[0] for k in extra}
    reduced_missing, reduced_extra = reduce(missing), reduce(extra)
    return {p for p in parents if reduced_missing.get(p, Counter()) == reduced_extra.get(p, Counter())}


def entity_tables(conn) -> list[str]:
    """Tables of schema front that hold synced records (id, raw, deleted_at), in report order."""
    rows = _fetch(
        conn,
        "SELECT table_name FROM information_schema.columns WHERE table_schema = 'front' "
        "AND column_name IN ('id', 'raw', 'deleted_at') GROUP BY table_name HAVING count(*) = 3",
    )
    names = {r[0] for r in rows}
    return [t for t in TABLE_ORDER if t in names] + sorted(names - set(TABLE_ORDER))


def compare_all(
    warehouse_url: str, control, context: dict[str, Any] | None = None
) -> tuple[dict[str, TableReport], Truth, dict[str, str]]:
    """Every entity table the warehouse has against the truth the simulator has, then the child tables.

    context: deleted_comments ({comment id: {"conversation", "at"}}) and backfill_started (epochs of the backfill
    runs with refetch_children).
    Returns the reports, the truth, and the tables that could not be compared (with the reason)."""
    conn = psycopg.connect(warehouse_url)
    try:
        tables = entity_tables(conn)
        wanted = {TRUTH_OF_TABLE.get(t, t) for t in tables if t != "custom_fields"}
        wanted |= {f"{scope}_custom_fields" for scope in CUSTOM_FIELD_SCOPES} | {"custom_fields", "links"}
        truth = Truth.fetch(control, wanted)
        reports: dict[str, TableReport] = {}
        skipped: dict[str, str] = {}
        for table in tables:
            if table == "custom_fields":
                scoped = [s for s in CUSTOM_FIELD_SCOPES if f"{s}_custom_fields" in truth.records]
                for scope in scoped:
                    report = compare_entities(
                        conn, table, truth, context, resource=f"{scope}_custom_fields", scope=scope
                    )
                    reports[report.table] = report
                if not scoped:  # an older simulator: contact and conversation fields in one resource
                    reports[table] = compare_entities(conn, table, truth, context, resource="custom_fields")
                others = _fetch(
                    conn,
                    "SELECT DISTINCT scope FROM front.custom_fields WHERE NOT (scope = ANY(%s))",
                    (scoped or ["contact", "conversation"],),
                )
                for (scope,) in others:
                    skipped[f"custom_fields[{scope}]"] = "the simulator has no truth for this scope"
                continue
            resource = TRUTH_OF_TABLE.get(table, table)
            if resource not in truth.records:
                skipped[table] = f"the simulator has no truth resource {resource!r}"
                continue
            reports[table] = compare_entities(conn, table, truth, context, resource=resource)
        for table in CHILD_TABLES:
            if _fetch(conn, "SELECT to_regclass(%s)", (f"front.{table}",))[0][0] is None:
                skipped[table] = "no such table in the warehouse"
                continue
            reports[table] = compare_children(conn, table, truth)
    finally:
        conn.close()
    return reports, truth, skipped


# -- bookkeeping checks --------------------------------------------------------------------------------------


def bookkeeping(warehouse_url: str) -> dict[str, Any]:
    """sync_logs left running, the accounting identity, the pending queue, dead letters and conflicts."""
    conn = psycopg.connect(warehouse_url)
    try:
        running = _fetch(
            conn,
            "SELECT id, dag_id, run_id, task_id, try_number, resource, sync_type, started_at::text "
            "FROM front.sync_logs WHERE status = 'running' ORDER BY id",
        )
        broken = []
        for (row,) in _fetch(conn, "SELECT to_jsonb(l) - 'metadata' FROM front.sync_logs AS l ORDER BY l.id"):
            outcomes = sum(
                int(row.get(k) or 0) for k in ("created", "updated", "unchanged", "stale", "conflicts", "dead_lettered")
            )
            why = []
            if int(row.get("fetched") or 0) != outcomes:
                why.append(
                    f"fetched {row.get('fetched')} != created+updated+unchanged+stale+conflicts+"
                    f"dead_lettered {outcomes}"
                )
            if row.get("status") == "success" and int(row.get("fetched_not_loaded") or 0):
                why.append(f"success with fetched_not_loaded {row.get('fetched_not_loaded')}")
            if row.get("status") != "running" and row.get("completed_at") is None:
                why.append("finished without completed_at")
            if why:
                broken.append(
                    [
                        row.get("id"),
                        row.get("dag_id"),
                        row.get("task_id"),
                        row.get("try_number"),
                        row.get("status"),
                        "; ".join(why),
                    ]
                )
        pending = [
            r[0]
            for r in _fetch(
                conn, "SELECT to_jsonb(p) FROM front.sync_pending AS p ORDER BY p.resource, p.conversation_id"
            )
        ]
        by_status = dict(_fetch(conn, "SELECT status, count(*) FROM front.sync_logs GROUP BY status"))
        by_type = dict(_fetch(conn, "SELECT sync_type, count(*) FROM front.sync_logs GROUP BY sync_type"))
        failed = _fetch(
            conn,
            "SELECT id, dag_id, task_id, try_number, resource, left(error_message, 200) "
            "FROM front.sync_logs WHERE status = 'failed' ORDER BY id",
        )
        dead = dict(_fetch(conn, "SELECT resource, count(*) FROM front.dead_letters GROUP BY resource"))
        capped = dict(
            _fetch(
                conn,
                "SELECT resource, count(*) FROM front.sync_logs WHERE metadata ->> 'capped' = 'true' GROUP BY resource",
            )
        )
        # A run stopped by its max_results cap that did not move its watermark forward leaves the next run exactly
        # where it started (it re-reads the same records, stops at the same cap; records it happens to update in
        # that re-read are not progress): the backlog never clears while the cap stays. A capped complete listing
        # (sync_type full) starts from the top each time by design (it reconciles only when complete).
        stuck = _fetch(
            conn,
            "SELECT id, dag_id, run_id, task_id, resource, fetched, created, updated, "
            "watermark_before::text, watermark_after::text FROM front.sync_logs "
            "WHERE metadata ->> 'capped' = 'true' AND status = 'success' AND sync_type <> 'full' "
            "AND watermark_before IS NOT NULL "
            "AND watermark_after IS NOT DISTINCT FROM watermark_before ORDER BY id",
        )
        conflicts = dict(_fetch(conn, "SELECT resource, count(*) FROM front.sync_conflicts GROUP BY resource"))
        totals = _fetch(
            conn,
            "SELECT coalesce(sum(fetched),0), coalesce(sum(created),0), coalesce(sum(updated),0), "
            "coalesce(sum(unchanged),0), coalesce(sum(stale),0), coalesce(sum(dead_lettered),0), "
            "coalesce(sum(deleted),0), coalesce(sum(api_calls),0), coalesce(sum(retries),0), "
            "coalesce(sum(rate_limit_waits),0) FROM front.sync_logs",
        )[0]
    finally:
        conn.close()
    names = (
        "fetched",
        "created",
        "updated",
        "unchanged",
        "stale",
        "dead_lettered",
        "deleted",
        "api_calls",
        "request_retries",
        "rate_limit_waits",
    )
    return {
        "sync_logs_rows": sum(by_status.values()),
        "sync_logs_by_status": by_status,
        "sync_logs_by_type": by_type,
        "sync_logs_totals": {n: int(v) for n, v in zip(names, totals, strict=True)},
        "running_rows": [list(map(str, r)) for r in running],
        "identity_violations": [list(map(str, r)) for r in broken],
        "pending": pending,
        "failed_rows": [list(map(str, r)) for r in failed],
        "dead_letters": dead,
        "open_conflicts": conflicts,
        "capped_runs_by_resource": capped,
        "capped_runs_without_progress": [list(map(str, r)) for r in stuck],
    }
