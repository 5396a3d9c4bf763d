"""Airflow operators: migrate the warehouse, and the sync tasks, all generic over the resource table.

Every sync task follows one shape (SyncTask.execute): read the config and the watermark, open a sync_logs row,
do the work batch by batch (each batch committed), close the row with its counts, then advance the watermark
(only after commit, only forward). Only counts and cursors go to XCom, never records.
"""

from __future__ import annotations

import logging
import re
from abc import abstractmethod
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from airflow.sdk import BaseOperator, Variable
from airflow.sdk.exceptions import AirflowFailException

from front_sync import (
    audit,
    backfill,
    checkpoints,
    conversation_changes,
    conversation_children,
    migrations,
    pending,
    watermarks,
)
from front_sync.config import CONFIG_VARIABLE, FRONT_CONN_ID, WAREHOUSE_CONN_ID, SyncConfig
from front_sync.hooks.front import FrontHook
from front_sync.load import OUTCOMES, BatchResult, load_batches
from front_sync.progress import Progress
from front_sync.reconcile import reconcile_deletions
from front_sync.resources import CONVERSATIONS, get_resource
from front_sync.warehouse import warehouse_connection
from front_sync.window import Window, epoch, sync_window

log = logging.getLogger(__name__)
CONVERSATION_ID = re.compile(r"^cnv_[0-9a-z]+$")


class MigrateWarehouseOperator(BaseOperator):
    """Applies pending warehouse migrations (idempotent and safe to run concurrently)."""

    def __init__(self, *, warehouse_conn_id: str = WAREHOUSE_CONN_ID, **kwargs) -> None:
        super().__init__(**kwargs)
        self.warehouse_conn_id = warehouse_conn_id

    def execute(self, context) -> list[str]:
        conn = warehouse_connection(self.warehouse_conn_id)
        try:
            applied = migrations.migrate(conn)
        finally:
            conn.close()
        log.info("Warehouse schema up to date (%d migration(s) applied now)", len(applied))
        return applied


@dataclass
class Outcome:
    """What a sync task did, filled in as it goes so a failure still reports the batches it committed."""

    counts: Counter = field(default_factory=Counter)
    cursor: Decimal | None = None
    capped: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)

    def absorb(self, batch: BatchResult, fetched: int) -> None:
        """Add a committed batch: its records fetched, their outcomes, and its largest cursor."""
        self.counts["fetched"] += fetched
        self.counts.update({k: v for k, v in batch.counts.items() if k in OUTCOMES})
        for key, value in batch.counts.items():  # e.g. provisional contacts merged into real ones
            if key not in OUTCOMES and value:
                self.metadata[key] = self.metadata.get(key, 0) + value
        if batch.max_cursor is not None and (self.cursor is None or batch.max_cursor > self.cursor):
            self.cursor = batch.max_cursor


