"""Pure functions that turn Front records into warehouse values: timestamps, text, JSON, hashes, typed rows.

Every function here either returns values ready for COPY or raises BadRecord; none touches the database.
Enumerations (status, role, type, ...) are stored as Front sends them: Front adds values over time, and a
new value must not turn good records into dead letters.
"""

from __future__ import annotations

import threading
from decimal import Decimal, InvalidOperation
from hashlib import blake2b
from typing import Any
from urllib.parse import urlsplit

import msgspec

_TS_QUANTUM = Decimal("0.001")
_TS_LIMIT = Decimal("1e12")        # epoch seconds below this; a millisecond epoch lands above it
MAX_ID_LENGTH = 255                # Front ids are short (crd_3cgz4ge); a longer one is garbage, not a key
_BIGINT = 2**63


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
    if not number.is_finite() or number < 0 or number >= _TS_LIMIT:
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


# msgspec (an Airflow dependency) encodes ten times faster than the json module: sorted keys make the text (and
# so the hash) stable, Decimals are written as JSON numbers with their digits as given. NaN/Infinity cannot
# come from a valid JSON response; msgspec would write them as null. One encoder per thread: the loader
# transforms the next batch in a worker thread.
_ENCODERS = threading.local()


def _encoder() -> msgspec.json.Encoder:
    """This thread's encoder."""
    encoder = getattr(_ENCODERS, "encoder", None)
    if encoder is None:
        encoder = _ENCODERS.encoder = msgspec.json.Encoder(order="sorted", decimal_format="number")
    return encoder


def _encode(value: Any) -> bytes:
    """Canonical JSON bytes; what JSON or UTF-8 cannot hold is a BadRecord."""
    try:
        return _encoder().encode(value)
    except UnicodeEncodeError as exc:
        raise BadRecord("text is not valid Unicode (lone surrogate)") from exc
    except TypeError as exc:
        raise BadRecord(f"not JSON serialisable: {exc}") from exc


def canonical_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON with sorted keys and NUL characters removed: the same record always gives the same bytes."""
    encoded = _encode(value)
    if b"\\u0000" in encoded:  # the encoder escapes NUL; only then pay for a walk of the record
        encoded = _encode(strip_nul(value))
    return encoded


def canonical_json(value: Any) -> str:
    """canonical_bytes as text, for jsonb columns."""
    return canonical_bytes(value).decode("utf-8")


def row_hash(raw_json: bytes | str) -> str:
    """Content hash of a record's canonical JSON."""
    data = raw_json.encode("utf-8") if isinstance(raw_json, str) else raw_json
    return blake2b(data, digest_size=16).hexdigest()


def raw_and_hash(record: Any) -> tuple[bytes, str]:
    """The record's canonical JSON (UTF-8 bytes, NUL-free) and its content hash, in one pass."""
    encoded = _encode(record)
    if b"\\u0000" in encoded:
        encoded = _encode(strip_nul(record))
    return encoded, blake2b(encoded, digest_size=16).hexdigest()


# -- field readers -----------------------------------------------------------------------------------------


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
    """A boolean field; None when absent; "yes" or 1 is a BadRecord (Front sends JSON booleans)."""
    value = record.get(field)
    if value is None or isinstance(value, bool):
        return value
    raise BadRecord(f"{field} is not a boolean: {type(value).__name__}")


def integer(record: dict[str, Any], field: str) -> int | None:
    """An integer field that fits a bigint; None when absent."""
    value = record.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRecord(f"{field} is not an integer: {type(value).__name__}")
    if not -_BIGINT <= value < _BIGINT:
        raise BadRecord(f"{field} is out of range")
    return value


def json_value(record: dict[str, Any], field: str) -> str | None:
    """A nested value (object or list) as canonical JSON text for a jsonb column."""
    value = record.get(field)
    if value is None:
        return None
    if not value and value.__class__ in (list, dict):
        return "[]" if value.__class__ is list else "{}"  # the most common values, without an encoder call
    return canonical_json(value)


def obj(record: dict[str, Any], field: str) -> dict[str, Any] | None:
    """A nested object (author, assignee, recipient, settings); None when absent or null."""
    value = record.get(field)
    if value is None or isinstance(value, dict):
        return value
    raise BadRecord(f"{field} is not an object: {type(value).__name__}")


def items(record: dict[str, Any], field: str) -> list[dict[str, Any]]:
    """A list of objects (handles, recipients, tags, ...); absent or null is empty."""
    value = record.get(field)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadRecord(f"{field} is not a list")
    for item in value:
        if not isinstance(item, dict):
            raise BadRecord(f"an item of {field} is not an object")
    return value


