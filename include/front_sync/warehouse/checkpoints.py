"""Resumable cursors per (dag, resource, run key): saved with each committed batch, read on retry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from front_sync.warehouse.sql_files import load_sql


@dataclass(frozen=True)
class CheckpointKey:
    """What a cursor belongs to: the same key resumes, a new key starts over."""

    dag_id: str
    resource: str
    run_key: str


def _json_default(value: Any) -> Any:
    """Decimals as strings; anything else JSON cannot hold is an error."""
    if isinstance(value, Decimal):
        return str(value)  # a Front timestamp cursor must come back exact, so never as a float
    raise TypeError(f"checkpoint cursor is not JSON serialisable: {type(value).__name__}")


def write(cur, key: CheckpointKey, cursor: Any, run_id: str | None) -> None:
    """Upsert the cursor inside the caller's transaction (so it commits with the batch it describes)."""
    cur.execute(
        load_sql("checkpoints/save"),
        {
            "dag_id": key.dag_id,
            "resource": key.resource,
            "run_key": key.run_key,
            "cursor": json.dumps(cursor, default=_json_default),
            "run_id": run_id,
        },
    )


def save(conn, key: CheckpointKey, cursor: Any, run_id: str | None = None) -> None:
    """Save the cursor and commit."""
    with conn.cursor() as cur:
        write(cur, key, cursor, run_id)
    conn.commit()


def load(conn, key: CheckpointKey) -> Any | None:
    """The saved cursor (Decimals come back as strings), or None when there is none."""
    with conn.cursor() as cur:
        cur.execute(
            load_sql("checkpoints/load"), {"dag_id": key.dag_id, "resource": key.resource, "run_key": key.run_key}
        )
        row = cur.fetchone()
    conn.commit()
    return None if row is None else row[0]


def clear(conn, key: CheckpointKey) -> bool:
    """Forget the cursor once the work it tracked is complete; True when there was one."""
    with conn.cursor() as cur:
        cur.execute(
            load_sql("checkpoints/clear"), {"dag_id": key.dag_id, "resource": key.resource, "run_key": key.run_key}
        )
        removed = cur.rowcount > 0
    conn.commit()
    return removed