class SyncTask(BaseOperator):
    """Base of every sync task: config, window, audit row, watermark; subclasses implement `sync`.

    Args:
        resource: the resource (front_sync.resources) the task writes; names its watermark and sync_logs rows.
        mode: "incremental" (from the watermark), "full" (complete listing, then deletion reconciliation),
            "backfill" or "on_demand".
        front_conn_id: the Front connection (type ``front``).
        warehouse_conn_id: the PostgreSQL connection of the warehouse.
    """

    template_fields = ("resource",)
    ui_color = "#e8f4fd"
    uses_watermark = True

    def __init__(self, *, resource: str, mode: str = "incremental", front_conn_id: str = FRONT_CONN_ID,
                 warehouse_conn_id: str = WAREHOUSE_CONN_ID, **kwargs) -> None:
        super().__init__(**kwargs)
        if mode not in ("incremental", "full", "backfill", "on_demand"):
            raise ValueError(f"mode must be incremental, full, backfill or on_demand, got {mode!r}")
        self.resource = resource
        self.mode = mode
        self.front_conn_id = front_conn_id
        self.warehouse_conn_id = warehouse_conn_id

    def window(self, context, watermark: Decimal | None, config: SyncConfig) -> Window:
        dag_run = context["dag_run"]
        return sync_window(run_type=dag_run.run_type, interval_start=context.get("data_interval_start"),
                           interval_end=context.get("data_interval_end"),
                           run_after=getattr(dag_run, "run_after", None), watermark=watermark,
                           overlap_seconds=config.overlap_seconds)

    def tracks_watermark(self) -> bool:
        """Whether this task reads and advances front_sync.watermark.<resource>."""
        return self.uses_watermark

    def sync_type(self, window: Window) -> str:
        """sync_logs.sync_type of this run: the mode, except that an incremental run may be a full listing."""
        return window.sync_type if self.mode == "incremental" and self.uses_watermark else self.mode

    @abstractmethod
    def sync(self, context, conn, front: FrontHook, config: SyncConfig, window: Window, outcome: Outcome) -> None:
        """Do the task's work, committing batch by batch and recording it in `outcome`."""

    def execute(self, context) -> dict[str, Any]:
        resource = get_resource(self.resource)
        config = SyncConfig.from_json(Variable.get(CONFIG_VARIABLE, default=None))
        watermark = watermarks.read(Variable, resource.name) if self.tracks_watermark() else None
        window = self.window(context, watermark, config)
        sync_type = self.sync_type(window)
        ti = context["ti"]
        who = audit.RunIdentity(context["run_id"], ti.dag_id, ti.task_id, ti.try_number)
        front = FrontHook(front_conn_id=self.front_conn_id)
        conn = warehouse_connection(self.warehouse_conn_id)
        outcome = Outcome()
        log.info("Syncing %s (%s): window (%s, %s), watermark %s", resource.name, sync_type, window.lower,
                 window.upper, watermark)
        row_id = audit.open_row(conn, who, resource.name, sync_type, window.lower, window.upper, watermark)
        new_mark = watermark
        try:
            self.sync(context, conn, front, config, window, outcome)
            if self.tracks_watermark() and self.mode != "on_demand":
                new_mark = watermarks.advance(Variable, resource.name, outcome.cursor, context["run_id"],
                                              str(getattr(context["dag_run"], "run_after", "")))
        except BaseException as exc:
            audit.close_row(conn, row_id, "failed", outcome.counts, front.sync_log_figures(), watermark,
                            f"{type(exc).__name__}: {exc}", {**outcome.metadata, **front.sync_log_metadata()})
            conn.close()
            raise
        if outcome.capped:
            outcome.metadata["capped"] = True
            log.warning("%s stopped at its max_results cap; the next run continues from %s", resource.name, new_mark)
        audit.close_row(conn, row_id, "success", outcome.counts, front.sync_log_figures(), new_mark, None,
                        {**outcome.metadata, **front.sync_log_metadata()})
        conn.close()
        result = {k: int(outcome.counts[k]) for k in ("fetched", *OUTCOMES, "deleted", "restored")}
        log.info("Synced %s: %s; watermark %s -> %s", resource.name, result, watermark, new_mark)
        return {**result, "capped": outcome.capped, "watermark": None if new_mark is None else f"{new_mark:.3f}"}


class FrontSyncOperator(SyncTask):
    """Syncs a list resource (contacts, tags, inboxes, ...): by its watermark when Front can filter on it,
    otherwise (and in full mode) by a complete listing followed by deletion reconciliation."""

    def tracks_watermark(self) -> bool:
        return get_resource(self.resource).incremental  # small resources are listed in full: no cursor to keep

    def _complete_listing(self, window: Window) -> bool:
        return self.mode == "full" or not get_resource(self.resource).incremental or window.lower is None

    def sync_type(self, window: Window) -> str:
        if self._complete_listing(window):
            return "full"
        return "backfill" if window.sync_type == "backfill" else "incremental"

    def sync(self, context, conn, front, config, window, outcome) -> None:
        resource = get_resource(self.resource)
        params = dict(resource.list_params)
        complete_listing = self._complete_listing(window)
        if not complete_listing:
            params[resource.updated_after_param] = f"{window.lower:.3f}"
        if resource.updated_before_param and window.upper is not None and not complete_listing:
            params[resource.updated_before_param] = f"{window.upper:.3f}"
        cap = config.cap(resource.name)
        seen: set[str] = set()
        progress = Progress(resource.name, front)

        def batches():
            batch: list[Any] = []
            pages = 0
            for page in front.iter_pages(resource.path, params):
                pages += 1
                outcome.counts["fetched"] += len(page)
                batch.extend(page)
                seen.update(r["id"] for r in page if isinstance(r, dict) and isinstance(r.get("id"), str))
                progress.add(pages=1, records=len(page))
                capped = cap is not None and progress.records >= cap
                if pages % config.batch_pages == 0 or capped:
                    yield batch, None
                    batch = []
                if capped:
                    outcome.capped = True
                    return
            if batch:
                yield batch, None

        for result in load_batches(conn, resource, batches(), context["run_id"]):
            outcome.absorb(result, fetched=0)  # counted page by page above
        progress.report(final=True)
        if complete_listing and not outcome.capped:
            reconciled = reconcile_deletions(conn, resource, seen, context["run_id"])
            outcome.counts["deleted"] += reconciled.deleted
            outcome.counts["restored"] += reconciled.restored
        outcome.metadata["complete_listing"] = complete_listing and not outcome.capped


