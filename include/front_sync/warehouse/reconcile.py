"""Soft deletes: rows a completed full listing no longer returned get deleted_at; rows it returned again lose it.

Front has no tombstones for contacts, tags, teammates, inboxes, channels or custom fields (NOTES section 9), so
the only way to see a deletion is to list every id and anti-join. Only a listing that ran to the end may be
used: a partial one would soft-delete everything it did not reach. Each transaction marks its writes as the
sync's own (load/sync_writer.sql), so the local-edit triggers never take a soft delete for a local edit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from psycopg import sql

from front_sync.resources import Resource
from front_sync.warehouse.contacts_provisional import PROVISIONAL_PREFIX
from front_sync.warehouse.copy_binary import TEXT, copy_rows
from front_sync.warehouse.sql_files import load_sql
from front_sync.warehouse.transaction import transaction

log = logging.getLogger(__name__)

_IDS = sql.Identifier("_reconcile_ids")


class ReconcileRefused(RuntimeError):
    """The listing would soft-delete an implausible share of the table; nothing was changed."""


@dataclass(frozen=True)
class ReconcileResult:
    """Rows soft-deleted and rows restored by one reconciliation (sync_logs.deleted and .restored)."""

    deleted: int
    restored: int


def _stage_ids(cur, ids: Iterable[str]) -> None:
    """COPY the ids into a temporary table (streamed: a million ids never sit in one buffer)."""
    cur.execute(load_sql("reconcile/ids_create", ids=_IDS))
    copy_rows(cur, _IDS, ("id",), (TEXT,), ((i,) for i in ids))
    cur.execute(load_sql("load/stage_analyze", stage=_IDS))


def database_clock(conn) -> datetime:
    """The warehouse's clock now: mark a listing's start with it (see `listing_started`)."""
    with conn.cursor() as cur:
        cur.execute(load_sql("reconcile/clock"))
        now = cur.fetchone()[0]
    conn.commit()
    return now


def _scope(
    resource: Resource, where: Mapping[str, str] | None, listing_started: datetime | None = None
) -> tuple[sql.Composable, dict[str, Any]]:
    """Which rows the listing covered: the resource's partition plus the caller's filter (e.g. one conversation),
    and only rows nothing touched since it started (issue 19 item 2): a row first loaded, written (last_synced_at),
    soft-deleted or moved by Front (updated_at) after the start may have changed places in a paged listing
    (a reply moves a conversation above the cursor), so its absence or presence proves nothing."""
    filters = {**resource.partition, **(where or {})}
    params: dict[str, Any] = {"provisional": PROVISIONAL_PREFIX + "%"}
    parts: list[sql.Composable] = [sql.SQL("t.id NOT LIKE %(provisional)s")]  # placeholders Front never lists
    if listing_started is not None:
        parts.append(load_sql("reconcile/untouched_since"))
        if "updated_at" in resource.columns:
            parts.append(load_sql("reconcile/unmoved_since"))
        params["listing_started"] = listing_started
    for n, (column, value) in enumerate(sorted(filters.items())):
        parts.append(sql.SQL("t.{} = %({})s").format(sql.Identifier(column), sql.SQL(f"f{n}")))
        params[f"f{n}"] = value
    return sql.SQL(" AND ").join(parts), params


def reconcile_deletions(
    conn,
    resource: Resource,
    seen_ids: Iterable[str],
    run_id: str,
    *,
    where: Mapping[str, str] | None = None,
    max_deleted_share: float = 0.5,
    min_rows_for_share_check: int = 20,
    listing_started: datetime | None = None,
    view_at: Decimal | None = None,
) -> ReconcileResult:
    """Apply a completed full listing: soft-delete unseen rows, restore seen soft-deleted ones; one commit.

    Args:
        conn: psycopg connection to the warehouse.
        resource: the resource listed (its partition, e.g. a custom field scope, limits the rows considered).
        seen_ids: every id the completed listing returned (any iterable, streamed).
        run_id: Airflow run id, written to sync_run_id of the rows changed.
        where: extra column = value filters when the listing covered only part of the table.
        listing_started: the listing's start (``database_clock``): rows loaded, written, soft-deleted or moved
            by Front after it are left alone, both ways (never deleted, never restored).
        view_at: the listing's view (its request start, Front-side epoch; None: now): a row whose stored view is
            newer (written or moved by Front since) is neither soft-deleted nor restored; deletions record it.
        max_deleted_share: refuse (ReconcileRefused, nothing changed) when more than this share of the live
            rows in scope would be deleted, once at least `min_rows_for_share_check` rows would be.
    """
    table = sql.Identifier(*resource.table)
    scope, params = _scope(resource, where, listing_started)
    params.update(run_id=run_id, view_at=view_at)
    with transaction(conn, sync_writer=True) as cur:
        _stage_ids(cur, seen_ids)
        cur.execute(load_sql("reconcile/count_unseen", table=table, ids=_IDS, scope=scope), params)
        unseen, live = _one(cur)
        if unseen >= min_rows_for_share_check and unseen > max_deleted_share * live:
            raise ReconcileRefused(
                f"{resource.name}: the listing would soft-delete {unseen} of {live} rows; refusing "
                f"(max share {max_deleted_share}). Was the listing complete?"
            )
        cur.execute(load_sql("reconcile/mark_deleted", table=table, ids=_IDS, scope=scope), params)
        deleted = cur.rowcount
        cur.execute(load_sql("reconcile/restore", table=table, ids=_IDS, scope=scope), params)
        restored = cur.rowcount
        cur.execute(load_sql("load/stage_drop", tables=_IDS))
    log.info("%s: reconciliation soft-deleted %d row(s), restored %d", resource.name, deleted, restored)
    return ReconcileResult(deleted=deleted, restored=restored)


def soft_delete(conn, resource: Resource, ids: Iterable[str], run_id: str, *, view_at: Decimal | None = None) -> int:
    """Soft-delete specific rows Front says are gone (merged-away conversations, a 404) as of the view `view_at`
    (the merge event's emitted_at, the request's start; None: now); returns rows soft-deleted."""
    table = sql.Identifier(*resource.table)
    with transaction(conn, sync_writer=True) as cur:
        _stage_ids(cur, ids)
        cur.execute(
            load_sql("reconcile/mark_listed_deleted", table=table, ids=_IDS), {"run_id": run_id, "view_at": view_at}
        )
        deleted = _one(cur)[0]
        cur.execute(load_sql("load/stage_drop", tables=_IDS))
    return deleted


def soft_delete_sub_resources_gone(
    cur,
    resource: Resource,
    conversation_id: str,
    kept_ids: Iterable[str],
    run_id: str,
    fetch_started: datetime,
    *,
    view_at: Decimal | None = None,
) -> int:
    """Soft-delete a conversation's rows of `resource` that a complete fetch no longer returned, as of the fetch's
    view `view_at` (its request start; None: now), of those last written before the fetch started (warehouse
    clock): rows written since, or from a newer view, stay (issue 19 items 1 and 5). Caller commits."""
    cur.execute(load_sql("load/sync_writer"))
    cur.execute(
        load_sql("reconcile/sub_resources_gone", table=sql.Identifier(*resource.table)),
        {
            "conversation_id": conversation_id,
            "kept": sorted(set(kept_ids)),
            "run_id": run_id,
            "fetch_started": fetch_started,
            "view_at": view_at,
        },
    )
    return cur.fetchone()[0]


def soft_delete_merged_sub_resources_gone(
    cur,
    resource: Resource,
    survivor_id: str,
    kept_ids: Iterable[str],
    run_id: str,
    fetch_started: datetime,
    *,
    view_at: Decimal | None = None,
) -> int:
    """After a complete fetch of a survivor: soft-delete the rows still stored under the conversations merged into
    it that the fetch did not return (issue 19 item 10), under the same guards as sub_resources_gone; caller commits."""
    cur.execute(load_sql("load/sync_writer"))
    cur.execute(
        load_sql("reconcile/merged_sub_resources_gone", table=sql.Identifier(*resource.table)),
        {
            "conversation_id": survivor_id,
            "kept": sorted(set(kept_ids)),
            "run_id": run_id,
            "fetch_started": fetch_started,
            "view_at": view_at,
        },
    )
    return cur.fetchone()[0]


def _one(cur) -> tuple:
    """The one row an aggregate statement returns."""
    row = cur.fetchone()
    if row is None:
        raise RuntimeError("an aggregate query returned no row")
    return row
