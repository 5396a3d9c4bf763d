"""Keyset pagination with opaque page tokens, shaped like Front's.

A listing is a list of ``(sort value, tiebreak)`` keys in ascending order plus the records they index.
A page is the next ``limit`` keys after the token's key that pass the filter; records that are gone
(deleted contacts, merged conversations) still take their slot and are dropped from the output, so pages
can be short or even empty while ``next`` is set, as Front's pagination docs warn. ``next`` is set when
keys remain past the window, whether or not any of them will pass the filter.
"""

from __future__ import annotations

import base64
import zlib
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


class InvalidPageToken(ValueError):
    """The page token is malformed, from another listing, or from before a reset."""


@dataclass(frozen=True, slots=True)
class Index:
    """A sorted listing: ``keys[i]`` (ascending) is the key of ``items[i]``; ``values`` the sort values."""

    keys: list[tuple[Any, Any]]
    values: list[Any]
    items: list[Any]

    @classmethod
    def build(cls, items: Sequence[Any], key: Callable[[Any], tuple[Any, Any]]) -> Index:
        pairs = sorted(((key(item), item) for item in items), key=lambda pair: pair[0])
        keys = [pair[0] for pair in pairs]
        return cls(keys=keys, values=[k[0] for k in keys], items=[pair[1] for pair in pairs])


def encode_token(listing: str, generation: int, key: tuple[Any, Any]) -> str:
    """An opaque token for "continue after ``key``" in one listing of one data generation."""
    check = zlib.crc32(listing.encode()) & 0xFFFF
    raw = _encoder.encode([generation, check, key[0], key[1]])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, listing: str, generation: int) -> tuple[Any, Any]:
    """The key a token continues after; raises InvalidPageToken when it does not belong here."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        gen, check, value, tiebreak = _decoder.decode(raw)
    except Exception as exc:  # noqa: BLE001 - any decoding problem means a bad token
        raise InvalidPageToken("Invalid page token") from exc
    if gen != generation or check != zlib.crc32(listing.encode()) & 0xFFFF:
        raise InvalidPageToken("Invalid page token (expired or from another listing)")
    return value, tiebreak


@dataclass(slots=True)
class Window:
    """One page: the records to show, the key to continue after, and whether more keys follow."""

    records: list[Any]
    last_key: tuple[Any, Any] | None
    has_more: bool


def take_window(
    index: Index,
    *,
    descending: bool,
    after: tuple[Any, Any] | None,
    limit: int,
    value_above: Any = None,
    value_below: Any = None,
    accept: Callable[[Any], bool] | None = None,
    gone: Callable[[Any], bool] | None = None,
    rewind: int = 0,
) -> Window:
    """Select the next page of ``index``.

    ``value_above``/``value_below`` are exclusive bounds on the sort value; ``accept`` filters records
    (rejected ones do not take a slot); ``gone`` marks tombstones (they take a slot but are not shown);
    ``rewind`` starts that many accepted keys before the cursor (the duplicate-records fault).
    """
    keys, values, items = index.keys, index.values, index.items
    lo = bisect_right(values, value_above) if value_above is not None else 0
    hi = bisect_left(values, value_below) if value_below is not None else len(keys)
    records: list[Any] = []
    last_key = None
    taken = 0
    if not descending:
        pos = max(lo, bisect_right(keys, tuple(after))) if after is not None else lo
        if rewind:
            pos = _step_back(items, pos, lo, rewind, accept, -1)
        while pos < hi and taken < limit:
            item = items[pos]
            if accept is None or accept(item):
                taken += 1
                last_key = keys[pos]
                if gone is None or not gone(item):
                    records.append(item)
            pos += 1
        return Window(records, last_key, pos < hi)
    pos = min(hi, bisect_left(keys, tuple(after))) if after is not None else hi
    if rewind:
        pos = _step_back(items, pos, hi, rewind, accept, +1)
    while pos > lo and taken < limit:
        pos -= 1
        item = items[pos]
        if accept is None or accept(item):
            taken += 1
            last_key = keys[pos]
            if gone is None or not gone(item):
                records.append(item)
    return Window(records, last_key, pos > lo)


def _step_back(
    items: list[Any], pos: int, bound: int, count: int, accept: Callable[[Any], bool] | None, direction: int
) -> int:
    """Move the start ``count`` accepted records back towards ``bound`` (re-serving records)."""
    while count > 0 and pos != bound:
        if direction < 0:
            pos -= 1
            item = items[pos]
        else:
            item = items[pos]
            pos += 1
        if accept is None or accept(item):
            count -= 1
    return pos
