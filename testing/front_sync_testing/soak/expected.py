"""What the warehouse should hold, from the simulator's ground truth alone: the truth records, each entity's
compared fields, the rows of each child table, the parts of a record derived live from other records (drift
without an event). Independent of front_sync's transform code, so a transform bug shows as a mismatch."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

# warehouse entity table -> simulator truth resource. Entity tables are found in the warehouse (every table of
# schema front with id, raw and deleted_at); one without a truth resource is reported as not compared.
TRUTH_OF_TABLE = {"conversation_statuses": "statuses"}
# custom_fields holds every scope; each scope is compared with its own truth resource when the simulator has it.
CUSTOM_FIELD_SCOPES = ("contact", "conversation", "account", "link", "inbox", "teammate")
# the order tables are reported in (others follow alphabetically)
TABLE_ORDER = (
    "teammates",
    "teams",
    "inboxes",
    "channels",
    "contact_lists",
    "tags",
    "custom_fields",
    "accounts",
    "links",
    "conversation_statuses",
    "contacts",
    "conversations",
    "messages",
    "comments",
)
# child table -> (parent table, parent column, compared columns)
CHILD_TABLES = {
    "contact_handles": ("contacts", "contact_id", ("source", "handle")),
    "contact_list_members": ("contacts", "contact_id", ("contact_list_id",)),
    "conversation_tags": ("conversations", "conversation_id", ("tag_id", "name")),
    "conversation_links": (
        "conversations",
        "conversation_id",
        ("link_id", "name", "type", "external_url", "custom_fields"),
    ),
    "conversation_reminders": (
        "conversations",
        "conversation_id",
        ("ordinal", "owner_id", "created_at", "scheduled_at", "updated_at"),
    ),
    "message_recipients": ("messages", "message_id", ("role", "handle", "name", "contact_id")),
    "message_attachments": (
        "messages",
        "message_id",
        ("attachment_id", "filename", "url", "content_type", "size", "is_inline", "cid"),
    ),
}
# typed columns checked against the truth record (column -> how to read it from the record)
TYPED_COLUMNS: dict[str, dict[str, Any]] = {
    "contacts": {
        "name": "name",
        "description": "description",
        "is_private": "is_private",
        "updated_at": ("ts", "updated_at"),
    },
    "conversations": {
        "status": "status",
        "subject": "subject",
        "assignee_id": ("nested", "assignee"),
        "created_at": ("ts", "created_at"),
        "updated_at": ("ts", "updated_at"),
    },
    "messages": {
        "conversation_id": ("link", "conversation"),
        "type": "type",
        "is_inbound": "is_inbound",
        "is_draft": "is_draft",
        "author_id": ("nested", "author"),
        "created_at": ("ts", "created_at"),
    },
    "comments": {
        "conversation_id": ("link", "conversation"),
        "author_id": ("nested", "author"),
        "body": "body",
        "posted_at": ("ts", "posted_at"),
    },
    "tags": {"name": "name", "parent_tag_id": ("link", "parent_tag"), "updated_at": ("ts", "updated_at")},
    "teammates": {"email": "email", "username": "username"},
    "inboxes": {"name": "name"},
    "channels": {"name": "name", "inbox_id": ("link", "inbox")},
    "contact_lists": {"name": "name"},
    "custom_fields": {"name": "name", "type": "type"},
    "accounts": {"name": "name", "description": "description", "updated_at": ("ts", "updated_at")},
    "links": {"name": "name", "type": "type", "external_url": "external_url"},
    "teams": {"name": "name"},
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
    def fetch(cls, control, names: set[str]) -> Truth:
        """The truth of every resource in `names` the simulator knows (an unknown one is left out)."""
        from front_simulator.control import SimulatorControlError

        records = {}
        for name in sorted(names | {"events", "contacts", "tags", "conversations"}):
            try:
                records[name] = {r["id"]: r for r in control.truth(name)["_results"]}
            except SimulatorControlError:
                continue  # this simulator has no such truth resource
        merges = control.truth("merges")
        deleted = set(control.truth("deleted_contacts")["_results"])
        return cls(records, dict(merges.get("contacts") or {}), dict(merges.get("conversations") or {}), deleted)

    def live(self, resource: str) -> set[str] | None:
        """Ids of a resource's live records, or None when the simulator has no truth for it."""
        return set(self.records[resource]) if resource in self.records else None

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
        return [
            (lk.get("id"), lk.get("name"), lk.get("type"), lk.get("external_url"), _norm(lk.get("custom_fields")))
            for lk in record.get("links") or []
        ]
    if table == "conversation_reminders":
        return [
            (i, _related(r, "owner"), _ts(r.get("created_at")), _ts(r.get("scheduled_at")), _ts(r.get("updated_at")))
            for i, r in enumerate(record.get("scheduled_reminders") or [])
        ]
    if table == "message_recipients":
        return [
            (r.get("role"), r.get("handle"), r.get("name"), _related(r, "contact"))
            for r in record.get("recipients") or []
        ]
    if table == "message_attachments":
        rows = []
        for a in record.get("attachments") or []:
            meta = a.get("metadata") or {}
            rows.append(
                (
                    a.get("id"),
                    a.get("filename"),
                    a.get("url"),
                    a.get("content_type"),
                    None if a.get("size") is None else Decimal(a["size"]),
                    meta.get("is_inline"),
                    meta.get("cid"),
                )
            )
        return rows
    raise ValueError(table)


# -- drift without an event ----------------------------------------------------------------------------------


def canonical_derived(table: str, record: dict[str, Any], truth: Truth) -> Any:
    """The record with its live-derived fields reduced to what an event would carry: tag and link ids (of live
    tags and links), resolved contact ids; names and handles that follow contact edits are dropped."""
    out = json.loads(json.dumps(record))
    if table == "conversations":
        out["tags"] = sorted(t.get("id") for t in out.get("tags") or [] if t.get("id") in truth.records["tags"])
        live_links = truth.live("links")
        if live_links is not None:  # links renamed or deleted show in conversations without an event too
            out["links"] = sorted(lk.get("id") for lk in out.get("links") or [] if lk.get("id") in live_links)
        recipient = out.get("recipient")
        if isinstance(recipient, dict):
            out["recipient"] = {
                "role": recipient.get("role"),
                "contact": truth.resolve_contact(_related(recipient, "contact")),
            }
    elif table == "messages":
        out["recipients"] = [
            {"role": r.get("role"), "contact": truth.resolve_contact(_related(r, "contact"))}
            for r in out.get("recipients") or []
        ]
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
