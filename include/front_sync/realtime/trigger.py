"""Airflow-native wake-up of the real-time DAG: an AssetWatcher whose trigger fires when webhooks are stored.

WebhookTrigger runs in the triggerer: it LISTENs on the warehouse's front_sync_webhooks channel (migration 041
notifies on every stored webhook) and also polls for unapplied rows at start and every `poll_seconds` (a missed
NOTIFY, a lost connection, a run that failed). It fires one TriggerEvent when stored webhooks are pending that it has
not signalled yet (it remembers the newest id signalled), after letting a burst settle, so a burst wakes few runs.
Each event is an event of the tenant's Asset front_sync_webhooks[__tenant], on which the real-time DAG is scheduled.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import psycopg
from airflow.sdk import Asset, AssetWatcher
from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from front_sync.config import WAREHOUSE_CONN_ID, Tenant
from front_sync.warehouse.sql_files import load_sql

log = logging.getLogger(__name__)

CHANNEL = "front_sync_webhooks"  # migration 041's pg_notify channel
ASSET_NAME = "front_sync_webhooks"
APPLICATION_NAME = "front_sync_webhook_watcher"  # its session in pg_stat_activity
_LIBPQ_EXTRAS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "application_name", "options")
_RECONNECT_SECONDS = (1, 2, 5, 10, 30)


@dataclass
class Signals:
    """When to fire: pending webhooks newer than the newest signalled, or (a failed run, a missed NOTIFY) pending
    ones still there `resignal_seconds` after the last signal. Pure, so its rules are tested without a database."""

    resignal_seconds: float
    signalled: int | None = None
    last_signal: float | None = None

    def should_fire(self, newest_pending: int | None, now: float) -> bool:
        """Whether to fire now, given the newest unapplied webhook's id (None: nothing pending)."""
        if newest_pending is None:
            return False
        if self.signalled is None or newest_pending > self.signalled:
            return True
        return self.last_signal is None or now - self.last_signal >= self.resignal_seconds

    def fired(self, newest_pending: int, now: float) -> None:
        """Remember a signal."""
        self.signalled = max(newest_pending, self.signalled or newest_pending)
        self.last_signal = now


class WebhookTrigger(BaseEventTrigger):
    """Fires when the tenant's warehouse holds stored webhooks not yet signalled (LISTEN/NOTIFY plus a poll).

    Args:
        warehouse_conn_id: the tenant's warehouse connection (read in the triggerer).
        poll_seconds: the poll fallback's period (and the longest a missed NOTIFY can go unseen).
        settle_seconds: after a wake-up, how long to let a burst of inserts go on before firing once for all.
        resignal_seconds: fire again for webhooks still pending this long after the last signal (a failed run).
    """

    def __init__(
        self,
        warehouse_conn_id: str = WAREHOUSE_CONN_ID,
        poll_seconds: float = 30.0,
        settle_seconds: float = 0.5,
        resignal_seconds: float = 300.0,
    ) -> None:
        super().__init__()
        self.warehouse_conn_id = warehouse_conn_id
        self.poll_seconds = float(poll_seconds)
        self.settle_seconds = float(settle_seconds)
        self.resignal_seconds = float(resignal_seconds)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "warehouse_conn_id": self.warehouse_conn_id,
                "poll_seconds": self.poll_seconds,
                "settle_seconds": self.settle_seconds,
                "resignal_seconds": self.resignal_seconds,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        signals = Signals(self.resignal_seconds)
        failures = 0
        while True:
            try:
                async for event in self._listen(signals):
                    failures = 0
                    yield event
            except (OSError, psycopg.Error) as exc:
                wait = _RECONNECT_SECONDS[min(failures, len(_RECONNECT_SECONDS) - 1)]
                failures += 1
                log.warning(
                    "front_sync webhooks watcher: warehouse %s unreachable or dropped (%s); reconnecting in %d s",
                    self.warehouse_conn_id,
                    type(exc).__name__,
                    wait,
                )
                await asyncio.sleep(wait)

    async def _listen(self, signals: Signals) -> AsyncIterator[TriggerEvent]:
        """One connection's life: LISTEN, then check for pending webhooks at start, on each NOTIFY and each poll."""
        async with await psycopg.AsyncConnection.connect(await self._conninfo(), autocommit=True) as conn:
            await conn.execute(f"LISTEN {CHANNEL}")
            log.info(
                "front_sync webhooks watcher: listening on %s (poll every %.0f s)",
                self.warehouse_conn_id,
                self.poll_seconds,
            )
            while True:
                newest = await _newest_pending(conn)
                now = time.monotonic()
                if newest is not None and signals.should_fire(newest, now):
                    signals.fired(newest, now)
                    yield TriggerEvent({"newest_webhook_id": newest, "warehouse_conn_id": self.warehouse_conn_id})
                woke = await _wait_for_notify(conn, self.poll_seconds)
                if woke and self.settle_seconds > 0:
                    await asyncio.sleep(self.settle_seconds)  # let a burst go on: one signal for all of it
                    await _drain_notifies(conn)

    async def _conninfo(self) -> str:
        """libpq parameters of the warehouse connection (never logged: it holds the password)."""
        from airflow.sdk import BaseHook
        from psycopg.conninfo import make_conninfo

        connection = await BaseHook.aget_connection(self.warehouse_conn_id)
        extra = await connection.aextra_dejson()
        params = {
            "host": connection.host,
            "port": connection.port,
            "user": connection.login,
            "password": connection.password,
            "dbname": connection.schema,
            "application_name": APPLICATION_NAME,
            **{k: extra[k] for k in _LIBPQ_EXTRAS if k in extra},
        }
        return make_conninfo(**{k: v for k, v in params.items() if v not in (None, "")})


async def _newest_pending(conn) -> int | None:
    cursor = await conn.execute(load_sql("webhooks/pending_since"))
    return (await cursor.fetchone())[0]


async def _wait_for_notify(conn, timeout: float) -> bool:
    """Wait for one NOTIFY on the channel, up to `timeout` seconds; True if one came."""
    async for _ in conn.notifies(timeout=timeout, stop_after=1):
        return True
    return False


async def _drain_notifies(conn) -> None:
    """Take the NOTIFYs that arrived meanwhile (each stored webhook sends one), so they wake nothing more."""
    async for _ in conn.notifies(timeout=0.01):
        pass


def webhook_asset(tenant: Tenant, **trigger_kwargs: Any) -> Asset:
    """The tenant's Asset front_sync_webhooks[__tenant], watched by a WebhookTrigger on its warehouse."""
    name = tenant.dag_id(ASSET_NAME)
    trigger = WebhookTrigger(warehouse_conn_id=tenant.warehouse_conn_id, **trigger_kwargs)
    return Asset(name, watchers=[AssetWatcher(name=f"{name}_watcher", trigger=trigger)])
