"""dead_letters: records that could not be transformed or loaded, kept whole (and replayable) with the reason."""

from __future__ import annotations

import json
from typing import Any

from front_sync.resources import transform
from front_sync.warehouse.sql_files import load_sql

MAX_ERROR_LENGTH = 2000
_MAX_PAYLOAD_DEPTH = 100
_CUT = f"<cut: nested deeper than {_MAX_PAYLOAD_DEPTH} levels>"


def _clip_depth(value: Any, depth: int = 0) -> Any:
    """A copy of the value with nesting below _MAX_PAYLOAD_DEPTH replaced by a marker string."""
    if isinstance(value, dict):
        return _CUT if depth >= _MAX_PAYLOAD_DEPTH else {k: _clip_depth(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return _CUT if depth >= _MAX_PAYLOAD_DEPTH else [_clip_depth(v, depth + 1) for v in value]
    return value


def payload(record: Any) -> tuple[str | None, str | None]:
    """(jsonb text, plain text): the record as JSON when PostgreSQL can store it, else an ASCII-escaped copy."""
    clipped = _clip_depth(record)
    try:
        return transform.canonical_json(clipped), None
    except transform.BadRecord:
        # Lone surrogates or odd types: jsonb cannot hold them, an ASCII-escaped text keeps every character visible.
        return None, json.dumps(transform.strip_nul(clipped), ensure_ascii=True, sort_keys=True, default=repr)


def record_id(record: Any) -> str | None:
    """Whatever id the record carries, as short NUL-free text, for finding the dead letter again."""
    value = record.get("id") if isinstance(record, dict) else None
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value).replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:200]


def write(cur, resource: str, dead: list[tuple[Any, str]], run_id: str, view_at: Any = None) -> None:
    """Insert the dead letters of a batch in the batch's transaction (executemany: one statement, rows pipelined);
    `view_at`: the view time the records came from, if one for the batch (a replay is then that old)."""
    if not dead:
        return
    rows = []
    for record, error in dead:
        as_json, as_text = payload(record)
        rows.append((resource, record_id(record), as_json, as_text, error[:MAX_ERROR_LENGTH], run_id, view_at))
    cur.executemany(load_sql("load/dead_letter_insert"), rows)
