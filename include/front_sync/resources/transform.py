"""Pure functions that turn Front records into warehouse values: timestamps, text, JSON, hashes, typed rows.

Every function here returns values ready for COPY or raises BadRecord; none touches the database. Under
typed_leniently a value that cannot be typed is noted and becomes None instead (see "untyped fields" below).
Enumerations (status, role, type, ...) are stored as Front sends them: Front adds values over time, and a
new value must not turn good records into dead letters.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from hashlib import blake2b
from typing import Any
from urllib.parse import urlsplit

import msgspec

_TS_QUANTUM = Decimal("0.001")
_TS_LIMIT = Decimal("1e12")        # epoch seconds below this; a millisecond epoch lands above it
MAX_ID_LENGTH = 255                # Front ids are short (crd_3cgz4ge); a longer one is garbage, not a key
MAX_UNTYPED = 100                  # fields listed in one row's untyped_fields; more are only counted
_BIGINT = 2**63


class BadRecord(ValueError):
    """A record cannot be turned into a row; it goes to dead_letters with this message."""


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


# -- untyped fields ----------------------------------------------------------------------------------------
# The loader types a record strictly first (any bad value raises BadRecord: the fast path costs nothing extra).
# Only when that fails is the record typed again leniently (typed_leniently): each reader then notes a bad
# optional value on the thread's Untyped collector and returns None, a child item that cannot be keyed is
# skipped and noted, and only a record without a usable id of its own still raises.


class Untyped:
    """The fields of one record that could not be typed: [{"field": "attachments[0].size", "reason": ...}].

    Field paths and reasons only, never values: the list is stored in the row's untyped_fields column. It keeps
    the first MAX_UNTYPED fields; one last entry counts the others (a list of 10,000 bad recipients stays small).
    """

    __slots__ = ("fields", "prefix", "_seen")

    def __init__(self) -> None:
        self.fields: list[dict[str, str]] = []
        self.prefix = ""  # path of the list item being read, e.g. "attachments[0]."
        self._seen: set[tuple[str, str]] = set()

    def note(self, field: str, reason: str) -> None:
        """List a field that could not be typed, once (two columns may come from one field, e.g. _links)."""
        key = (self.prefix + field, reason)
        if key in self._seen:
            return
        self._seen.add(key)
        if len(self._seen) <= MAX_UNTYPED:
            self.fields.append({"field": key[0], "reason": reason})

    def listed(self) -> list[dict[str, str]]:
        """The fields to store: the first MAX_UNTYPED, then how many more there were."""
        more = len(self._seen) - len(self.fields)
        return self.fields if not more else [*self.fields, {"field": "*", "reason": f"{more} more fields"}]

    def at_item(self, field: str, index: int, item: Any) -> bool:
        """Point notes at `field[index]`; True (and noted) when the item is not an object and must be skipped."""
        self.prefix = ""
        if not isinstance(item, dict):
            self.note(f"{field}[{index}]", "not an object")
            return True
        self.prefix = f"{field}[{index}]."
        return False


class _Lenient(threading.local):
    """Per thread: the collector of the record being typed leniently, else None (readers raise)."""

    untyped: Untyped | None = None


_LENIENT = _Lenient()


def _collector() -> Untyped | None:
    """This thread's collector while a record is typed leniently, else None."""
    return _LENIENT.untyped


def _untyped(field: str, reason: str, at: str = "") -> None:
    """A value that cannot be typed: noted when typing leniently (the reader then returns None), else a BadRecord."""
    collector = _collector()
    if collector is None:
        raise BadRecord(f"{at}{field} is {reason}")
    collector.note(at + field, reason)


def typed_leniently(row: Callable[[dict[str, Any]], tuple], children: Iterable[Callable[[dict[str, Any]], list]],
                    record: dict[str, Any]) -> tuple[tuple, list[list[tuple]], list[dict[str, str]]]:
    """Type a record whose strict typing raised: bad optional values become None and are listed instead.

    Returns the typed row, each child table's rows and the untyped fields. A record without a usable id (or
    whose JSON cannot be stored, see _encode) still raises BadRecord.
    """
    untyped = Untyped()
    _LENIENT.untyped = untyped
    try:
        values = row(record)
        child_rows = []
        for rows in children:
            untyped.prefix = ""
            child_rows.append(rows(record))
    finally:
        _LENIENT.untyped = None
    return values, child_rows, untyped.listed()


