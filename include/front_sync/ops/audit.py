"""sync_logs: one row per task run and resource, opened when the sync starts and closed with its counts."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from front_sync.warehouse.sql_files import load_sql

OUTCOME_COLUMNS = ("created", "updated", "unchanged", "stale", "conflicts", "dead_lettered")
# "untyped" (rows written with a field that could not be typed) overlaps the outcomes: it is not one of them.
COUNT_COLUMNS = ("fetched", *OUTCOME_COLUMNS, "deleted", "restored", "untyped")
API_COLUMNS = ("api_calls", "retries", "rate_limit_waits", "rate_limit_wait_seconds", "bytes_received")


@dataclass(frozen=True)
class RunIdentity:
    """Which Airflow task try a sync_logs row belongs to."""

    run_id: str
    dag_id: str
    task_id: str
    try_number: int


def open_row(
    conn,
    who: RunIdentity,
    resource: str,
    sync_type: str,
    window_start: Decimal | None,
    window_end: Decimal | None,
    watermark_before: Decimal | None,
) -> int:
    """Insert the 'running' row and commit it, so a crash still leaves a trace; returns its id.

    Rows earlier tries of the same task left 'running' (killed before they could close them) are closed first.
    """
    with conn.cursor() as cur:
        cur.execute(
            load_sql("audit_close_abandoned"),
            {"run_id": who.run_id, "dag_id": who.dag_id, "task_id": who.task_id, "try_number": who.try_number},
        )
        cur.execute(
            load_sql("audit_start"),
            {
                "run_id": who.run_id,
                "dag_id": who.dag_id,
                "task_id": who.task_id,
                "try_number": who.try_number,
                "resource": resource,
                "sync_type": sync_type,
                "window_start": window_start,
                "window_end": window_end,
                "watermark_before": watermark_before,
            },
        )
        row_id = cur.fetchone()[0]
    conn.commit()
    return row_id


def accounting(counts: Counter) -> dict[str, int]:
    """Count columns of a sync_logs row, with fetched split into what was accounted for and what rolled back.

    Every record fetched is either in one outcome (created ... dead_lettered) or in a batch that rolled back
    with a failure (fetched_not_loaded), so fetched = sum of the outcomes holds on every row. More outcomes than
    records fetched means the caller miscounted, which is an error.
    """
    row = {c: int(counts.get(c, 0)) for c in COUNT_COLUMNS}
    accounted = sum(row[c] for c in OUTCOME_COLUMNS)
    if accounted > row["fetched"]:
        raise ValueError(f"{accounted} records accounted for but only {row['fetched']} fetched")
    row["fetched_not_loaded"] = row["fetched"] - accounted
    row["fetched"] = accounted
    return row


def close_row(
    conn,
    row_id: int,
    status: str,
    counts: Counter,
    api: dict[str, Any],
    watermark_after: Decimal | None,
    error_message: str | None,
    metadata: dict[str, Any],
) -> None:
    """Finish the row with the outcome; on success every record fetched must be in an outcome (the table checks)."""
    params: dict[str, Any] = accounting(counts)
    params.update({c: api.get(c, 0) for c in API_COLUMNS})
    params.update(
        id=row_id,
        status=status,
        watermark_after=watermark_after,
        error_message=error_message[:4000] if error_message else None,
        metadata=json.dumps(metadata, default=str),
    )
    conn.rollback()  # a failed batch may have left the transaction aborted
    with conn.cursor() as cur:
        cur.execute(load_sql("audit_finish"), params)
    conn.commit()


@dataclass
class AuditRow:
    """An open sync_logs row and what the work fills in while it runs, written when the row is closed."""

    row_id: int
    counts: Counter = field(default_factory=Counter)
    metadata: dict[str, Any] = field(default_factory=dict)
    api: dict[str, Any] = field(default_factory=dict)
    watermark_after: Decimal | None = None


@contextmanager
def audited(
    conn,
    who: RunIdentity,
    resource: str,
    sync_type: str,
    window_start: Decimal | None = None,
    window_end: Decimal | None = None,
    watermark_before: Decimal | None = None,
    *,
    counts: Counter | None = None,
    before_close: Callable[[AuditRow], None] | None = None,
) -> Iterator[AuditRow]:
    """The sync_logs row around a piece of work: opened (and committed) first, closed 'success' with what the
    work filled in, or 'failed' with the error when it raises (the exception goes on). `counts`: the work's own
    Counter, when it has one; `before_close(row)` fills in figures known only at the end (API calls...)."""
    row = AuditRow(
        open_row(conn, who, resource, sync_type, window_start, window_end, watermark_before),
        Counter() if counts is None else counts,
    )
    try:
        yield row
    except BaseException as exc:
        if before_close is not None:
            before_close(row)
        close_row(
            conn,
            row.row_id,
            "failed",
            row.counts,
            row.api,
            row.watermark_after,
            f"{type(exc).__name__}: {exc}",
            row.metadata,
        )
        raise
    if before_close is not None:
        before_close(row)
    close_row(conn, row.row_id, "success", row.counts, row.api, row.watermark_after, None, row.metadata)


def record_watermark(
    conn, who: RunIdentity, resource: str, before: Decimal | None, after: Decimal, reason: str
) -> None:
    """Write one front.watermark_changes row and commit (the Variable was just written)."""
    with conn.cursor() as cur:
        cur.execute(
            load_sql("audit_watermark"),
            {
                "resource": resource,
                "before": before,
                "after": after,
                "reason": reason,
                "run_id": who.run_id,
                "dag_id": who.dag_id,
                "task_id": who.task_id,
                "try_number": who.try_number,
            },
        )
    conn.commit()


def last_listing_age(conn, resource: str) -> float | None:
    """Seconds since the resource's last successful complete listing, or None if it never had one."""
    with conn.cursor() as cur:
        cur.execute(load_sql("audit_last_listing_age"), {"resource": resource})
        age = cur.fetchone()[0]
    conn.commit()
    return None if age is None else float(age)
