"""The children queue under concurrency and failure (issue 19 items 5, 6 and 9).

Real PostgreSQL, real HTTP against the simulator, the real drain. Interleavings are forced by a FrontHook whose
listings call back when their last page has been read (the moment between a fetch and its load), never by
sleeps: waits are on conditions read from the warehouse.
"""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from front_sync.hooks.front import FrontHook
from front_sync.resources import COMMENTS, MESSAGES
from front_sync.sync.sub_resources import drain
from front_sync.warehouse import pending
from front_sync.warehouse.load import load_batch
from front_sync_testing.truth import assert_matches_truth, query, small_account

from .queueing import drain_settings as settings
from .queueing import queue

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server

SMALL = small_account(contacts=6, teammates=2, inboxes=1, channels=1, tags=2)


class AfterFetchHook(FrontHook):
    """The real hook; `after(path)` runs once a listing's last page has been read, before the drain loads it."""

    def __init__(self, after, **kwargs) -> None:
        super().__init__(**kwargs)
        self.after = after

    def iter_pages(self, path, params=None):
        yield from super().iter_pages(path, params)
        self.after(path)


def conversations(simulator) -> list[str]:
    return sorted(c["id"] for c in simulator.truth("conversations")["_results"])


def comments_of(simulator, conversation_id) -> list[dict]:
    return [
        c
        for c in simulator.truth("comments")["_results"]
        if c["_links"]["related"]["conversation"].endswith("/" + conversation_id)
    ]


def live_comments(url, conversation_id) -> set[str]:
    rows = query(
        url, "SELECT id FROM front.comments WHERE conversation_id = %s AND deleted_at IS NULL", (conversation_id,)
    )
    return {r["id"] for r in rows}


def first_load(simulator, url, resource, ids) -> None:
    queue(url, resource.name, ids)
    assert drain(FrontHook(), psycopg.connect(url), resource, "r0", settings()).failed == 0


def test_item5_a_complete_fetch_never_soft_deletes_a_child_the_events_path_wrote_after_it(
    simulator, connect_front, migrated
):
    """Issue 19 item 5: a comment created in Front after the fetch read its last page, and loaded meanwhile by the
    events path, is not among the fetched ids; the fetch must not soft-delete it (it holds a newer view)."""
    simulator.reset(seed=51, sizes=SMALL)
    connect_front()
    target = conversations(simulator)[0]
    first_load(simulator, migrated, COMMENTS, [target])
    before = {c["id"] for c in comments_of(simulator, target)}

    def events_path_writes(path):
        simulator.mutate("add_comments", ids=[target])
        new = [c for c in comments_of(simulator, target) if c["id"] not in before]
        assert len(new) == 1
        with psycopg.connect(migrated) as conn:
            assert load_batch(conn, COMMENTS, new, "events_run").counts.get("created") == 1

    queue(migrated, "comments", [target])
    result = drain(AfterFetchHook(events_path_writes), psycopg.connect(migrated), COMMENTS, "r1", settings())
    assert result.conversations == 1 and result.records_deleted == 0
    assert live_comments(migrated, target) == {c["id"] for c in comments_of(simulator, target)}


def test_item5_a_consumer_whose_lease_was_lost_neither_finishes_nor_soft_deletes(simulator, connect_front, migrated):
    """Issue 19 item 5: consumer A stalls past its lease, B takes the conversation over and is still working it
    when A finishes its fetch. A must not delete B's queue row (B's failure would then lose the request) nor
    soft-delete the comment A did not see."""
    simulator.reset(seed=52, sizes=SMALL)
    connect_front()
    target = conversations(simulator)[0]
    first_load(simulator, migrated, COMMENTS, [target])
    taken_over: list[pending.Claim] = []

    def stall_and_lose_the_lease(path):
        with psycopg.connect(migrated) as conn:
            with conn.cursor() as cur:  # A's worker stalled: its lease ran out
                cur.execute("UPDATE front.sync_pending SET claimed_until = now() - interval '1 second'")
            conn.commit()
            simulator.mutate("add_comments", ids=[target])  # B's fetch will see it, A's did not
            taken_over.extend(pending.take(conn, "comments", 1, worker="B", lease_seconds=600))
            new = [c for c in comments_of(simulator, target) if c["id"] not in live_comments(migrated, target)]
            load_batch(conn, COMMENTS, new, "r_b")  # B loads what it fetched

    queue(migrated, "comments", [target])
    result = drain(AfterFetchHook(stall_and_lose_the_lease), psycopg.connect(migrated), COMMENTS, "r1", settings())
    assert [c.conversation_id for c in taken_over] == [target]
    rows = query(migrated, "SELECT claimed_by FROM front.sync_pending WHERE conversation_id = %s", (target,))
    assert rows == [{"claimed_by": "B"}]  # still B's: A did not finish it
    assert result.lost_leases == 1 and result.records_deleted == 0 and result.conversations == 0
    conn = psycopg.connect(migrated)
    assert not pending.failed(
        conn,
        "comments",
        taken_over[0],
        "B",
        "FrontRetryableError: 503",
        max_attempts=3,
        run_id="r_b",
        retry_after_seconds=0,
    )
    assert pending.count(conn, "comments") == 1  # B's failed try keeps the request queued
    assert live_comments(migrated, target) == {c["id"] for c in comments_of(simulator, target)}


