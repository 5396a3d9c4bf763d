"""Generic Airflow operators: migrate the warehouse, and sync any resource of the resource table."""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any

from airflow.sdk import BaseOperator, Variable

from front_sync import audit, migrations, watermarks
from front_sync.config import CONFIG_VARIABLE, FRONT_CONN_ID, WAREHOUSE_CONN_ID, SyncConfig
from front_sync.hooks.front import FrontHook
from front_sync.load import OUTCOMES, BatchResult, load_batch
from front_sync.resources import get_resource
from front_sync.warehouse import warehouse_connection
from front_sync.window import sync_window

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


class FrontSyncOperator(BaseOperator):
    """Syncs one resource of the resource table from Front into the warehouse.

    Streams pages from Front, loads each batch in one transaction, writes one sync_logs row, then advances the
    resource's watermark Variable (only after commit, only forward). Returns counts only (never data) as XCom.

    Args:
        resource: name of a resource in front_sync.resources.RESOURCES.
        front_conn_id: the Front connection (type ``front``).
        warehouse_conn_id: the PostgreSQL connection of the warehouse.
    """

    template_fields = ("resource",)
    ui_color = "#e8f4fd"

    def __init__(self, *, resource: str, front_conn_id: str = FRONT_CONN_ID,
                 warehouse_conn_id: str = WAREHOUSE_CONN_ID, **kwargs) -> None:
        super().__init__(**kwargs)
        self.resource = resource
        self.front_conn_id = front_conn_id
        self.warehouse_conn_id = warehouse_conn_id

    def execute(self, context) -> dict[str, Any]:
        resource = get_resource(self.resource)
        config = SyncConfig.from_json(Variable.get(CONFIG_VARIABLE, default=None))
        watermark = watermarks.read(Variable, resource.name) if resource.incremental else None
        dag_run = context["dag_run"]
        window = sync_window(
            run_type=dag_run.run_type,
            interval_start=context.get("data_interval_start"),
            interval_end=context.get("data_interval_end"),
            run_after=getattr(dag_run, "run_after", None),
            watermark=watermark,
            overlap_seconds=config.overlap_seconds,
        )
        ti = context["ti"]
        who = audit.RunIdentity(context["run_id"], ti.dag_id, ti.task_id, ti.try_number)
        params = dict(resource.list_params)
        if resource.incremental and window.lower is not None:
            params[resource.updated_after_param] = f"{window.lower:.3f}"
        if resource.updated_before_param and window.upper is not None:
            params[resource.updated_before_param] = f"{window.upper:.3f}"
        log.info("Syncing %s (%s): window (%s, %s), watermark %s", resource.name, window.sync_type,
                 window.lower, window.upper, watermark)

        front = FrontHook(front_conn_id=self.front_conn_id)
        conn = warehouse_connection(self.warehouse_conn_id)
        row_id = audit.open_row(conn, who, resource.name, window.sync_type, window.lower, window.upper, watermark)
        total = BatchResult()
        fetched = 0
        started = time.monotonic()
        pages = 0
        try:
            batch: list[Any] = []
            for page in front.iter_pages(resource.path, params):
                pages += 1
                fetched += len(page)
                batch.extend(page)
                if pages % config.batch_pages == 0:
                    total.add(load_batch(conn, resource, batch, context["run_id"]))
                    batch = []
                    _log_progress(resource.name, pages, fetched, started, front)
            if batch:
                total.add(load_batch(conn, resource, batch, context["run_id"]))
            _log_progress(resource.name, pages, fetched, started, front)
            counts = Counter({k: total.counts.get(k, 0) for k in OUTCOMES}, fetched=fetched)
            new_mark = watermark
            if resource.incremental:
                new_mark = watermarks.advance(Variable, resource.name, total.max_cursor, context["run_id"],
                                              str(getattr(dag_run, "run_after", "")))
        except BaseException as exc:
            counts = Counter({k: total.counts.get(k, 0) for k in OUTCOMES}, fetched=fetched)
            audit.close_row(conn, row_id, "failed", counts, _api_figures(front), watermark,
                            f"{type(exc).__name__}: {exc}", {"pages": pages})
            conn.close()
            raise
        audit.close_row(conn, row_id, "success", counts, _api_figures(front), new_mark, None,
                        {"pages": pages, "seconds": round(time.monotonic() - started, 3)})
        conn.close()
        result = {k: int(counts[k]) for k in ("fetched", *OUTCOMES)}
        log.info("Synced %s: %s; watermark %s -> %s", resource.name, result, watermark, new_mark)
        return {**result, "watermark": None if new_mark is None else f"{new_mark:.3f}"}


def _api_figures(front: FrontHook) -> dict[str, Any]:
    return {"api_calls": front.metrics.calls, "bytes_received": front.metrics.bytes}


def _log_progress(name: str, pages: int, fetched: int, started: float, front: FrontHook) -> None:
    elapsed = max(time.monotonic() - started, 1e-6)
    log.info("%s: %d pages, %d records, %.0f records/s, %d API calls", name, pages, fetched, fetched / elapsed,
             front.metrics.calls)