# -- field readers -----------------------------------------------------------------------------------------
# Each reader returns the typed value, None when the field is absent, and for a value that cannot be typed
# raises BadRecord (strict) or notes it and returns None (lenient). `at` is the path of the object read, for notes.


def text(record: dict[str, Any], field: str, *, required: bool = False, at: str = "") -> str | None:
    """A string field, NUL-free; None when absent (noted when required); a non-string cannot be typed."""
    value = record.get(field)
    if value is None:
        if required:
            _untyped(field, "missing", at)
        return None
    if not isinstance(value, str):
        _untyped(field, f"not a string: {type(value).__name__}", at)
        return None
    return value.replace("\x00", "") if "\x00" in value else value


def boolean(record: dict[str, Any], field: str, at: str = "") -> bool | None:
    """A boolean field; None when absent; "yes" or 1 cannot be typed (Front sends JSON booleans)."""
    value = record.get(field)
    if value is None or isinstance(value, bool):
        return value
    _untyped(field, f"not a boolean: {type(value).__name__}", at)
    return None


def integer(record: dict[str, Any], field: str, at: str = "") -> int | None:
    """An integer field that fits a bigint; None when absent."""
    value = record.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        _untyped(field, f"not an integer: {type(value).__name__}", at)
        return None
    if not -_BIGINT <= value < _BIGINT:
        _untyped(field, "out of range", at)
        return None
    return value


def front_timestamp(value: Any, field: str, at: str = "") -> Decimal | None:
    """Front epoch seconds (up to 3 decimals) as an exact Decimal; None stays None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, float, str)):
        _untyped(field, f"not a timestamp: {type(value).__name__}", at)
        return None
    try:
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        _untyped(field, "not a number", at)
        return None
    if not number.is_finite() or number < 0 or number >= _TS_LIMIT:
        _untyped(field, "out of range for epoch seconds", at)
        return None
    return number.quantize(_TS_QUANTUM)


def json_value(record: dict[str, Any], field: str) -> str | None:
    """A nested value (object or list) as canonical JSON text for a jsonb column."""
    value = record.get(field)
    if value is None:
        return None
    if not value and value.__class__ in (list, dict):
        return "[]" if value.__class__ is list else "{}"  # the most common values, without an encoder call
    return canonical_json(value)


def obj(record: dict[str, Any], field: str, at: str = "") -> dict[str, Any] | None:
    """A nested object (author, assignee, recipient, settings); None when absent or null."""
    value = record.get(field)
    if value is None or isinstance(value, dict):
        return value
    _untyped(field, f"not an object: {type(value).__name__}", at)
    return None


def items(record: dict[str, Any], field: str, untyped: Untyped | None = None) -> list[Any]:
    """A list of objects (handles, recipients, tags, ...); absent or null is empty.

    Strictly (`untyped` None) every item must be an object; leniently the list comes back as sent and the caller
    skips the items that are not (Untyped.at_item), so that notes keep each item's position.
    """
    value = record.get(field)
    if value is None:
        return []
    if not isinstance(value, list):
        _untyped(field, "not a list")
        return []
    if untyped is None:
        for item in value:
            if not isinstance(item, dict):
                raise BadRecord(f"an item of {field} is not an object")
    return value


def _list_length(record: dict[str, Any], field: str) -> int | None:
    """How many entries a list field has (0 when absent); None when it is not a list."""
    value = record.get(field)
    if value is None:
        return 0
    if not isinstance(value, list):
        _untyped(field, "not a list")
        return None
    return len(value)


def record_id(record: Any, field: str = "id") -> str:
    """The Front id of a record; a record without a usable id cannot be keyed and is a BadRecord, always."""
    if not isinstance(record, dict):
        raise BadRecord(f"record is not an object: {type(record).__name__}")
    value = record.get(field)
    # Usable: a non-blank string without NUL, at most MAX_ID_LENGTH long.
    if isinstance(value, str) and value.strip() and "\x00" not in value and len(value) <= MAX_ID_LENGTH:
        return value
    if value is None:
        raise BadRecord(f"missing {field}")
    if not isinstance(value, str) or not value.strip():
        raise BadRecord(f"{field} is not a non-empty string: {type(value).__name__}")
    # Stripping NUL from a key could merge two records; an id is used exactly as sent or not at all.
    raise BadRecord(f"{field} contains NUL or is longer than {MAX_ID_LENGTH} characters")


def item_id(record: dict[str, Any], field: str = "id", at: str = "") -> str | None:
    """The id of a nested object or list item (tag, link, attachment, author); leniently None (noted) when unusable."""
    value = record.get(field)
    if isinstance(value, str) and value.strip() and "\x00" not in value and len(value) <= MAX_ID_LENGTH:
        return value
    if _collector() is None:
        return record_id(record, field)  # raises with the reason
    if value is None:
        _untyped(field, "missing", at)
    elif not isinstance(value, str) or not value.strip():
        _untyped(field, f"not a non-empty string: {type(value).__name__}", at)
    else:
        _untyped(field, f"contains NUL or is longer than {MAX_ID_LENGTH} characters", at)
    return None


def nested_id(record: dict[str, Any], field: str) -> str | None:
    """The id of a nested object such as author or assignee; None when the object is null."""
    value = obj(record, field)
    return None if value is None else item_id(value, at=f"{field}.")


def id_from_url(url: str) -> str:
    """The id at the end of a Front link: https://x.api.frontapp.com/tags/tag_3h07ym?referer=y -> tag_3h07ym."""
    tail = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    if not tail:
        raise BadRecord("a link has no id")
    return tail


