"""The receiver's writes to a tenant's warehouse: an accepted webhook (idempotent on its event id) and the refusal
counters, each in a short transaction bounded by connect and statement timeouts, so the receiver answers within
Front's 5 s even when the warehouse hangs or is down (then 503, and Front retries)."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import attrs
import psycopg
from airflow.providers.postgres.hooks.postgres import PostgresHook

from front_sync.realtime.tenants import WebhookTenant
from front_sync.warehouse.sql_files import load_sql

log = logging.getLogger(__name__)


class WarehouseUnavailable(RuntimeError):
    """The tenant's warehouse did not take the write in time (down, hanging or refusing): answer 503."""


class WarehouseStore:
    """Short transactions on a few pooled connections per warehouse, run in worker threads under a deadline."""

    def __init__(
        self,
        *,
        connect_timeout_s: int = 2,
        statement_timeout_ms: int = 3000,
        deadline_s: float = 4.0,
        max_idle: int = 4,
        threads: int = 8,
    ) -> None:
        self.connect_timeout_s = connect_timeout_s
        self.statement_timeout_ms = statement_timeout_ms
        self.deadline_s = deadline_s
        self._max_idle = max_idle
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="webhook-store")
        self._idle: dict[tuple[str, str], list[psycopg.Connection]] = {}
        self._lock = threading.Lock()

    def _connect(self, tenant: WebhookTenant) -> psycopg.Connection:
        """A new connection to the tenant's warehouse, its waits bounded (connect, statement, lock, idle)."""
        conn = tenant.warehouse
        bounded = attrs.evolve(conn, extra=json.dumps({"connect_timeout": self.connect_timeout_s, **conn.extra_dejson}))
        ms = self.statement_timeout_ms
        options = f"-c statement_timeout={ms} -c lock_timeout={ms} -c idle_in_transaction_session_timeout={2 * ms}"
        conn = PostgresHook(postgres_conn_id=tenant.warehouse_conn_id, connection=bounded, options=options).get_conn()
        if not isinstance(conn, psycopg.Connection):  # the provider gives psycopg 3 when it is installed (we pin it)
            raise TypeError(f"expected a psycopg 3 connection from PostgresHook, got {type(conn).__name__}")
        return conn

    def _transaction(self, tenant: WebhookTenant, work: Callable[[psycopg.Cursor], Any]) -> Any:
        """Run `work` in one transaction on a pooled connection (a connection that failed is closed, not reused).
        A pooled connection the server has dropped (a restart, a failover) is retried once on a new one."""
        key = (tenant.warehouse_conn_id, tenant.warehouse.get_uri())
        with self._lock:
            idle = self._idle.setdefault(key, [])
            pooled = idle.pop() if idle else None
        pg = pooled or self._connect(tenant)
        try:
            result = self._run(pg, work)
        except psycopg.OperationalError:
            lost = pg.broken  # the server dropped it; not a timeout, which a retry would only repeat
            pg.close()
            if pooled is None or not lost:
                raise
            pg = self._connect(tenant)
            try:
                result = self._run(pg, work)
            except BaseException:
                pg.close()
                raise
        except BaseException:
            pg.close()
            raise
        with self._lock:
            idle = self._idle.setdefault(key, [])
            kept = len(idle) < self._max_idle
            if kept:
                idle.append(pg)
        if not kept:
            pg.close()
        return result

    @staticmethod
    def _run(pg: psycopg.Connection, work: Callable[[psycopg.Cursor], Any]) -> Any:
        with pg.cursor() as cur:
            result = work(cur)
        pg.commit()
        return result

    async def _call(self, tenant: WebhookTenant, work: Callable[[psycopg.Cursor], Any]) -> Any:
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(
                loop.run_in_executor(self._executor, self._transaction, tenant, work), self.deadline_s
            )
        except (psycopg.Error, OSError, TimeoutError) as exc:
            # The class and SQLSTATE only: a driver message may quote a value.
            state = getattr(getattr(exc, "diag", None), "sqlstate", None) or "-"
            raise WarehouseUnavailable(f"{type(exc).__name__} (sqlstate {state})") from exc

    async def store_event(self, tenant: WebhookTenant, row: dict[str, Any]) -> bool:
        """Store an accepted webhook; True when this delivery stored it, False when its event id was already there
        (the delivery is counted). Raises WarehouseUnavailable."""

        def work(cur: psycopg.Cursor) -> bool:
            cur.execute(load_sql("webhooks/store_event"), row)
            stored = cur.fetchone()
            return bool(stored and stored[0])

        return await self._call(tenant, work)

    async def add_rejections(self, tenant: WebhookTenant, counts: dict[tuple[datetime, str], int]) -> None:
        """Add refusal counts (per minute and reason) to the tenant's front.webhook_rejections."""

        def work(cur: psycopg.Cursor) -> None:
            for (minute, reason), count in counts.items():
                cur.execute(load_sql("webhooks/count_rejections"), {"minute": minute, "reason": reason, "count": count})

        await self._call(tenant, work)

    def close(self) -> None:
        """Close the pooled connections and stop the worker threads."""
        with self._lock:
            pooled = [pg for idle in self._idle.values() for pg in idle]
            self._idle.clear()
        for pg in pooled:
            pg.close()
        self._executor.shutdown(wait=False, cancel_futures=True)


class Rejections:
    """Refused requests, counted in memory and flushed to the tenant's warehouse in the background (a flood of
    forged requests costs one write per flush, not one per request). A refusal no tenant can be named for stays a
    process counter, shown on /healthz."""

    def __init__(self) -> None:
        self.pending: dict[WebhookTenant, Counter[tuple[datetime, str]]] = {}
        self.unattributed: Counter[str] = Counter()
        self.total: Counter[str] = Counter()

    def count(self, tenant: WebhookTenant | None, reason: str) -> None:
        """Count one refusal of this reason (for this tenant's warehouse, when it is known)."""
        self.total[reason] += 1
        if tenant is None:
            self.unattributed[reason] += 1
            return
        minute = datetime.now(UTC).replace(second=0, microsecond=0)
        self.pending.setdefault(tenant, Counter())[(minute, reason)] += 1

    async def flush(self, store: WarehouseStore) -> None:
        """Write the pending counts; a warehouse that is down keeps its counts for the next flush."""
        pending, self.pending = self.pending, {}
        for tenant, counts in pending.items():
            try:
                await store.add_rejections(tenant, dict(counts))
            except WarehouseUnavailable as exc:
                log.warning(
                    "webhook receiver: cannot count rejections in tenant %s's warehouse yet: %s", tenant.label, exc
                )
                self.pending.setdefault(tenant, Counter()).update(counts)
