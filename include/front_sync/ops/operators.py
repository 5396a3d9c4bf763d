"""Airflow operators of the operations DAGs: the monitor's checks, the retention purge, the dead-letter replay.

Each opens its own warehouse connection (the sync's session: front_sync.writer = on) and reads front_sync.config
in execute(). `now` is the run's time (run_after: when it was due or triggered), never the wall clock.
"""

from __future__ import annotations

import logging
from contextlib import closing
from datetime import datetime
from typing import Any

from airflow.sdk import BaseOperator, Variable

from front_sync.config import WAREHOUSE_CONN_ID, SyncConfig, read_config
from front_sync.ops import audit, drift_report, monitor, replay, retention
from front_sync.warehouse.connection import warehouse_connection

log = logging.getLogger(__name__)


def run_time(context) -> datetime:
    """The moment a run stands for: when it was due to run (a manual run: when it was triggered)."""
    run_after = getattr(context["dag_run"], "run_after", None)
    return run_after if run_after is not None else context["data_interval_end"]


def identity(context) -> audit.RunIdentity:
    """The task try, as sync_logs names it."""
    ti = context["ti"]
    return audit.RunIdentity(context["run_id"], ti.dag_id, ti.task_id, ti.try_number)


class _WarehouseTask(BaseOperator):
    """Base: the warehouse connection id, the tenant (None: the single default) and its config."""

    def __init__(self, *, warehouse_conn_id: str = WAREHOUSE_CONN_ID, tenant: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.warehouse_conn_id = warehouse_conn_id
        self.tenant = tenant

    def config(self) -> SyncConfig:
        """front_sync.config with the tenant's override, read at run time."""
        return read_config(Variable, self.tenant)


class MonitorOperator(_WarehouseTask):
    """Runs every monitor check (front_sync.ops.monitor) and sends what is new; returns the keys found and sent."""

    ui_color = "#fdf2e8"

    def execute(self, context) -> dict[str, Any]:
        config = self.config()
        with closing(warehouse_connection(self.warehouse_conn_id)) as conn:
            result = monitor.run_checks(conn, config, run_time(context), self.tenant)
        return {"found": [f.key for f in result.findings], "sent": result.sent, "cleared": result.cleared}


class MissingConversationsCheck(_WarehouseTask):
    """Fails the run, once and plainly, when conversations it was asked for do not exist in Front (a 404 for a
    well-formed id): the sync task itself succeeds (nothing to load), so without this the run would end green
    with the 404 only in its log."""

    ui_color = "#fdf2e8"

    def execute(self, context) -> None:
        from airflow.sdk.exceptions import AirflowFailException

        from front_sync.warehouse.sql_files import load_sql

        with closing(warehouse_connection(self.warehouse_conn_id)) as conn, conn.cursor() as cur:
            cur.execute(load_sql("ops/run_missing"), {"run_id": context["run_id"], "dag_id": context["ti"].dag_id})
            missing = cur.fetchall()
        if missing:
            what = "; ".join(f"{resource}: {n} of {asked} conversation(s)" for resource, n, asked in missing)
            raise AirflowFailException(
                f"Not found in Front ({what}): Front answered 404 for these conversation ids. Check the ids "
                "(a conversation merged or deleted in Front has a new id or none); the others were synced."
            )
        log.info("Every conversation asked for was found in Front")


class RetentionOperator(_WarehouseTask):
    """Purges message bodies and attachment metadata older than retention_days (at most once a day)."""

    ui_color = "#f0e8fd"

    def execute(self, context) -> dict[str, Any]:
        config = self.config()
        with closing(warehouse_connection(self.warehouse_conn_id)) as conn:
            done = retention.purge(conn, identity(context), config.retention_days, run_time(context))
        return {"messages": done.messages, "attachments": done.attachments, "skipped": done.skipped}


class ReplayDeadLettersOperator(_WarehouseTask):
    """Loads dead letters again through the normal loader; templated `resource` and `error_contains`.

    Args:
        resource: only this resource's dead letters (empty: all).
        error_contains: only dead letters whose error contains this text, any case (empty: all).
    """

    template_fields = ("resource", "error_contains")
    appliers: dict[str, replay.Applier] = {}  # names outside the resource table (the sync layer's subclass adds)

    def __init__(self, *, resource: str | None = None, error_contains: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.resource = resource
        self.error_contains = error_contains

    def execute(self, context) -> dict[str, Any]:
        with closing(warehouse_connection(self.warehouse_conn_id)) as conn:
            done = replay.replay(
                conn, identity(context), self.resource or None, self.error_contains or None, appliers=self.appliers
            )
        return {
            "replayed": dict(done.replayed),
            "failed_again": dict(done.failed_again),
            "requeued": dict(done.requeued),
            "unknown": dict(done.unknown),
        }


class ReportSchemaDriftOperator(_WarehouseTask):
    """Sends the schema drift the syncs noted (front.schema_drift) that is not reported yet: each field once."""

    ui_color = "#fdf2e8"

    def execute(self, context) -> dict[str, Any]:
        with closing(warehouse_connection(self.warehouse_conn_id)) as conn:
            sent = drift_report.report(conn, self.config(), self.tenant)
        return {"reported": [f"{d.resource}:{d.kind}:{d.field_path}" for d in sent]}
