"""The real-time DAG's task: claim the stored webhooks and apply them (sync/realtime_apply.py), round by round, until
none is left; one front.sync_logs row (resource 'webhooks', sync_type 'realtime') per try."""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from contextlib import closing
from typing import Any

from airflow.sdk import BaseOperator, Variable

from front_sync.config import FRONT_CONN_ID, WAREHOUSE_CONN_ID, read_config
from front_sync.ops import audit
from front_sync.sync import logtext
from front_sync.sync.front_client import open_front_hook
from front_sync.sync.realtime_apply import RoundResult, apply_round
from front_sync.warehouse import webhook_claims
from front_sync.warehouse.connection import warehouse_connection
from front_sync.warehouse.load import OUTCOMES

log = logging.getLogger(__name__)

SYNC_LOG_RESOURCE = "webhooks"


class RealtimeApplyOperator(BaseOperator):
    """Applies Front's stored webhooks through the loader and version rule; never moves a watermark.

    Args:
        round_size: webhooks claimed per round; a burst drains in a few rounds of one run.
        round_seconds: about how long a round's fetches may take at the task's API budget (requests_per_minute):
            the records a round fetches are capped to that, the other webhooks naming one wait for the next round,
            so the previews of webhooks arriving meanwhile are committed within about that long.
        front_conn_id, warehouse_conn_id, tenant: the tenant's connections and name (from default_args).
    """

    ui_color = "#fdf2e8"

    def __init__(
        self,
        *,
        round_size: int = 500,
        round_seconds: float = 5.0,
        front_conn_id: str = FRONT_CONN_ID,
        warehouse_conn_id: str = WAREHOUSE_CONN_ID,
        tenant: str | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if round_size < 1:
            raise ValueError(f"round_size must be at least 1, got {round_size}")
        self.round_size = round_size
        if round_seconds <= 0:
            raise ValueError(f"round_seconds must be positive, got {round_seconds}")
        self.round_seconds = round_seconds
        self.front_conn_id = front_conn_id
        self.warehouse_conn_id = warehouse_conn_id
        self.tenant = tenant

    def execute(self, context) -> dict[str, Any]:
        config = read_config(Variable, self.tenant)
        ti = context["ti"]
        who = audit.RunIdentity(context["run_id"], ti.dag_id, ti.task_id, ti.try_number)
        worker = f"{who.dag_id}/{who.task_id}/{who.run_id}/{who.try_number}/{uuid.uuid4().hex[:8]}"
        budget = None if self.execution_timeout is None else 0.8 * self.execution_timeout.total_seconds()
        deadline = None if budget is None else time.monotonic() + budget
        total = RoundResult()
        with (
            open_front_hook(self.front_conn_id, self.warehouse_conn_id, shared_budget=True) as front,
            closing(warehouse_connection(self.warehouse_conn_id)) as conn,
        ):

            def closing_figures(row: audit.AuditRow) -> None:
                row.counts.update(_counts(total))
                row.api, row.metadata = front.sync_log_figures(), {**_metadata(total), **front.sync_log_metadata()}

            try:
                with audit.audited(conn, who, SYNC_LOG_RESOURCE, "realtime", before_close=closing_figures):
                    while deadline is None or time.monotonic() < deadline:
                        if not self._round(front, conn, config, who.run_id, worker, total):
                            break
            except BaseException as exc:
                error = logtext.error(f"{type(exc).__name__}: {exc}")
                log.error("Applying webhooks failed (rounds committed before it stay):\n%s", error)
                raise
        summary = {**_metadata(total), **{k: int(v) for k, v in _counts(total).items()}}
        log.info("Applied webhooks: %s", summary)
        return summary

    def max_fetches(self, requests_per_minute: float) -> int | None:
        """The records one round may fetch: about round_seconds of the task's API budget (None: no budget set)."""
        if requests_per_minute <= 0:
            return None
        return max(1, int(requests_per_minute / 60 * self.round_seconds))

    def _round(self, front, conn, config, run_id: str, worker: str, total: RoundResult) -> bool:
        """Claim one round of stored webhooks and apply it (folded into `total`); False when none was waiting."""
        claims = webhook_claims.claim(conn, self.round_size, worker=worker, lease_seconds=config.queue_lease_seconds)
        if not claims:
            return False
        try:
            part = apply_round(
                front,
                conn,
                claims,
                run_id,
                worker,
                max_attempts=config.queue_max_attempts,
                retry_after_seconds=config.queue_retry_seconds,
                workers=front.settings.max_workers,
                max_fetches=self.max_fetches(front.settings.requests_per_minute),
                read_events=total.read_events,
            )
        except BaseException:
            webhook_claims.release(conn, claims, worker)  # untried: free for the next run at once
            raise
        _add(total, part)
        return True


def _add(total: RoundResult, part: RoundResult) -> None:
    """Fold one round into the run's total."""
    total.loaded.add(part.loaded)
    total.fetched += part.fetched
    total.calls += part.calls
    total.listed += part.listed
    total.read_events = total.read_events and part.read_events
    total.missing += part.missing
    total.skipped_fetches += part.skipped_fetches
    total.queued.update(part.queued)
    total.webhooks.update(part.webhooks)


def _counts(total: RoundResult) -> Counter:
    """The sync_logs counts: records handed to the loader and their outcomes."""
    counts = Counter({k: v for k, v in total.loaded.counts.items() if k in OUTCOMES or k == "untyped"})
    counts["fetched"] = total.fetched
    return counts


def _metadata(total: RoundResult) -> dict[str, Any]:
    """What the run did with the webhooks and the API, for sync_logs.metadata and XCom (counts only)."""
    return {
        "webhooks": {k: v for k, v in total.webhooks.items() if v},
        "api_fetches": total.calls,
        "read_from_events": total.listed,
        "missing": total.missing,
        "fetches_skipped": total.skipped_fetches,
        "queued_for_hourly": dict(total.queued),
    }
