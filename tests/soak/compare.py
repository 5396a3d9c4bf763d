"""Compare the warehouse with the simulator's ground truth, row by row, child tables included.

The truth is `GET /_simulator/truth/<resource>`: every live record exactly as the API renders it now. The expected
rows of each child table are derived here from the truth records, independently of front_sync's transform code,
so a transform bug shows as a mismatch instead of being reproduced on both sides.

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
from urllib.parse import urlsplit

import psycopg2
from psycopg2 import sql

# warehouse table -> simulator truth resource
ENTITY_TABLES = {
    "teammates": "teammates", "inboxes": "inboxes", "channels": "channels", "contact_lists": "contact_lists",
    "tags": "tags", "custom_fields": "custom_fields", "contacts": "contacts", "conversations": "conversations",
    "messages": "messages", "comments": "comments",
}
# child table -> (parent table, parent column, compared columns)
CHILD_TABLES = {
    "contact_handles": ("contacts", "contact_id", ("source", "handle")),
    "contact_list_members": ("contacts", "contact_id", ("contact_list_id",)),
    "conversation_tags": ("conversations", "conversation_id", ("tag_id", "name")),
    "conversation_links": ("conversations", "conversation_id", ("link_id", "name", "type", "external_url",
                                                                "custom_fields")),
    "conversation_reminders": ("conversations", "conversation_id", ("ordinal", "owner_id", "created_at",
                                                                    "scheduled_at", "updated_at")),
    "message_recipients": ("messages", "message_id", ("role", "handle", "name", "contact_id")),
    "message_attachments": ("messages", "message_id", ("attachment_id", "filename", "url", "content_type", "size",
                                                       "is_inline", "cid")),
}
# typed columns checked against the truth record (column -> how to read it from the record)
TYPED_COLUMNS: dict[str, dict[str, Any]] = {
    "contacts": {"name": "name", "description": "description", "is_private": "is_private",
                 "updated_at": ("ts", "updated_at")},
    "conversations": {"status": "status", "subject": "subject", "assignee_id": ("nested", "assignee"),
                      "created_at": ("ts", "created_at"), "updated_at": ("ts", "updated_at")},
    "messages": {"conversation_id": ("link", "conversation"), "type": "type", "is_inbound": "is_inbound",
                 "is_draft": "is_draft", "author_id": ("nested", "author"), "created_at": ("ts", "created_at")},
    "comments": {"conversation_id": ("link", "conversation"), "author_id": ("nested", "author"), "body": "body",
                 "posted_at": ("ts", "posted_at")},
    "tags": {"name": "name", "parent_tag_id": ("link", "parent_tag"), "updated_at": ("ts", "updated_at")},
    "teammates": {"email": "email", "username": "username"},
    "inboxes": {"name": "name"},
    "channels": {"name": "name", "inbox_id": ("link", "inbox")},
    "contact_lists": {"name": "name"},
    "custom_fields": {"name": "name", "type": "type"},
}
SAMPLES = 5  # example ids kept per table and kind


def _id_from_url(url: str | None) -> str | None:
    if not url:
        return None
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1] or None


def _related(record: dict[str, Any] | None, relation: str) -> str | None:
    if not isinstance(record, dict):
        return None
    return _id_from_url(((record.get("_links") or {}).get("related") or {}).get(relation))


def _ts(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.001"))


def _read(record: dict[str, Any], how: Any) -> Any:
    if isinstance(how, str):
        return record.get(how)
    kind, name = how
    if kind == "ts":
        return _ts(record.get(name))
    if kind == "nested":
        value = record.get(name)
        return value.get("id") if isinstance(value, dict) else None
    if kind == "link":
        return _related(record, name)
    raise ValueError(how)


def _norm(value: Any) -> Any:
    """Comparable form of a column value (numbers as Decimal, JSON as canonical text)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return value


# -- the truth ---------------------------------------------------------------------------------------------


@dataclass
class Truth:
    records: dict[str, dict[str, dict[str, Any]]]  # resource -> id -> record
    merged_contacts: dict[str, str]
    merged_conversations: dict[str, str]
    deleted_contacts: set[str]

    @classmethod
    def fetch(cls, control) -> Truth:
        names = {*ENTITY_TABLES.values(), "events"}
        records = {name: {r["id"]: r for r in control.truth(name)["_results"]} for name in names}
        merges = control.truth("merges")
        deleted = set(control.truth("deleted_contacts")["_results"])
        return cls(records, dict(merges.get("contacts") or {}), dict(merges.get("conversations") or {}), deleted)

    def resolve_contact(self, contact_id: str | None) -> str | None:
        """A contact link as the API renders it now: merged contacts point at the survivor, deleted ones at null."""
        seen = 0
        while contact_id and seen < 10:
            if contact_id in self.records["contacts"]:
                return contact_id
            contact_id = self.merged_contacts.get(contact_id)
            seen += 1
        return None


