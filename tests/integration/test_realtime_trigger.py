"""Issue 21 "Airflow-native wake-up": the real-time DAG's WebhookTrigger against a real PostgreSQL, run in asyncio as
the triggerer runs it: it wakes within about a second of a stored webhook (NOTIFY), through its poll when the NOTIFY
is missed, once for a burst, and again for webhooks still pending after a failed run."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

import psycopg
import pytest

from front_sync.realtime.trigger import APPLICATION_NAME, WebhookTrigger

pytestmark = pytest.mark.integration


def store(url: str, count: int = 1, *, notify: bool = True, prefix: str = "evt_t") -> None:
    """Insert `count` webhooks as the receiver does (one transaction each); without the NOTIFY when asked."""
    with psycopg.connect(url, autocommit=True) as conn:
        if not notify:
            conn.execute("ALTER TABLE front.webhook_events DISABLE TRIGGER webhook_events_notify")
        for _ in range(count):
            event_id = f"{prefix}{time.monotonic_ns()}"
            conn.execute(
                "INSERT INTO front.webhook_events (event_id, company_id, event_type, sent_at, payload) "
                "VALUES (%s, 'cmp_t', 'tag', now(), %s)",
                (event_id, json.dumps({"id": event_id})),
            )
        if not notify:
            conn.execute("ALTER TABLE front.webhook_events ENABLE TRIGGER webhook_events_notify")


class Watch:
    """A running trigger: its events are awaited one by one, each within a deadline."""

    def __init__(self, trigger: WebhookTrigger) -> None:
        self.stream = trigger.run()
        self.pending: asyncio.Task | None = None

    async def next(self, timeout: float):
        if self.pending is None:
            self.pending = asyncio.ensure_future(self.stream.__anext__())
        done, _ = await asyncio.wait({self.pending}, timeout=timeout)
        if not done:
            return None
        event, self.pending = self.pending.result(), None
        return event

    async def close(self) -> None:
        if self.pending is not None:
            self.pending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.pending
        await self.stream.aclose()


def test_wakes_within_a_second_of_a_stored_webhook_and_once_for_a_burst(migrated):
    async def scenario():
        watch = Watch(WebhookTrigger("front_warehouse", poll_seconds=30, settle_seconds=0.3))
        try:
            assert await watch.next(1.0) is None  # nothing stored: no wake-up
            started = time.monotonic()
            await asyncio.to_thread(store, migrated)
            event = await watch.next(3.0)
            woke = time.monotonic() - started
            assert event is not None and woke < 1.5, woke
            assert event.payload["newest_webhook_id"] >= 1
            # A burst of 40 inserts while nothing is applied: one event for all of them (the poll is 30 s away).
            await asyncio.to_thread(store, migrated, 40)
            first = await watch.next(3.0)
            assert first is not None
            assert await watch.next(1.5) is None
            return first.payload["newest_webhook_id"]
        finally:
            await watch.close()

    assert asyncio.run(scenario()) == 41


def test_the_poll_finds_webhooks_whose_notify_was_missed_and_pending_ones_at_start(migrated):
    store(migrated, notify=False)  # stored before the watcher started: found by its first look

    async def scenario():
        watch = Watch(WebhookTrigger("front_warehouse", poll_seconds=1.0, settle_seconds=0.1))
        try:
            assert (await watch.next(2.0)) is not None
            await asyncio.to_thread(store, migrated, 1, notify=False)  # no NOTIFY: only the 1 s poll sees it
            started = time.monotonic()
            event = await watch.next(4.0)
            assert event is not None and time.monotonic() - started <= 2.5
            assert event.payload["newest_webhook_id"] == 2
        finally:
            await watch.close()

    asyncio.run(scenario())


def test_without_the_poll_a_missed_notify_is_not_seen_so_the_poll_is_what_finds_it(migrated):
    async def scenario():
        watch = Watch(WebhookTrigger("front_warehouse", poll_seconds=30, settle_seconds=0.1))
        try:
            assert await watch.next(1.0) is None
            await asyncio.to_thread(store, migrated, 1, notify=False)
            assert await watch.next(1.5) is None
        finally:
            await watch.close()

    asyncio.run(scenario())


def test_webhooks_still_pending_after_a_failed_run_are_signalled_again(migrated):
    async def scenario():
        watch = Watch(WebhookTrigger("front_warehouse", poll_seconds=0.5, settle_seconds=0.1, resignal_seconds=1.5))
        try:
            await asyncio.to_thread(store, migrated)
            assert await watch.next(2.0) is not None
            again = await watch.next(3.0)  # nothing applied it: woken again after resignal_seconds
            assert again is not None and again.payload["newest_webhook_id"] == 1
        finally:
            await watch.close()

    asyncio.run(scenario())


def test_a_dropped_connection_is_reconnected_with_a_log_line_and_wakes_again(migrated, caplog):
    async def scenario():
        watch = Watch(WebhookTrigger("front_warehouse", poll_seconds=30, settle_seconds=0.1))
        try:
            assert await watch.next(1.0) is None  # listening
            await asyncio.to_thread(terminate_listeners, migrated)
            await asyncio.to_thread(store, migrated)  # stored while the watcher reconnects: its first look finds it
            event = await watch.next(5.0)
            assert event is not None and event.payload["newest_webhook_id"] == 1
        finally:
            await watch.close()

    caplog.set_level("WARNING", logger="front_sync.realtime.trigger")
    asyncio.run(scenario())
    assert any("reconnecting" in r.getMessage() for r in caplog.records)


def terminate_listeners(url: str) -> None:
    """Kill the watcher's session, as a database restart or a network cut would."""
    with psycopg.connect(url, autocommit=True) as conn:
        killed = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s "
            "AND datname = current_database()",
            (APPLICATION_NAME,),
        ).fetchall()
    assert killed == [(True,)]
