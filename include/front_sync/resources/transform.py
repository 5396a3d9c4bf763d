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
from typing import Any, TypeGuard
from urllib.parse import urlsplit

import msgspec

_TS_QUANTUM = Decimal("0.001")
_TS_LIMIT = Decimal("1e12")  # epoch seconds below this; a millisecond epoch lands above it
MAX_ID_LENGTH = 255  # Front ids are short (crd_3cgz4ge); a longer one is garbage, not a key
MAX_UNTYPED = 100  # fields listed in one row's untyped_fields; more are only counted
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
# optional value on the thread's Untyped collector and returns None, a nested item that cannot be keyed is
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


def typed_leniently(
    row: Callable[[dict[str, Any]], tuple], nested: Iterable[Callable[[dict[str, Any]], list]], record: dict[str, Any]
) -> tuple[tuple, list[list[tuple]], list[dict[str, str]]]:
    """Type a record whose strict typing raised: bad optional values become None and are listed instead.

    Returns the typed row, each nested table's rows and the untyped fields. A record without a usable id (or
    whose JSON cannot be stored, see _encode) still raises BadRecord.
    """
    untyped = Untyped()
    _LENIENT.untyped = untyped
    try:
        values = row(record)
        nested_rows = []
        for rows in nested:
            untyped.prefix = ""
            nested_rows.append(rows(record))
    finally:
        _LENIENT.untyped = None
    return values, nested_rows, untyped.listed()


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


def latest(*stamps: Decimal | None) -> Decimal | None:
    """The largest of these Front timestamps or cursors, None ones left out (None when every one is): how every
    cursor that only moves forward keeps its maximum."""
    return max((s for s in stamps if s is not None), default=None)


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
    handles = (
        text(h, "handle", required=True)
        for h in items(record, "handles")
        if h.get("source") == "email" and isinstance(h.get("handle"), str) and h["handle"].strip()
    )
    return [handle.casefold() for handle in handles if handle is not None]


# -- derived values (columns.derived): what is not one field read as it is -----------------------------------


def lenient_collector() -> Untyped | None:
    """This thread's collector while a record is typed leniently, else None (nested tables skip bad items then)."""
    return _collector()


def within(value: int | None, low: int, high: int, field: str, at: str = "") -> int | None:
    """`value` when low <= value < high; else it cannot be typed (a negative size, an int column's range)."""
    if value is not None and not low <= value < high:
        _untyped(field, "negative" if low == 0 and value < 0 else "out of range", at)
        return None
    return value


def is_list_or_absent(record: dict[str, Any], field: str, at: str = "") -> bool:
    """Whether a field is a list or absent; anything else cannot be typed (noted)."""
    value = record.get(field)
    if value is None or isinstance(value, list):
        return True
    _untyped(field, "not a list", at)
    return False


def list_length(record: dict[str, Any], field: str = "attachments") -> int | None:
    """How many entries a list field has (0 when absent); None when it is not a list (comments' attachments)."""
    return _list_length(record, field)


def casefolded(record: dict[str, Any], field: str = "handle") -> str | None:
    """A handle as compared (case-folded, NUL-free); None when it is not text (the handle column notes why)."""
    value = record.get(field)
    return value.replace("\x00", "").casefold() if isinstance(value, str) else None


def channel_type(record: dict[str, Any]) -> str | None:
    """A channel's type: `type`, or `types` as Front called it before 2025."""
    return text(record, "type") if record.get("type") is not None else text(record, "types")


def has_paths(record: Any, paths: Iterable[str]) -> TypeGuard[dict[str, Any]]:
    """Whether a record has every dotted path (a present key; null counts, as Front sends null for 'none')."""
    if not isinstance(record, dict):
        return False
    for path in paths:
        node: Any = record
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
    return True


def message_is_sent(record: dict[str, Any]) -> bool:
    """A message that is no draft: drafts change without events (edits, deletion), so they are always fetched."""
    return not message_is_draft(record)


def message_is_draft(record: dict[str, Any]) -> bool:
    """`is_draft` as Front documents it (missing from the spec); without it a draft is known by its draft_mode."""
    is_draft = boolean(record, "is_draft")
    if is_draft is not None:
        return is_draft
    return text(record, "draft_mode") is not None