def expected_children(table: str, record: dict[str, Any]) -> list[tuple]:
    """Rows of a child table for one truth record, in CHILD_TABLES column order (without the parent id)."""
    if table == "contact_handles":
        return [(h.get("source"), h.get("handle")) for h in record.get("handles") or []]
    if table == "contact_list_members":
        lists = record.get("lists") if record.get("lists") is not None else record.get("groups")
        return [(item.get("id"),) for item in lists or []]
    if table == "conversation_tags":
        return [(t.get("id"), t.get("name")) for t in record.get("tags") or []]
    if table == "conversation_links":
        return [(lk.get("id"), lk.get("name"), lk.get("type"), lk.get("external_url"),
                 _norm(lk.get("custom_fields"))) for lk in record.get("links") or []]
    if table == "conversation_reminders":
        return [(i, _related(r, "owner"), _ts(r.get("created_at")), _ts(r.get("scheduled_at")),
                 _ts(r.get("updated_at"))) for i, r in enumerate(record.get("scheduled_reminders") or [])]
    if table == "message_recipients":
        return [(r.get("role"), r.get("handle"), r.get("name"), _related(r, "contact"))
                for r in record.get("recipients") or []]
    if table == "message_attachments":
        rows = []
        for a in record.get("attachments") or []:
            meta = a.get("metadata") or {}
            rows.append((a.get("id"), a.get("filename"), a.get("url"), a.get("content_type"),
                         None if a.get("size") is None else Decimal(a["size"]), meta.get("is_inline"), meta.get("cid")))
        return rows
    raise ValueError(table)


# -- drift without an event ----------------------------------------------------------------------------------


def canonical_derived(table: str, record: dict[str, Any], truth: Truth) -> Any:
    """The record with its live-derived fields reduced to what an event would carry: tag ids (of live tags),
    resolved contact ids; names and handles that follow contact edits are dropped."""
    out = json.loads(json.dumps(record))
    if table == "conversations":
        out["tags"] = sorted(t.get("id") for t in out.get("tags") or [] if t.get("id") in truth.records["tags"])
        recipient = out.get("recipient")
        if isinstance(recipient, dict):
            out["recipient"] = {"role": recipient.get("role"),
                                "contact": truth.resolve_contact(_related(recipient, "contact"))}
    elif table == "messages":
        out["recipients"] = [{"role": r.get("role"), "contact": truth.resolve_contact(_related(r, "contact"))}
                             for r in out.get("recipients") or []]
    return out


def differing_paths(a: Any, b: Any, prefix: str = "") -> list[str]:
    """JSON paths where two records differ (first level of lists)."""
    if isinstance(a, dict) and isinstance(b, dict):
        paths = []
        for key in sorted(a.keys() | b.keys()):
            if a.get(key) != b.get(key):
                paths.extend(differing_paths(a.get(key), b.get(key), f"{prefix}.{key}" if prefix else key))
        return paths
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        paths = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                paths.extend(differing_paths(x, y, f"{prefix}[{i}]"))
        return paths
    return [prefix or "(record)"]


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
        return {"truth_rows": self.truth_rows, "warehouse_rows": self.warehouse_rows, "compared": self.compared,
                "mismatches": self.mismatches, "missing": len(self.missing), "extra": len(self.extra),
                "differing": len(self.differing), "typed_column_mismatches": len(self.typed),
                "drift_without_event": len(self.drift),
                "missing_ids": self.missing[:SAMPLES], "extra_ids": self.extra[:SAMPLES],
                "differing_ids": self.differing[:SAMPLES], "drift_ids": self.drift[:SAMPLES],
                "typed_ids": self.typed[:SAMPLES], "examples": self.examples[:SAMPLES], **self.notes}


COMMENT_REFETCH_EVENTS = frozenset({"comment", "mention", "conversations_merged"})


