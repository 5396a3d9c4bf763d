"""Airflow operators: migrate the warehouse, and the sync tasks, all generic over the resource table.

Every sync task follows one shape (SyncTask.execute): read the config, plan the run from its kind and the
watermark (sync/run_plan.py), open a sync_logs row, do the work batch by batch (each batch committed), close the
row with its counts, then advance the watermark (only after commit, only forward). Only counts and cursors go to
XCom, never records.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import abstractmethod
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from airflow.sdk import Asset, BaseOperator, Variable
from airflow.sdk.exceptions import AirflowSkipException

from front_sync.config import FRONT_CONN_ID, WAREHOUSE_CONN_ID, SyncConfig, read_config
from front_sync.hooks.front import FrontHook, FrontNotFound
from front_sync.ops import audit
from front_sync.resources import get_resource
from front_sync.resources.model import Resource
from front_sync.resources.transform import latest
from front_sync.sync import logtext, watermarks
from front_sync.sync.batching import counting_after, page_batches, record_ids
from front_sync.sync.front_client import open_front_hook
from front_sync.sync.plan import not_chosen
from front_sync.sync.progress import Progress
from front_sync.sync.run_plan import RunKind, RunPlan, RunRequest, keeps_watermark, run_plan
from front_sync.warehouse import migrations
from front_sync.warehouse.connection import warehouse_connection
from front_sync.warehouse.load import OUTCOMES, BatchResult, load_batches
from front_sync.warehouse.prepare import View
from front_sync.warehouse.reconcile import database_clock, reconcile_deletions

log = logging.getLogger(__name__)


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
    """What a sync task did, filled in as it goes so a failure still reports the batches it committed.

    Pages may be counted by a reading thread while the task's thread absorbs batches: both go through a lock.
    `on_cursor` (set by the task) advances the watermark after every committed batch.
    """

    counts: Counter = field(default_factory=Counter)
    cursor: Decimal | None = None
    capped: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)
    on_cursor: Callable[[Decimal], Any] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count_fetched(self, records: int) -> None:
        """Count records read from Front (from any thread)."""
        with self._lock:
            self.counts["fetched"] += records

    def absorb(self, batch: BatchResult, fetched: int, *, cursor: bool = True) -> None:
        """Add a committed batch: its records fetched, their outcomes, and (unless `cursor` is False, for flows
        whose cursor is not the records' own timestamp) its largest cursor."""
        with self._lock:
            self.counts["fetched"] += fetched
            self.counts.update({k: v for k, v in batch.counts.items() if k in OUTCOMES or k == "untyped"})
            for key, value in batch.counts.items():  # e.g. provisional contacts merged into real ones
                if key not in OUTCOMES and key != "untyped" and value:
                    self.metadata[key] = self.metadata.get(key, 0) + value
        if cursor:
            self.move_cursor(batch.max_cursor)

    def move_cursor(self, candidate: Decimal | None) -> None:
        """Committed work reached `candidate`: keep the largest, and let the task advance its watermark."""
        self.cursor = latest(self.cursor, candidate)
        if self.on_cursor is not None and self.cursor is not None:
            self.on_cursor(self.cursor)


class SyncTask(BaseOperator):
    """Base of every sync task: config, run plan, audit row, watermark; subclasses implement `sync`.

    Args:
        resource: the resource (front_sync.resources) the task writes; names its watermark and sync_logs rows.
        kind: the kind of run (RunKind, or its value): what the task reads, logs, queues and advances follows from
            it (sync/run_plan.py).
        front_conn_id: the Front connection (type ``front``).
        warehouse_conn_id: the PostgreSQL connection of the warehouse.
        tenant: the Front company's name in a multi-tenant deployment (its watermarks are
            front_sync.<tenant>.watermark.<resource>, its config override front_sync.<tenant>.config); None for
            the single default.
    """

    template_fields: Sequence[str] = ("resource",)
    ui_color = "#e8f4fd"

    def __init__(
        self,
        *,
        resource: str,
        kind: RunKind | str = RunKind.INCREMENTAL,
        front_conn_id: str = FRONT_CONN_ID,
        warehouse_conn_id: str = WAREHOUSE_CONN_ID,
        tenant: str | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if kind not in set(RunKind):
            raise ValueError(f"kind must be one of {', '.join(RunKind)}, got {kind!r}")
        self.resource = resource
        self.kind = RunKind(kind)
        self.front_conn_id = front_conn_id
        self.warehouse_conn_id = warehouse_conn_id
        self.tenant = tenant

    def plan(self, context, resource: Resource, config: SyncConfig) -> RunPlan:
        """This task's run plan: its kind, the run's request and (when the resource keeps one) its watermark."""
        stored = watermarks.read(Variable, resource.name, self.tenant) if keeps_watermark(resource) else None
        return run_plan(self.kind, resource, RunRequest.of(context), stored, config)

    @abstractmethod
    def sync(self, context, conn, front: FrontHook, config: SyncConfig, plan: RunPlan, outcome: Outcome) -> None:
        """Do the task's work, committing batch by batch and recording it in `outcome`."""

    def identity(self, context) -> audit.RunIdentity:
        """The task try, as sync_logs and watermark_changes name it."""
        ti = context["ti"]
        return audit.RunIdentity(context["run_id"], ti.dag_id, ti.task_id, ti.try_number)

    def watermark_recorder(self, context, conn, resource: str, reason: str) -> Callable[[Any, Decimal], None]:
        """A callback that writes one front.watermark_changes row per change of the resource's watermark."""
        who = self.identity(context)
        return lambda before, after: audit.record_watermark(conn, who, resource, before, after, reason)

    def execute(self, context) -> dict[str, Any]:
        left_out = not_chosen(self.resource, context.get("params"))
        if left_out:
            raise AirflowSkipException(left_out)
        resource = get_resource(self.resource)
        config = read_config(Variable, self.tenant)
        plan = self.plan(context, resource, config)
        # The rate budget lives in the warehouse: one per Front company for every task and worker.
        with (
            open_front_hook(self.front_conn_id, self.warehouse_conn_id, shared_budget=True) as front,
            closing(warehouse_connection(self.warehouse_conn_id)) as conn,
        ):
            reason = listed_recently(conn, resource, plan)
            if reason:
                log.info("Skipping %s: %s", resource.name, reason)
                raise AirflowSkipException(reason)
            return self._run(context, conn, front, resource, config, plan)

    def _run(self, context, conn, front: FrontHook, resource, config: SyncConfig, plan: RunPlan) -> dict[str, Any]:
        """The audit row around the work: opened first, closed with the counts (also when the work fails)."""
        outcome = Outcome()
        window, watermark = plan.window, plan.watermark
        log.info(
            "Syncing %s (%s): window %s, watermark %s",
            resource.name,
            plan.sync_type,
            logtext.window(window.lower, window.upper),
            logtext.stamp(watermark),
        )
        stored = {"mark": watermark}
        if plan.advances_watermark:
            outcome.on_cursor = self._watermark_advancer(context, conn, resource.name, plan, stored)

        def closing(row: audit.AuditRow) -> None:
            row.api, row.watermark_after = front.sync_log_figures(), stored["mark"]
            row.metadata = {**outcome.metadata, **front.sync_log_metadata()}

        try:
            with audit.audited(
                conn,
                self.identity(context),
                resource.name,
                plan.sync_type,
                window.lower,
                window.upper,
                watermark,
                counts=outcome.counts,
                before_close=closing,
            ):
                self.sync(context, conn, front, config, plan, outcome)
                outcome.move_cursor(None)
                if outcome.capped:
                    outcome.metadata["capped"] = True
                    log.warning(
                        "%s stopped at its max_results cap; the next run continues from %s",
                        resource.name,
                        logtext.stamp(stored["mark"]),
                    )
        except BaseException as exc:
            log.error(
                "Sync of %s failed (batches committed before it stay; watermark %s):\n%s",
                resource.name,
                logtext.stamp(stored["mark"]),
                logtext.error(f"{type(exc).__name__}: {exc}"),
            )
            raise
        return self._summarize(context, resource.name, plan, outcome, watermark, stored["mark"])

    def _watermark_advancer(self, context, conn, name: str, plan: RunPlan, stored: dict[str, Any]):
        """The callback that moves the watermark after every committed batch: only forward, only over time this
        run read (the window's lower bound); `stored["mark"]` follows it."""
        record = self.watermark_recorder(context, conn, name, "advanced")
        advanced_at = str(getattr(context["dag_run"], "run_after", ""))

        def advance(candidate: Decimal) -> None:
            if stored["mark"] is None or candidate > stored["mark"]:
                stored["mark"] = watermarks.advance(
                    Variable,
                    name,
                    candidate,
                    context["run_id"],
                    advanced_at,
                    read_from=plan.window.lower,
                    on_change=record,
                    tenant=self.tenant,
                )

        return advance

    def _summarize(self, context, name: str, plan: RunPlan, outcome: Outcome, before, after) -> dict[str, Any]:
        """Log the run's counts and watermark move, put them on the task's Asset events, return them (XCom)."""
        result = {k: int(outcome.counts[k]) for k in ("fetched", *OUTCOMES, "deleted", "restored")}
        log.info("Synced %s: %s; watermark %s -> %s", name, result, logtext.stamp(before), logtext.stamp(after))
        summary = {**result, "capped": outcome.capped, "watermark": None if after is None else f"{after:.3f}"}
        self.describe_asset_events(context, {**summary, "sync_type": plan.sync_type})
        return summary

    def describe_asset_events(self, context, summary: dict[str, Any]) -> None:
        """Put the run's counts and watermark on the event of every Asset this task declares as an outlet, so a
        DAG scheduled on front_sync.<resource> (or the Assets view) sees what changed without reading sync_logs."""
        events = context.get("outlet_events")
        if events is None:
            return
        for outlet in self.outlets or ():
            if isinstance(outlet, Asset):
                events[outlet].extra = {**summary, "run_id": context["run_id"]}

    def deadline(self) -> float | None:
        """time.monotonic() by which a long drain should stop on its own: 80 % of the task's execution_timeout."""
        if self.execution_timeout is None:
            return None
        return time.monotonic() + 0.8 * self.execution_timeout.total_seconds()


class FrontSyncOperator(SyncTask):
    """Syncs a list resource (contacts, tags, inboxes, ...): by its watermark when Front can filter on it,
    otherwise (and in full runs) by a complete listing followed by deletion reconciliation."""

    def sync(self, context, conn, front, config, plan, outcome) -> None:
        resource = get_resource(self.resource)
        params = dict(resource.list_params)
        window, complete_listing = plan.window, plan.complete_listing
        if not complete_listing and resource.updated_after_param:  # an incremental resource: listed since lower
            params[resource.updated_after_param] = f"{window.lower:.3f}"
        if resource.updated_before_param and window.upper is not None and not complete_listing:
            params[resource.updated_before_param] = f"{window.upper:.3f}"
        cap = config.cap(resource.name)
        seen: set[str] = set()
        progress = Progress(resource.name, front)
        listing_started = database_clock(conn)
        view = View.requested_now()  # the listing's request start: the view of records without updated_at

        def batches():
            # The overlap below the watermark is re-read but does not use up the cap: a capped run moves on.
            since = None if complete_listing else window.lower + config.overlap_seconds
            for batch in page_batches(
                _listed_pages(front, resource, params),
                config.batch_pages,
                cap=cap,
                count=counting_after(since, resource.cursor_column or "updated_at"),
            ):
                records = [record for page in batch.pages for record in page]
                outcome.count_fetched(len(records))
                seen.update(record_ids(records))
                progress.add(pages=len(batch.pages), records=len(records))
                outcome.capped = batch.capped
                yield records, None

        for result in load_batches(conn, resource, batches(), context["run_id"], view=view):
            outcome.absorb(result, fetched=0)  # counted page by page above
        progress.report(final=True)
        if complete_listing and not outcome.capped:
            reconciled = reconcile_deletions(
                conn, resource, seen, context["run_id"], listing_started=listing_started, view_at=view.at
            )
            outcome.counts["deleted"] += reconciled.deleted
            outcome.counts["restored"] += reconciled.restored
        outcome.metadata["complete_listing"] = complete_listing and not outcome.capped


def listed_recently(conn, resource: Resource, plan: RunPlan) -> str | None:
    """Why the run may leave the resource alone (no API call, no sync_logs row): a small resource in the hourly
    run, listed in full within directory_refresh_minutes (plan.fresh_listing_minutes); else None."""
    if not plan.fresh_listing_minutes:
        return None
    age = audit.last_listing_age(conn, resource.name)
    if age is None or age >= 60 * plan.fresh_listing_minutes:
        return None
    return (
        f"listed in full {age / 60:.0f} min ago, under directory_refresh_minutes="
        f"{plan.fresh_listing_minutes}; the nightly full DAG always lists it"
    )


def _listed_pages(front: FrontHook, resource, params: dict[str, Any]):
    """The resource's pages; an optional resource whose first page is a 404 (a feature the company lacks) has none."""
    pages = front.iter_pages(resource.path, params)
    try:
        first = next(pages, None)
    except FrontNotFound:
        if not resource.optional:
            raise
        log.info("%s: Front answers 404 (a feature this company does not have): nothing to sync", resource.name)
        return
    if first is not None:
        yield first
        yield from pages