class ConversationChangesOperator(SyncTask):
    """Finds changed conversations (Events API, or the listing strategy), loads them, queues their children."""

    def sync(self, context, conn, front, config, window, outcome) -> None:
        cap = config.cap("conversations")
        lower = window.lower
        if config.conversation_strategy == "events":
            if lower is None:
                # No cursor yet: history is the backfill's job; read this run's own interval (or its last hour).
                start = context.get("data_interval_start")
                lower = epoch(start) if start is not None else (window.upper or Decimal(0)) - 3600
                log.warning("No conversations watermark yet: reading events from %s only; run front_sync_backfill "
                            "for older conversations", lower)
            result = conversation_changes.from_events(front, conn, context["run_id"], max(lower, Decimal(0)),
                                                      window.upper, batch_pages=config.batch_pages, cap=cap)
        else:
            result = conversation_changes.from_listing(front, conn, context["run_id"], lower,
                                                       batch_pages=config.batch_pages, cap=cap)
        outcome.absorb(result.loaded, result.fetched)
        outcome.cursor = result.cursor
        outcome.capped = result.capped
        outcome.counts["deleted"] += result.merged_away
        outcome.metadata.update(strategy=config.conversation_strategy, events=result.events,
                                merged_away=result.merged_away, queued_messages=result.queued_messages,
                                queued_comments=result.queued_comments)


class ConversationChildrenOperator(SyncTask):
    """Drains the sync_pending queue of one child resource (messages or comments) with a few parallel fetches.

    Args:
        conversation_ids: ids to queue first (the on-demand DAG); templated.
    """

    template_fields = ("resource", "conversation_ids")
    uses_watermark = False

    def __init__(self, *, conversation_ids: Any = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.conversation_ids = conversation_ids

    def sync(self, context, conn, front, config, window, outcome) -> None:
        resource = get_resource(self.resource)
        if self.conversation_ids:
            _check_conversation_ids(self.conversation_ids)
            with conn.cursor() as cur:
                pending.enqueue(cur, resource.name, list(self.conversation_ids), context["run_id"])
            conn.commit()
        result = conversation_children.drain(front, conn, resource, context["run_id"],
                                             workers=front.settings.max_workers, cap=config.cap(resource.name))
        outcome.absorb(result.loaded, result.fetched)
        outcome.capped = result.capped
        outcome.metadata.update(conversations=result.conversations, merged=result.merged, missing=result.missing,
                                still_queued=pending.count(conn, resource.name))


def _check_conversation_ids(ids: Any) -> None:
    """Refuse anything but a list of cnv_ ids before any API call (the Params form checks it too)."""
    if not isinstance(ids, list | tuple) or not all(isinstance(i, str) and CONVERSATION_ID.match(i) for i in ids):
        raise AirflowFailException(f"conversation_ids must be a list of Front conversation ids (cnv_...), got {ids!r}")


class BackfillConversationsOperator(SyncTask):
    """Loads every conversation in scope (Params after/before/inbox_ids), checkpointed per batch, and queues
    their messages and comments; a retry, or any later run of the same scope, resumes from the checkpoint
    (Param restart=true starts over)."""

    template_fields = ("resource", "scope_params")
    uses_watermark = False

    def __init__(self, *, scope_params: Any = None, **kwargs) -> None:
        super().__init__(resource=CONVERSATIONS.name, mode="backfill", **kwargs)
        self.scope_params = scope_params

    def sync(self, context, conn, front, config, window, outcome) -> None:
        scope = backfill.BackfillScope.from_params(dict(self.scope_params or {}))
        started = getattr(context["dag_run"], "run_after", None)
        if started is not None:
            # Everything before this moment is the backfill's; the incremental DAG's events take over from here.
            watermarks.initialise(Variable, CONVERSATIONS.name, epoch(started), context["run_id"], str(started))
        # Keyed by scope, not run: a retry, a cleared task or a new run of the same scope resumes unfinished work.
        key = checkpoints.CheckpointKey(context["ti"].dag_id, CONVERSATIONS.name, scope.fingerprint())
        if (self.scope_params or {}).get("restart"):
            checkpoints.clear(conn, key)
        result = backfill.run(front, conn, key, scope, context["run_id"], batch_pages=config.batch_pages)
        outcome.absorb(result.loaded, result.fetched_now)
        outcome.metadata.update(batches=result.batches, resumed=result.resumed, conversations_total=result.fetched)
        checkpoints.clear(conn, key)