def compare_entities(conn, table: str, truth: Truth, context: dict[str, Any] | None = None) -> TableReport:
    report = TableReport(table)
    context = context or {}
    expected = truth.records[ENTITY_TABLES[table]]
    typed = TYPED_COLUMNS.get(table, {})
    columns = [sql.Identifier(c) for c in typed]
    statement = sql.SQL("SELECT id, raw, deleted_at IS NOT NULL{extra} FROM {table}").format(
        extra=sql.SQL("").join(sql.SQL(", ") + c for c in columns), table=sql.Identifier("front", table))
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
                report.examples.append({"kind": kind, "id": record_id, "paths": paths[:8],
                                        "stored": {p: _at(stored, p) for p in paths[:3]},
                                        "truth": {p: _at(want, p) for p in paths[:3]}})
        for (column, how), value in zip(typed.items(), typed_values, strict=True):
            if _norm(value) != _norm(_read(want, how)) and stored == want:
                report.typed.append(f"{record_id}.{column}")
    if table == "custom_fields":
        report.notes["scopes"] = dict(Counter(
            r[0] for r in _fetch(conn, "SELECT scope FROM front.custom_fields WHERE deleted_at IS NULL")))
    return report


def _refetch_moments(truth: Truth, context: dict[str, Any]) -> dict[str, list[Decimal]]:
    """When each conversation's comments were due to be fetched again: its comment, mention and merge events,
    plus every backfill run (a backfill fetches every conversation's comments)."""
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
            queued = _fetch(conn, "SELECT to_jsonb(p) FROM front.sync_pending AS p WHERE resource = 'comments' "
                                  "AND conversation_id = %s", (conversation,))
            report.examples.append({"kind": "deleted_comment_kept", "id": comment_id, "conversation": conversation,
                                    "deleted_at": info["at"], "refetch_due_at": str(min(later)),
                                    "queued": queued[0][0] if queued else None})
        else:
            report.drift.append(comment_id)
            report.notes.setdefault("deleted_without_event", []).append(comment_id)
    report.extra = still_extra


def _explain_missing_children(conn, report: TableReport, expected: dict[str, dict[str, Any]]) -> None:
    """For missing messages/comments: their conversation, and its sync_pending row if it still waits."""
    by_conversation: dict[str, list[str]] = defaultdict(list)
    for record_id in report.missing:
        by_conversation[_related(expected[record_id], "conversation") or "?"].append(record_id)
    queued = {r[0]: r[1] for r in _fetch(
        conn, "SELECT conversation_id, to_jsonb(p) FROM front.sync_pending AS p WHERE resource = %s "
              "AND conversation_id = ANY(%s)", (report.table, list(by_conversation)))}
    for conversation, ids in sorted(by_conversation.items())[:SAMPLES]:
        report.examples.append({"kind": "missing", "conversation": conversation, "ids": ids[:SAMPLES],
                                "queued": queued.get(conversation)})
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
    parents = truth.records[ENTITY_TABLES[parent_table]]
    expected: Counter = Counter()
    for parent_id, record in parents.items():
        for row in expected_children(table, record):
            expected[(parent_id, *(_norm(v) for v in row))] += 1
    statement = sql.SQL(
        "SELECT c.{parent}, {cols}, p.id IS NULL, p.deleted_at IS NOT NULL FROM {child} AS c "
        "LEFT JOIN {ptable} AS p ON p.id = c.{parent}").format(
        parent=sql.Identifier(parent_column), cols=sql.SQL(", ").join(sql.SQL("c.") + sql.Identifier(c)
                                                                       for c in columns),
        child=sql.Identifier("front", table), ptable=sql.Identifier("front", parent_table))
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
    """Parents whose child rows differ only in live-derived fields (tag names / deleted tags, recipient names,
    handles and contact links)."""
    if table not in ("conversation_tags", "message_recipients"):
        return set()

    def reduce(keys: Counter) -> dict[str, Counter]:
        out: dict[str, Counter] = defaultdict(Counter)
        for key, n in keys.items():
            parent = key[0]
            if table == "conversation_tags":
                if key[1] in truth.records["tags"]:
                    out[parent][(key[1],)] += n  # tag id only: the name follows a rename
            else:
                out[parent][(key[1], truth.resolve_contact(key[4]))] += n  # role and resolved contact
        return out

    parents = {k[0] for k in missing} | {k[0] for k in extra}
    reduced_missing, reduced_extra = reduce(missing), reduce(extra)
    return {p for p in parents if reduced_missing.get(p, Counter()) == reduced_extra.get(p, Counter())}


def compare_all(warehouse_url: str, control, context: dict[str, Any] | None = None
                ) -> tuple[dict[str, TableReport], Truth]:
    """context: deleted_comments ({comment id: {"conversation", "at"}}) and backfill_started (epochs)."""
    truth = Truth.fetch(control)
    conn = psycopg2.connect(warehouse_url)
    try:
        reports = {table: compare_entities(conn, table, truth, context) for table in ENTITY_TABLES}
        reports.update({table: compare_children(conn, table, truth) for table in CHILD_TABLES})
    finally:
        conn.close()
    return reports, truth