def linked_id(record: dict[str, Any], relation: str, at: str = "") -> str | None:
    """The id behind `_links.related.<relation>` (Front sends related records as URLs, e.g. parent_tag)."""
    links = record.get("_links")
    if links is None:
        return None
    if not isinstance(links, dict):
        _untyped("_links", "not an object", at)
        return None
    related = links.get("related")
    if related is None:
        return None
    if not isinstance(related, dict):
        _untyped("_links.related", "not an object", at)
        return None
    url = related.get(relation)
    if url is None:
        return None
    if not isinstance(url, str):
        _untyped(f"_links.related.{relation}", "not a URL", at)
        return None
    try:
        return id_from_url(url)
    except BadRecord:
        _untyped(f"_links.related.{relation}", "a URL without an id", at)
        return None


def email_handles(record: dict[str, Any]) -> list[str]:
    """The case-folded email handles of a contact record, in the order Front sent them."""
    return [text(h, "handle", required=True).casefold() for h in items(record, "handles")
            if h.get("source") == "email" and isinstance(h.get("handle"), str) and h["handle"].strip()]


# -- typed rows, one function per table, in the column order of resources.py -----------------------------
# Child row functions skip (leniently) an item that is not an object or cannot be keyed; `untyped` is then
# this thread's collector, else None (strict typing, where such an item raises).


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
    untyped = _LENIENT.untyped
    rows = []
    for index, item in enumerate(items(record, "handles", untyped)):
        if untyped is not None and untyped.at_item("handles", index, item):
            continue
        handle = text(item, "handle", required=True)
        source = text(item, "source", required=True)
        if handle is not None and source is not None:  # else noted: a handle is keyed by both
            rows.append((source, handle, handle.casefold()))
    return rows