def record_id(record: Any, field: str = "id") -> str:
    """The Front id of a record; a record without a usable id cannot be keyed and is a BadRecord."""
    if not isinstance(record, dict):
        raise BadRecord(f"record is not an object: {type(record).__name__}")
    value = record.get(field)
    if not isinstance(value, str) or not value.strip():
        if value is None:
            raise BadRecord(f"missing {field}")
        raise BadRecord(f"{field} is not a non-empty string: {type(value).__name__}")
    if "\x00" in value or len(value) > MAX_ID_LENGTH:
        # Stripping NUL from a key could merge two records; an id is used exactly as sent or not at all.
        raise BadRecord(f"{field} contains NUL or is longer than {MAX_ID_LENGTH} characters")
    return value


def nested_id(record: dict[str, Any], field: str) -> str | None:
    """The id of a nested object such as author or assignee; None when the object is null."""
    value = obj(record, field)
    return None if value is None else record_id(value)


def id_from_url(url: str) -> str:
    """The id at the end of a Front link: https://x.api.frontapp.com/tags/tag_3h07ym?referer=y -> tag_3h07ym."""
    tail = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    if not tail:
        raise BadRecord("a link has no id")
    return tail


def linked_id(record: dict[str, Any], relation: str) -> str | None:
    """The id behind `_links.related.<relation>` (Front sends related records as URLs, e.g. parent_tag)."""
    links = record.get("_links")
    if links is None:
        return None
    if not isinstance(links, dict):
        raise BadRecord("_links is not an object")
    related = links.get("related")
    if related is None:
        return None
    if not isinstance(related, dict):
        raise BadRecord("_links.related is not an object")
    url = related.get(relation)
    if url is None:
        return None
    if not isinstance(url, str):
        raise BadRecord(f"_links.related.{relation} is not a URL")
    return id_from_url(url)


def email_handles(record: dict[str, Any]) -> list[str]:
    """The case-folded email handles of a contact record, in the order Front sent them."""
    return [text(h, "handle", required=True).casefold() for h in items(record, "handles")
            if h.get("source") == "email" and isinstance(h.get("handle"), str) and h["handle"].strip()]


# -- typed rows, one function per table, in the column order of resources.py -----------------------------


def contact_row(record: dict[str, Any]) -> tuple:
    """front.contacts typed columns."""
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
    rows = []
    for item in items(record, "handles"):
        handle = text(item, "handle", required=True)
        source = text(item, "source", required=True)
        rows.append((source, handle, handle.casefold()))
    return rows


def contact_list_member_rows(record: dict[str, Any]) -> list[tuple]:
    """front.contact_list_members rows (contact_list_id,) from `lists` (or the deprecated `groups`)."""
    lists = items(record, "lists") if record.get("lists") is not None else items(record, "groups")
    return [(record_id(item),) for item in lists]


def contact_list_row(record: dict[str, Any]) -> tuple:
    """front.contact_lists typed columns."""
    return (record_id(record), text(record, "name"), boolean(record, "is_private"), linked_id(record, "owner"))


def tag_row(record: dict[str, Any]) -> tuple:
    """front.tags typed columns; the parent comes from `_links.related.parent_tag` (no parent_tag_id field)."""
    return (
        record_id(record),
        text(record, "name"),
        text(record, "description"),
        text(record, "highlight"),
        boolean(record, "is_private"),
        boolean(record, "is_visible_in_conversation_lists"),
        linked_id(record, "parent_tag"),
        linked_id(record, "owner"),
        front_timestamp(record.get("created_at"), "created_at"),
        front_timestamp(record.get("updated_at"), "updated_at"),
    )


def inbox_row(record: dict[str, Any]) -> tuple:
    """front.inboxes typed columns."""
    return (
        record_id(record),
        text(record, "name"),
        boolean(record, "is_private"),
        boolean(record, "is_public"),
        linked_id(record, "owner"),
        json_value(record, "custom_fields"),
    )


def teammate_row(record: dict[str, Any]) -> tuple:
    """front.teammates typed columns (bots are teammates too: see `type`)."""
    return (
        record_id(record),
        text(record, "email"),
        text(record, "username"),
        text(record, "first_name"),
        text(record, "last_name"),
        boolean(record, "is_admin"),
        boolean(record, "is_available"),
        boolean(record, "is_blocked"),
        text(record, "type"),
        text(record, "license_type"),
        json_value(record, "custom_fields"),
    )


def channel_row(record: dict[str, Any]) -> tuple:
    """front.channels typed columns (`types` was renamed `type` in 2025; both are read)."""
    settings = obj(record, "settings") or {}
    kind = text(record, "type") if record.get("type") is not None else text(record, "types")
    return (
        record_id(record),
        text(record, "name"),
        text(record, "address"),
        kind,
        text(record, "send_as"),
        boolean(record, "is_private"),
        boolean(record, "is_valid"),
        linked_id(record, "inbox"),
        linked_id(record, "owner"),
        integer(settings, "undo_send_time"),
        boolean(settings, "all_teammates_can_reply"),
    )


