"""Pure functions that turn Front records into warehouse values: timestamps, text, JSON, hashes, typed rows."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal, InvalidOperation
from typing import Any

_TS_QUANTUM = Decimal("0.001")


class BadRecord(ValueError):
    """A record cannot be turned into a row; it goes to dead_letters with this message."""


def front_timestamp(value: Any, field: str) -> Decimal | None:
    """Front epoch seconds (up to 3 decimals) as an exact Decimal; None stays None, anything else is a BadRecord."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, float, str)):
        raise BadRecord(f"{field} is not a timestamp: {type(value).__name__}")
    try:
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation as exc:
        raise BadRecord(f"{field} is not a number") from exc
    if not number.is_finite() or number < 0 or number >= Decimal("1e12"):
        raise BadRecord(f"{field} is out of range for epoch seconds")
    return number.quantize(_TS_QUANTUM)


def strip_nul(value: Any) -> Any:
    """Remove NUL characters, which PostgreSQL text and jsonb cannot store, from strings at any depth."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {strip_nul(k): strip_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_nul(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Front numbers have at most 3 decimals; float's shortest repr prints them back exactly.
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys: the same record always gives the same text (and so the same hash)."""
    text = json.dumps(value, default=_json_default, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if "\\u0000" in text:
        text = json.dumps(strip_nul(value), default=_json_default, ensure_ascii=False, sort_keys=True,
                          separators=(",", ":"))
    return text


def row_hash(raw_json: str) -> str:
    """Content hash of a record's canonical JSON."""
    return hashlib.blake2b(raw_json.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def text(record: dict[str, Any], field: str, *, required: bool = False) -> str | None:
    """A string field, NUL-free; None when absent unless required; a non-string is a BadRecord."""
    value = record.get(field)
    if value is None:
        if required:
            raise BadRecord(f"missing {field}")
        return None
    if not isinstance(value, str):
        raise BadRecord(f"{field} is not a string: {type(value).__name__}")
    return value.replace("\x00", "") if "\x00" in value else value


def boolean(record: dict[str, Any], field: str) -> bool | None:
    value = record.get(field)
    if value is None or isinstance(value, bool):
        return value
    raise BadRecord(f"{field} is not a boolean: {type(value).__name__}")


def json_value(record: dict[str, Any], field: str) -> str | None:
    """A nested value (object or list) as canonical JSON text for a jsonb column."""
    value = record.get(field)
    return None if value is None else canonical_json(value)


def record_id(record: Any) -> str:
    """The Front id of a record; a record without a usable id cannot be keyed and is a BadRecord."""
    if not isinstance(record, dict):
        raise BadRecord(f"record is not an object: {type(record).__name__}")
    value = record.get("id")
    if not isinstance(value, str) or not value.strip():
        raise BadRecord("missing id" if value is None else f"id is not a non-empty string: {type(value).__name__}")
    return value.replace("\x00", "")


def contact_row(record: dict[str, Any]) -> tuple:
    """front.contacts typed columns, in the order of CONTACTS.columns."""
    return (
        record_id(record),
        text(record, "name"),
        text(record, "description"),
        text(record, "avatar_url"),
        boolean(record, "is_private"),
        json_value(record, "links"),
        json_value(record, "custom_fields"),
        front_timestamp(record.get("updated_at"), "updated_at"),
    )


def contact_handle_rows(record: dict[str, Any]) -> list[tuple]:
    """front.contact_handles rows (source, handle, handle_normalized) of one contact."""
    handles = record.get("handles") or []
    if not isinstance(handles, list):
        raise BadRecord("handles is not a list")
    rows = []
    for item in handles:
        if not isinstance(item, dict):
            raise BadRecord("a handle is not an object")
        handle = text(item, "handle", required=True)
        source = text(item, "source", required=True)
        rows.append((source, handle, handle.casefold()))
    return rows