def contact_list_member_rows(record: dict[str, Any]) -> list[tuple]:
    """front.contact_list_members rows (contact_list_id,) from `lists` (or the deprecated `groups`)."""
    untyped = _LENIENT.untyped
    field = "lists" if record.get("lists") is not None else "groups"
    rows = []
    for index, item in enumerate(items(record, field, untyped)):
        if untyped is not None and untyped.at_item(field, index, item):
            continue
        list_id = item_id(item)
        if list_id is not None:
            rows.append((list_id,))
    return rows


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
        integer(settings, "undo_send_time", at="settings."),
        boolean(settings, "all_teammates_can_reply", at="settings."),
    )


def custom_field_row(record: dict[str, Any], scope: str) -> tuple:
    """front.custom_fields typed columns; the scope is the endpoint the definition was listed from."""
    values = record.get("values")
    if values is not None and not isinstance(values, list):
        _untyped("values", "not a list")
        values = None
    return (
        record_id(record),
        scope,
        text(record, "name", required=True),
        text(record, "description"),
        text(record, "type"),
        None if values is None else json_value(record, "values"),
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
        text(recipient, "handle", at="recipient.") if recipient else None,
        text(recipient, "role", at="recipient.") if recipient else None,
        linked_id(recipient, "contact", at="recipient.") if recipient else None,
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
    untyped = _LENIENT.untyped
    rows = []
    for index, tag in enumerate(items(record, "tags", untyped)):
        if untyped is not None and untyped.at_item("tags", index, tag):
            continue
        tag_id = item_id(tag)
        if tag_id is not None:
            rows.append((tag_id, text(tag, "name")))
    return rows


def conversation_link_rows(record: dict[str, Any]) -> list[tuple]:
    """front.conversation_links rows (link_id, name, type, external_url, custom_fields)."""
    untyped = _LENIENT.untyped
    rows = []
    for index, link in enumerate(items(record, "links", untyped)):
        if untyped is not None and untyped.at_item("links", index, link):
            continue
        link_id = item_id(link)
        if link_id is not None:
            rows.append((link_id, text(link, "name"), text(link, "type"), text(link, "external_url"),
                         json_value(link, "custom_fields")))
    return rows


def conversation_reminder_rows(record: dict[str, Any]) -> list[tuple]:
    """front.conversation_reminders rows (ordinal, owner_id, created_at, scheduled_at, updated_at)."""
    untyped = _LENIENT.untyped
    rows = []
    for ordinal, reminder in enumerate(items(record, "scheduled_reminders", untyped)):
        if untyped is not None and untyped.at_item("scheduled_reminders", ordinal, reminder):
            continue
        rows.append((ordinal, linked_id(reminder, "owner"),
                     front_timestamp(reminder.get("created_at"), "created_at"),
                     front_timestamp(reminder.get("scheduled_at"), "scheduled_at"),
                     front_timestamp(reminder.get("updated_at"), "updated_at")))
    return rows


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
    untyped = _LENIENT.untyped
    rows = []
    for index, item in enumerate(items(record, "recipients", untyped)):
        if untyped is not None and untyped.at_item("recipients", index, item):
            continue
        handle = text(item, "handle", required=True)
        role = text(item, "role", required=True)
        if handle is not None and role is not None:  # else noted: a recipient is keyed by both
            rows.append((role, handle, text(item, "name"), linked_id(item, "contact"), handle.casefold()))
    return rows


def message_attachment_rows(record: dict[str, Any]) -> list[tuple]:
    """front.message_attachments rows (attachment_id, filename, url, content_type, size, is_inline, cid)."""
    untyped = _LENIENT.untyped
    rows = []
    for index, item in enumerate(items(record, "attachments", untyped)):
        if untyped is not None and untyped.at_item("attachments", index, item):
            continue
        attachment_id = item_id(item)
        if attachment_id is None:
            continue
        size = integer(item, "size")
        if size is not None and size < 0:
            _untyped("size", "negative")
            size = None
        metadata = obj(item, "metadata") or {}
        rows.append((attachment_id, text(item, "filename"), text(item, "url"), text(item, "content_type"),
                     size, boolean(metadata, "is_inline", at="metadata."), text(metadata, "cid", at="metadata.")))
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
        _list_length(record, "attachments"),
        front_timestamp(record.get("posted_at"), "posted_at"),
    )
