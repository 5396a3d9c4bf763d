"""Contacts Front sends without an id: matched to a known contact by email, else kept as provisional rows.

A provisional contact is keyed `provisional:<case-folded email>`; when the real contact with that email is
loaded, the placeholder is merged into it (handles, list memberships and references move, the row goes).
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

from front_sync.resources import transform
from front_sync.warehouse.sql_files import load_sql

PROVISIONAL_PREFIX = "provisional:"


def _emails(record: Any) -> list[str]:
    """Case-folded email handles of a record; a malformed record has none here (prepare dead-letters it)."""
    try:
        return transform.email_handles(record)
    except transform.BadRecord:
        return []


def _batch_owners(records: list[Any]) -> dict[str, str]:
    """Email -> id of the contacts with an id in this batch (they are the freshest owners)."""
    owners: dict[str, str] = {}
    for record in records:
        if not isinstance(record, dict) or record.get("id") is None:
            continue
        try:
            contact_id = transform.record_id(record)
        except transform.BadRecord:
            continue
        for email in _emails(record):
            owners.setdefault(email, contact_id)
    return owners


def assign_ids(cur, id_less: list[dict[str, Any]], batch: list[Any]) -> dict[int, str]:
    """Ids for the id-less contact records of a batch: position in `id_less` -> contact id.

    A record takes the id of the contact that owns one of its email handles (a contact with an id in the same
    `batch` first, then a stored real contact, then a stored provisional one); with no owner it becomes
    provisional:<its first email>. Records without any email handle get nothing and are dead-lettered.
    """
    wanted = {index: emails for index, record in enumerate(id_less) if (emails := _emails(record))}
    if not wanted:
        return {}
    in_batch = _batch_owners(batch)
    stored_real: dict[str, str] = {}
    stored_provisional: dict[str, str] = {}
    cur.execute(
        load_sql("contacts/match_handles"), {"handles": sorted({e for emails in wanted.values() for e in emails})}
    )
    for email, contact_id, is_provisional in cur.fetchall():
        (stored_provisional if is_provisional else stored_real).setdefault(email, contact_id)
    assigned: dict[int, str] = {}
    for index, emails in wanted.items():
        owner = next(
            (owners[e] for owners in (in_batch, stored_real, stored_provisional) for e in emails if e in owners), None
        )
        candidate = owner or PROVISIONAL_PREFIX + emails[0]
        if len(candidate) <= transform.MAX_ID_LENGTH:
            assigned[index] = candidate
    return assigned


def any_provisional(cur) -> bool:
    """Whether any provisional contact is stored (usually not, and merging is skipped)."""
    cur.execute(load_sql("contacts/any_provisional"))
    return bool(cur.fetchone()[0])


def merge_into_real(cur, keys: sql.Identifier) -> int:
    """Merge provisional contacts into the real contacts just written (created or updated in `keys`)."""
    if not any_provisional(cur):
        return 0
    cur.execute(load_sql("contacts/merge_provisional", keys=keys))
    merged = cur.rowcount  # of the first statement, which lists the merges
    cur.execute(load_sql("load/stage_drop", tables=sql.Identifier("_provisional_merges")))
    return max(merged, 0)