def test_item5_the_drain_renews_its_leases_while_a_slow_fetch_runs(simulator, connect_front, migrated):
    """Issue 19 item 5: leases are renewed while a claim is worked, so a fetch slower than the lease is never
    taken over by a second consumer."""
    simulator.reset(seed=53, sizes=SMALL)
    connect_front()
    target = conversations(simulator)[0]
    stolen: list[pending.Claim] = []

    def slow(path):
        with psycopg.connect(migrated) as conn:
            first_lease_end = query(migrated, "SELECT claimed_until FROM front.sync_pending")[0]["claimed_until"]
            deadline = time.monotonic() + 60
            while not query(migrated, "SELECT now() > %s + interval '0.5 second' AS past", (first_lease_end,))[0][
                "past"
            ]:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            stolen.extend(pending.take(conn, "messages", 1, worker="B", lease_seconds=600))

    queue(migrated, "messages", [target])
    result = drain(AfterFetchHook(slow), psycopg.connect(migrated), MESSAGES, "r1", settings(lease_seconds=1.5))
    assert stolen == []
    assert result.conversations == 1 and result.lost_leases == 0
    assert pending.count(psycopg.connect(migrated), "messages") == 0


def test_item6_a_load_that_fails_counts_toward_attempts_and_goes_to_dead_letters(simulator, connect_front, migrated):
    """Issue 19 item 6: a conversation whose load raises (here a statement cancelled like a statement timeout)
    is a failed try: the others are loaded, and after max_attempts it goes to dead_letters instead of crashing
    every run that takes it first."""
    simulator.reset(seed=54, sizes=SMALL)
    connect_front()
    ids = conversations(simulator)
    poison = ids[0]  # claimed first
    with psycopg.connect(migrated) as conn, conn.cursor() as cur:
        cur.execute(
            """
            CREATE FUNCTION pg_temp_fail() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.conversation_id = %s THEN
                    RAISE EXCEPTION 'canceling statement due to statement timeout' USING ERRCODE = '57014';
                END IF;
                RETURN NEW;
            END $$""".replace("%s", "'" + poison + "'")
        )
        cur.execute(
            "CREATE TRIGGER fail_one BEFORE INSERT OR UPDATE ON front.messages FOR EACH ROW"
            " EXECUTE FUNCTION pg_temp_fail()"
        )
    queue(migrated, "messages", ids)
    result = drain(FrontHook(), psycopg.connect(migrated), MESSAGES, "r1", settings(max_attempts=2))
    assert result.failed == 2 and result.dead_lettered_conversations == 1 and result.conversations == len(ids) - 1
    assert result.fetched == sum(result.loaded.counts.values())  # sync_logs: fetched = the sum of the outcomes
    letters = query(migrated, "SELECT resource, record_id, error FROM front.dead_letters")
    assert [(r["resource"], r["record_id"]) for r in letters] == [("messages", poison)]
    assert "load: QueryCanceled" in letters[0]["error"]
    assert pending.count(psycopg.connect(migrated), "messages") == 0
    stored = {r["conversation_id"] for r in query(migrated, "SELECT DISTINCT conversation_id FROM front.messages")}
    assert stored == set(ids) - {poison}


def test_item9_a_request_asked_for_again_keeps_its_oldest_time_in_the_queue(migrated):
    """Issue 19 item 9: asking for a conversation again must not send it to the back of its class."""
    with psycopg.connect(migrated) as conn:
        with conn.cursor() as cur:
            pending.enqueue(cur, "messages", ["cnv_often"], "r1")
        conn.commit()
        at = query(migrated, "SELECT enqueued_at FROM front.sync_pending")[0]["enqueued_at"]
        while query(migrated, "SELECT now() > %s AS past", (at,))[0]["past"] is False:
            time.sleep(0.01)
        with conn.cursor() as cur:
            pending.enqueue(cur, "messages", [f"cnv_backlog_{i}" for i in range(5)], "r2")
        conn.commit()
        with conn.cursor() as cur:
            pending.enqueue(cur, "messages", ["cnv_often"], "r3")  # asked for again an hour later
        conn.commit()
        first = pending.take(conn, "messages", 1, worker="w", lease_seconds=60)
    assert [c.conversation_id for c in first] == ["cnv_often"]
    rows = query(migrated, "SELECT enqueued_at, generation FROM front.sync_pending WHERE conversation_id = 'cnv_often'")
    assert rows[0]["enqueued_at"] == at and rows[0]["generation"] == 2


def test_item5_concurrent_drains_with_short_leases_load_exactly_the_truth(simulator, connect_front, migrated):
    """Issue 19 item 5: two consumers with leases shorter than a fetch, working one queue at once, each finish
    only their own claims; the queue ends empty and the comments equal Front's."""
    simulator.reset(seed=55, sizes={**SMALL, "conversations": 12})
    connect_front()
    ids = conversations(simulator)
    queue(migrated, "comments", ids)
    results = {}

    def consume(name):
        results[name] = drain(
            FrontHook(), psycopg.connect(migrated), COMMENTS, "r1", settings(worker=name, lease_seconds=0.3, workers=2)
        )

    threads = [threading.Thread(target=consume, args=(name,)) for name in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.conversations for r in results.values()) >= len(ids)
    assert pending.count(psycopg.connect(migrated), "comments") == 0
    assert_matches_truth(simulator, migrated, {"comments": "comments"})