def custom_field_row(record: dict[str, Any], scope: str) -> tuple:
    """front.custom_fields typed columns; the scope is the endpoint the definition was listed from."""
    values = record.get("values")
    if values is not None and not isinstance(values, list):
        raise BadRecord("values is not a list")
    return (
        record_id(record),
        scope,
        text(record, "name", required=True),
        text(record, "description"),
        text(record, "type"),
        json_value(record, "values"),
    )


def conversation_row(record: dict[str, Any]) -> tuple:
    """front.conversations typed columns; status 'deleted' is Front's trash (see is_trashed)."""
    recipient = obj(record, "recipient")
    return (
        record_id(record),
        text(record, "type"),
        text(record, "subject"),
        text(record, "status"),
        text(record, "status_id"),
        text(record, "status_category"),
        nested_id(record, "assignee"),
        text(recipient, "handle") if recipient else None,
        text(recipient, "role") if recipient else None,
        linked_id(recipient, "contact") if recipient else None,
        boolean(record, "is_private"),
        text(record, "description"),
        linked_id(record, "last_message"),
        json_value(record, "ticket_ids"),
        json_value(record, "custom_fields"),
        front_timestamp(record.get("created_at"), "created_at"),
        front_timestamp(record.get("updated_at"), "updated_at"),
        front_timestamp(record.get("waiting_since"), "waiting_since"),
        front_timestamp(record.get("due_at"), "due_at"),
    )


def conversation_tag_rows(record: dict[str, Any]) -> list[tuple]:
    """front.conversation_tags rows (tag_id, name): the tags as attached when Front sent the conversation."""
    return [(record_id(tag), text(tag, "name")) for tag in items(record, "tags")]


def conversation_link_rows(record: dict[str, Any]) -> list[tuple]:
    """front.conversation_links rows (link_id, name, type, external_url, custom_fields)."""
    return [(record_id(link), text(link, "name"), text(link, "type"), text(link, "external_url"),
             json_value(link, "custom_fields")) for link in items(record, "links")]


def conversation_reminder_rows(record: dict[str, Any]) -> list[tuple]:
    """front.conversation_reminders rows (ordinal, owner_id, created_at, scheduled_at, updated_at)."""
    return [
        (ordinal, linked_id(reminder, "owner"),
         front_timestamp(reminder.get("created_at"), "scheduled_reminders.created_at"),
         front_timestamp(reminder.get("scheduled_at"), "scheduled_reminders.scheduled_at"),
         front_timestamp(reminder.get("updated_at"), "scheduled_reminders.updated_at"))
        for ordinal, reminder in enumerate(items(record, "scheduled_reminders"))
    ]


def message_row(record: dict[str, Any]) -> tuple:
    """front.messages typed columns; author is null for inbound messages, text is null outside email.

    `is_draft` is documented by Front but missing from the spec; without it a draft is recognised by draft_mode.
    """
    draft_mode = text(record, "draft_mode")
    is_draft = boolean(record, "is_draft")
    return (
        record_id(record),
        linked_id(record, "conversation"),
        text(record, "message_uid"),
        text(record, "type"),
        boolean(record, "is_inbound"),
        is_draft if is_draft is not None else draft_mode is not None,
        draft_mode,
        text(record, "error_type"),
        text(record, "version"),
        nested_id(record, "author"),
        linked_id(record, "message_replied_to"),
        text(record, "subject"),
        text(record, "blurb"),
        text(record, "body"),
        text(record, "text"),
        json_value(record, "metadata"),
        front_timestamp(record.get("created_at"), "created_at"),
    )


def message_recipient_rows(record: dict[str, Any]) -> list[tuple]:
    """front.message_recipients rows (role, handle, name, contact_id, handle_normalized); no Front id exists."""
    rows = []
    for item in items(record, "recipients"):
        handle = text(item, "handle", required=True)
        rows.append((text(item, "role", required=True), handle, text(item, "name"),
                     linked_id(item, "contact"), handle.casefold()))
    return rows


def message_attachment_rows(record: dict[str, Any]) -> list[tuple]:
    """front.message_attachments rows (attachment_id, filename, url, content_type, size, is_inline, cid)."""
    rows = []
    for item in items(record, "attachments"):
        size = integer(item, "size")
        if size is not None and size < 0:
            raise BadRecord("attachments.size is negative")
        metadata = obj(item, "metadata") or {}
        rows.append((record_id(item), text(item, "filename"), text(item, "url"), text(item, "content_type"),
                     size, boolean(metadata, "is_inline"), text(metadata, "cid")))
    return rows


def comment_row(record: dict[str, Any]) -> tuple:
    """front.comments typed columns; comments carry posted_at, not created_at."""
    return (
        record_id(record),
        linked_id(record, "conversation"),
        nested_id(record, "author"),
        text(record, "body"),
        boolean(record, "is_pinned"),
        linked_id(record, "comment_replied_to"),
        len(items(record, "attachments")),
        front_timestamp(record.get("posted_at"), "posted_at"),
    )