# -- bookkeeping checks --------------------------------------------------------------------------------------


def bookkeeping(warehouse_url: str) -> dict[str, Any]:
    """sync_logs left running, the accounting identity, the pending queue, dead letters and conflicts."""
    conn = psycopg2.connect(warehouse_url)
    try:
        running = _fetch(conn, "SELECT id, dag_id, run_id, task_id, try_number, resource, sync_type, started_at::text "
                               "FROM front.sync_logs WHERE status = 'running' ORDER BY id")
        broken = []
        for (row,) in _fetch(conn, "SELECT to_jsonb(l) - 'metadata' FROM front.sync_logs AS l ORDER BY l.id"):
            outcomes = sum(int(row.get(k) or 0) for k in ("created", "updated", "unchanged", "stale", "conflicts",
                                                          "dead_lettered"))
            why = []
            if int(row.get("fetched") or 0) != outcomes:
                why.append(f"fetched {row.get('fetched')} != created+updated+unchanged+stale+conflicts+"
                           f"dead_lettered {outcomes}")
            if row.get("status") == "success" and int(row.get("fetched_not_loaded") or 0):
                why.append(f"success with fetched_not_loaded {row.get('fetched_not_loaded')}")
            if row.get("status") != "running" and row.get("completed_at") is None:
                why.append("finished without completed_at")
            if why:
                broken.append([row.get("id"), row.get("dag_id"), row.get("task_id"), row.get("try_number"),
                               row.get("status"), "; ".join(why)])
        pending = [r[0] for r in _fetch(conn, "SELECT to_jsonb(p) FROM front.sync_pending AS p "
                                              "ORDER BY p.resource, p.conversation_id")]
        by_status = dict(_fetch(conn, "SELECT status, count(*) FROM front.sync_logs GROUP BY status"))
        by_type = dict(_fetch(conn, "SELECT sync_type, count(*) FROM front.sync_logs GROUP BY sync_type"))
        failed = _fetch(conn, "SELECT id, dag_id, task_id, try_number, resource, left(error_message, 200) "
                              "FROM front.sync_logs WHERE status = 'failed' ORDER BY id")
        dead = dict(_fetch(conn, "SELECT resource, count(*) FROM front.dead_letters GROUP BY resource"))
        capped = dict(_fetch(conn, "SELECT resource, count(*) FROM front.sync_logs "
                                   "WHERE metadata ->> 'capped' = 'true' GROUP BY resource"))
        # A run stopped by its max_results cap that did not move its watermark forward leaves the next run exactly
        # where it started (it re-reads the same records, stops at the same cap; records it happens to update in
        # that re-read are not progress): the backlog never clears while the cap stays. A capped complete listing
        # (sync_type full) starts from the top each time by design (it reconciles only when complete).
        stuck = _fetch(conn, "SELECT id, dag_id, run_id, task_id, resource, fetched, created, updated, "
                             "watermark_before::text, watermark_after::text FROM front.sync_logs "
                             "WHERE metadata ->> 'capped' = 'true' AND status = 'success' AND sync_type <> 'full' "
                             "AND watermark_before IS NOT NULL "
                             "AND watermark_after IS NOT DISTINCT FROM watermark_before ORDER BY id")
        conflicts = dict(_fetch(conn, "SELECT resource, count(*) FROM front.sync_conflicts GROUP BY resource"))
        totals = _fetch(conn, "SELECT coalesce(sum(fetched),0), coalesce(sum(created),0), coalesce(sum(updated),0), "
                              "coalesce(sum(unchanged),0), coalesce(sum(stale),0), coalesce(sum(dead_lettered),0), "
                              "coalesce(sum(deleted),0), coalesce(sum(api_calls),0), coalesce(sum(retries),0), "
                              "coalesce(sum(rate_limit_waits),0) FROM front.sync_logs")[0]
    finally:
        conn.close()
    names = ("fetched", "created", "updated", "unchanged", "stale", "dead_lettered", "deleted", "api_calls",
             "request_retries", "rate_limit_waits")
    return {
        "sync_logs_rows": sum(by_status.values()), "sync_logs_by_status": by_status, "sync_logs_by_type": by_type,
        "sync_logs_totals": {n: int(v) for n, v in zip(names, totals, strict=True)},
        "running_rows": [list(map(str, r)) for r in running],
        "identity_violations": [list(map(str, r)) for r in broken],
        "pending": pending,
        "failed_rows": [list(map(str, r)) for r in failed],
        "dead_letters": dead, "open_conflicts": conflicts, "capped_runs_by_resource": capped,
        "capped_runs_without_progress": [list(map(str, r)) for r in stuck],
    }
