"""Zero data loss under production timing: each test is a scenario that lost or staled data before its fix.

The sync tasks run for real (their operators' execute, the real loader, real PostgreSQL, real HTTP against the
simulator); only Airflow's task context and Variables are small stand-ins, so a test can choose the run type
(an `airflow backfill create` run), the data interval and the try number. Whole DAG runs are in test_full_flow.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import psycopg
import pytest

from front_sync.config import CONFIG_VARIABLE
from front_sync.hooks.front import FrontHook
from front_sync.resources import COMMENTS, CONVERSATIONS, MESSAGES
from front_sync.sync import conversation_operators, operators
from front_sync.sync.sub_resources import DrainSettings, drain
from front_sync.sync.window import epoch
from front_sync.warehouse import pending
from front_sync.warehouse.load import load_batch
from front_sync_testing.truth import query, small_account, wait_past

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server

SMALL = small_account(contacts=40, conversations=30)


def execute(task, *, run_type="scheduled", start=None, end=None, try_number=1, run_id=None):
    """Run one task try the way Airflow would, with the given run type, data interval and try number."""
    end = end or datetime.now(UTC)
    start = start or end - timedelta(hours=1)
    context = {
        "dag_run": SimpleNamespace(run_type=run_type, run_after=end),
        "data_interval_start": start,
        "data_interval_end": end,
        "run_id": run_id or f"{run_type}__{end.isoformat()}",
        "ti": SimpleNamespace(dag_id="front_sync_test", task_id=task.task_id, try_number=try_number),
    }
    return task.execute(context)


def newest_event(simulator) -> Decimal:
    return max(Decimal(str(e["emitted_at"])) for e in simulator.truth("events")["_results"])


def calls(simulator, endpoint: str) -> int:
    return simulator.stats()["endpoints"].get(endpoint, {}).get("calls", 0)


def stored_raw(url, table, ids):
    return {
        r["id"]: r["raw"]
        for r in query(
            url,
            f"SELECT id, raw FROM front.{table} WHERE id = ANY(%s) "  # noqa: S608
            "AND deleted_at IS NULL",
            (list(ids),),
        )
    }


# -- watermarks ------------------------------------------------------------------------------------------------


def test_an_events_backlog_drains_across_runs_and_a_killed_run_keeps_what_it_committed(
    simulator, connect_front, migrated, variables
):
    simulator.reset(seed=11, sizes=SMALL)
    mark = epoch(datetime.now(UTC)) - 1
    variables.set_mark("conversations", mark)
    for _ in range(3):
        simulator.mutate("new_inbound", count=25)
    wait_past(simulator)
    events = sorted(
        Decimal(str(e["emitted_at"]))
        for e in simulator.truth("events")["_results"]
        if Decimal(str(e["emitted_at"])) > mark
    )
    assert len(events) > 60  # more than 4 pages of 15
    variables.set(CONFIG_VARIABLE, json.dumps({"batch_pages": 1, "overlap_seconds": 0}))
    connect_front(max_attempts=0)
    simulator.set_faults([{"endpoint": "/events", "kind": "status", "status": 503, "after_calls": 2}])
    task = conversation_operators.ConversationChangesOperator(task_id="sync_conversations", resource="conversations")
    with pytest.raises(Exception, match="503|failing"):
        execute(task)
    assert variables.mark("conversations") == events[29]  # two pages committed: the 30th event
    simulator.clear_faults()
    simulator.reset_stats()
    execute(task)
    assert variables.mark("conversations") == newest_event(simulator)
    pages = -(-len(events) // 15)
    assert calls(simulator, "/events") <= pages - 1  # the two committed pages are not read again
    changes = query(
        migrated,
        "SELECT value_before, value_after, reason FROM front.watermark_changes "
        "WHERE resource = 'conversations' ORDER BY id",
    )
    assert len(changes) >= 3 and all(c["reason"] == "advanced" for c in changes)
    assert all(c["value_before"] < c["value_after"] for c in changes)


def test_a_cap_smaller_than_the_overlap_still_moves_the_watermark(simulator, connect_front, migrated, variables):
    simulator.reset(seed=20, sizes=SMALL)
    connect_front()
    simulator.mutate("new_inbound", count=25)  # events inside the overlap below the watermark
    wait_past(simulator)
    mark = newest_event(simulator)
    variables.set_mark("conversations", mark)
    simulator.mutate("new_inbound", count=25)
    wait_past(simulator)
    variables.set(CONFIG_VARIABLE, json.dumps({"batch_pages": 1, "max_results": {"conversations": 10}}))
    task = conversation_operators.ConversationChangesOperator(task_id="sync_conversations", resource="conversations")
    assert execute(task)["capped"]
    assert variables.mark("conversations") > mark  # re-reading the overlap does not use up the cap
    for _ in range(4):
        if not execute(task)["capped"]:
            break
    assert variables.mark("conversations") == newest_event(simulator)


def test_an_airflow_backfill_run_never_moves_a_watermark_over_time_it_did_not_read(
    simulator, connect_front, migrated, variables
):
    simulator.reset(seed=12, sizes=SMALL)
    connect_front()
    day_ago = epoch(datetime.now(UTC) - timedelta(days=1))
    variables.set_mark("contacts", day_ago)
    variables.set_mark("conversations", day_ago)
    changed = simulator.mutate("update_contacts", count=5)["ids"]
    simulator.mutate("new_inbound", count=5)
    wait_past(simulator)
    now = datetime.now(UTC)
    interval = {"run_type": "backfill", "start": now - timedelta(minutes=30), "end": now + timedelta(seconds=1)}
    execute(operators.FrontSyncOperator(task_id="sync_contacts", resource="contacts"), **interval)
    execute(
        conversation_operators.ConversationChangesOperator(task_id="sync_conversations", resource="conversations"),
        **interval,
    )
    # The interval's changes are loaded, but 24 hours before it were never read: both watermarks stay.
    assert set(stored_raw(migrated, "contacts", changed)) == set(changed)
    assert variables.mark("contacts") == day_ago and variables.mark("conversations") == day_ago
    log = query(migrated, "SELECT sync_type, watermark_after FROM front.sync_logs WHERE resource = 'contacts'")[0]
    assert log["sync_type"] == "backfill" and log["watermark_after"] == day_ago

    # A backfill interval that starts before the watermark read everything after it: the watermark may move.
    variables.set_mark("contacts", epoch(now - timedelta(minutes=10)))
    execute(operators.FrontSyncOperator(task_id="sync_contacts", resource="contacts"), **interval)
    assert variables.mark("contacts") > epoch(now - timedelta(minutes=10))


def capped_list_sync(simulator, connect_front, variables, seed):
    """20 new conversations after the watermark, and the list strategy capped at 8 a run (pages of 5, one page a
    batch): returns the new conversations' ids and the sync_conversations task, not run yet."""
    simulator.reset(seed=seed, sizes=SMALL)
    connect_front(page_limit=5)
    variables.set_mark("conversations", epoch(datetime.now(UTC)))
    changed = simulator.mutate("new_inbound", count=20)["ids"]
    wait_past(simulator)
    variables.set(
        CONFIG_VARIABLE,
        json.dumps(
            {
                "conversation_strategy": "list",
                "batch_pages": 1,
                "max_results": {"conversations": 8},
                "overlap_seconds": 0,
            }
        ),
    )
    return changed, conversation_operators.ConversationChangesOperator(
        task_id="sync_conversations", resource="conversations"
    )


def test_the_list_strategy_under_a_cap_never_skips_older_changes(simulator, connect_front, migrated, variables):
    changed, task = capped_list_sync(simulator, connect_front, variables, seed=13)
    before = variables.mark("conversations")
    result = execute(task)
    assert result["capped"] and variables.mark("conversations") == before  # newest first: older ones unread
    for _ in range(4):
        if not execute(task)["capped"]:
            break
    truth = {c["id"]: c for c in simulator.truth("conversations")["_results"]}
    assert stored_raw(migrated, "conversations", changed) == {i: truth[i] for i in set(changed)}
    assert variables.mark("conversations") == max(Decimal(str(truth[i]["updated_at"])) for i in changed)


# -- the pending queue -----------------------------------------------------------------------------------------


def enqueue(url, resource, ids, priority=pending.Priority.HOURLY, run_id="r"):
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        pending.enqueue(cur, resource, ids, run_id, priority)


def take(conn, limit=10, worker="w1", lease=600, only=None):
    return pending.take(conn, "messages", limit, worker=worker, lease_seconds=lease, only=only)


def test_finishing_a_conversation_keeps_a_request_queued_while_it_was_fetched(migrated):
    enqueue(migrated, "messages", ["cnv_a"])
    conn = psycopg.connect(migrated)
    claim = take(conn)[0]
    enqueue(migrated, "messages", ["cnv_a"])  # an inbound message arrives during the fetch
    with conn.cursor() as cur:
        pending.done(cur, "messages", [claim], "w1")
    conn.commit()
    assert pending.count(conn, "messages") == 1
    again = take(conn, worker="w2")
    assert [c.conversation_id for c in again] == ["cnv_a"] and again[0].generation > claim.generation
    with conn.cursor() as cur:
        pending.done(cur, "messages", again, "w2")
    conn.commit()
    assert pending.count(conn, "messages") == 0


def test_concurrent_consumers_never_take_the_same_conversation_and_a_dead_ones_lease_lapses(migrated):
    import threading

    ids = [f"cnv_{i:04d}" for i in range(200)]
    enqueue(migrated, "messages", ids)
    taken: list[list[str]] = []

    def consume(n):
        conn = psycopg.connect(migrated)
        mine = []
        while claims := take(conn, limit=3, worker=f"w{n}"):
            mine.extend(c.conversation_id for c in claims)
        taken.append(mine)
        conn.close()

    threads = [threading.Thread(target=consume, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [i for mine in taken for i in mine]
    assert sorted(everything) == ids  # each once, none twice

    conn = psycopg.connect(migrated)
    with conn.cursor() as cur:
        cur.execute("DELETE FROM front.sync_pending")
    conn.commit()
    enqueue(migrated, "messages", ["cnv_x"])
    assert take(conn, worker="dies", lease=1)
    assert take(conn, worker="other") == []  # held by a live lease
    time.sleep(1.2)
    assert [c.conversation_id for c in take(conn, worker="other")] == ["cnv_x"]


def test_the_queue_serves_on_demand_then_hourly_then_backfill_and_on_demand_only_its_own(migrated):
    enqueue(migrated, "messages", ["cnv_backfill"], pending.Priority.BACKFILL)
    enqueue(migrated, "messages", ["cnv_hourly"], pending.Priority.HOURLY)
    enqueue(migrated, "messages", ["cnv_asked"], pending.Priority.ON_DEMAND)
    enqueue(migrated, "messages", ["cnv_backfill"], pending.Priority.ON_DEMAND)  # asked for again, urgently
    conn = psycopg.connect(migrated)
    assert [c.conversation_id for c in take(conn, only=["cnv_hourly"])] == ["cnv_hourly"]
    order = [take(conn, limit=1, worker=f"w{n}")[0].conversation_id for n in range(2)]
    # Both on demand now; cnv_backfill's request is the older one and keeps its time (issue 19 item 9).
    assert order == ["cnv_backfill", "cnv_asked"]


def drain_settings(**overrides):
    base = {
        "worker": "test",
        "priority": pending.Priority.HOURLY,
        "workers": 2,
        "max_attempts": 2,
        "retry_after_seconds": 0.5,
    }
    return DrainSettings(**{**base, **overrides})


def front_hook(connect_front, **extra):
    connect_front(**extra)
    return FrontHook()


def test_a_poison_conversation_goes_to_dead_letters_after_n_tries_and_the_rest_loads(
    simulator, connect_front, migrated
):
    simulator.reset(seed=14, sizes={**SMALL, "conversations": 6})
    ids = sorted(c["id"] for c in simulator.truth("conversations")["_results"])
    poison = ids[0]
    simulator.set_faults([{"endpoint": f"/conversations/{poison}/messages", "kind": "status", "status": 500}])
    front = front_hook(connect_front, max_attempts=0)
    enqueue(migrated, "messages", ids)
    conn = psycopg.connect(migrated)
    first = drain(front, conn, MESSAGES, "r1", drain_settings())
    assert first.failed == 1 and first.conversations == 5 and first.dead_lettered_conversations == 0
    assert pending.count(conn, "messages") == 1
    time.sleep(0.6)  # the failed conversation's back-off
    second = drain(front, conn, MESSAGES, "r2", drain_settings())
    assert second.dead_lettered_conversations == 1 and pending.count(conn, "messages") == 0
    dead = query(migrated, "SELECT resource, record_id, error FROM front.dead_letters")
    assert [(d["resource"], d["record_id"]) for d in dead] == [("messages", poison)]
    assert "failed 2 times" in dead[0]["error"] and "500" in dead[0]["error"]
    truth = {
        m["id"]
        for m in simulator.truth("messages")["_results"]
        if m["_links"]["related"]["conversation"].rsplit("/", 1)[-1] != poison
    }
    assert {r["id"] for r in query(migrated, "SELECT id FROM front.messages")} == truth


def test_pages_fetched_before_a_failure_are_loaded_and_the_conversation_stays_queued(
    simulator, connect_front, migrated
):
    simulator.reset(seed=15, sizes={**SMALL, "conversations": 1, "messages_per_conversation": 12})
    conversation = simulator.truth("conversations")["_results"][0]["id"]
    path = f"/conversations/{conversation}/messages"
    simulator.set_faults([{"endpoint": path, "kind": "status", "status": 502, "on_calls": [2]}])
    front = front_hook(connect_front, max_attempts=0, page_limit=5)
    enqueue(migrated, "messages", [conversation])
    conn = psycopg.connect(migrated)
    result = drain(front, conn, MESSAGES, "r1", drain_settings())
    assert result.fetched == 5 and result.loaded.counts["created"] == 5 and result.failed == 1
    assert query(migrated, "SELECT attempts, last_error FROM front.sync_pending")[0]["last_error"]
    time.sleep(0.6)
    assert drain(front, conn, MESSAGES, "r2", drain_settings()).conversations == 1
    truth = {m["id"] for m in simulator.truth("messages")["_results"]}
    assert len(truth) > 5 and {r["id"] for r in query(migrated, "SELECT id FROM front.messages")} == truth


def test_a_404_conversation_is_soft_deleted_and_children_front_no_longer_returns_are_too(
    simulator, connect_front, migrated
):
    simulator.reset(seed=16, sizes={**SMALL, "conversations": 3, "comments_per_conversation": 2})
    conversations = simulator.truth("conversations")["_results"]
    gone = {**conversations[0], "id": "cnv_gone404"}
    conn = psycopg.connect(migrated)
    load_batch(conn, CONVERSATIONS, [*conversations, gone], "r0")
    front = front_hook(connect_front)
    ids = [c["id"] for c in conversations]
    enqueue(migrated, "comments", [*ids, "cnv_gone404"])
    assert drain(front, conn, COMMENTS, "r1", drain_settings()).missing == 1
    assert query(migrated, "SELECT deleted_at FROM front.conversations WHERE id = 'cnv_gone404'")[0]["deleted_at"]

    with_comments = next(
        c["_links"]["related"]["conversation"].rsplit("/", 1)[-1] for c in simulator.truth("comments")["_results"]
    )
    deleted = simulator.mutate("delete_comments", ids=[with_comments])["comments"]
    enqueue(migrated, "comments", [with_comments])
    result = drain(front, conn, COMMENTS, "r2", drain_settings())
    assert result.records_deleted == 1
    live = {r["id"] for r in query(migrated, "SELECT id FROM front.comments WHERE deleted_at IS NULL")}
    assert live == {c["id"] for c in simulator.truth("comments")["_results"]} and deleted[0] not in live


# -- first run, retries, audit ---------------------------------------------------------------------------------


def test_the_first_hourly_run_of_a_fresh_install_loads_the_whole_history_resumably(
    simulator, connect_front, migrated, variables
):
    simulator.reset(seed=17, sizes={**SMALL, "conversations": 60})
    connect_front(max_attempts=0, page_limit=10)
    variables.set(CONFIG_VARIABLE, json.dumps({"batch_pages": 1}))
    simulator.set_faults([{"endpoint": "/conversations", "kind": "status", "status": 503, "on_calls": [3]}])
    task = conversation_operators.ConversationChangesOperator(task_id="sync_conversations", resource="conversations")
    with pytest.raises(Exception, match="503|failing"):
        execute(task)
    started = variables.mark("conversations")
    assert started is not None  # the change feed's start is fixed before the listing begins
    simulator.clear_faults()
    simulator.reset_stats()
    result = execute(task, end=datetime.now(UTC) + timedelta(seconds=1))
    assert calls(simulator, "/conversations") == 4  # pages 3-6: the two committed pages are not listed again
    assert result["fetched"] >= 40
    for child in ("messages", "comments"):
        execute(conversation_operators.SubResourcesOperator(task_id=f"sync_{child}", resource=child))
    for table in ("conversations", "messages", "comments"):
        truth = {r["id"]: r for r in simulator.truth(table)["_results"]}
        assert stored_raw(migrated, table, truth) == truth
    assert query(migrated, "SELECT count(*) AS n FROM front.sync_pending")[0]["n"] == 0
    reasons = [r["reason"] for r in query(migrated, "SELECT reason FROM front.watermark_changes ORDER BY id")]
    assert reasons[0] == "initialised"


def test_a_backfill_started_with_restart_clears_its_checkpoint_on_the_first_try_only(
    simulator, connect_front, migrated, variables
):
    simulator.reset(seed=18, sizes={**SMALL, "conversations": 50})
    connect_front(max_attempts=0, page_limit=10)
    variables.set(CONFIG_VARIABLE, json.dumps({"batch_pages": 1}))
    simulator.set_faults([{"endpoint": "/conversations", "kind": "status", "status": 503, "on_calls": [3]}])
    task = conversation_operators.BackfillConversationsOperator(
        task_id="backfill_conversations", scope_params={"restart": True}
    )
    with pytest.raises(Exception, match="503|failing"):
        execute(task, run_type="manual", run_id="manual__1")
    simulator.clear_faults()
    simulator.reset_stats()
    execute(task, run_type="manual", run_id="manual__1", try_number=2)
    assert calls(simulator, "/conversations") == 3  # pages 3, 4, 5: the retry resumed
    simulator.reset_stats()
    execute(task, run_type="manual", run_id="manual__2")  # a new run with restart: starts over
    assert calls(simulator, "/conversations") == 5


def test_dead_lettered_events_are_counted_in_sync_logs(simulator, connect_front, migrated, variables):
    simulator.reset(seed=19, sizes=SMALL)
    connect_front()
    variables.set_mark("conversations", epoch(datetime.now(UTC)) - 1)
    simulator.mutate("new_inbound", count=10)
    wait_past(simulator)
    simulator.set_faults(
        [{"endpoint": "/events", "kind": "bad_records", "variant": "missing_id", "count": 2, "times": 1}]
    )
    execute(conversation_operators.ConversationChangesOperator(task_id="sync_conversations", resource="conversations"))
    log = query(
        migrated,
        "SELECT fetched, dead_lettered, created, updated, unchanged, stale, conflicts "
        "FROM front.sync_logs WHERE resource = 'conversations'",
    )[0]
    dead = query(migrated, "SELECT count(*) AS n FROM front.dead_letters WHERE resource = 'events'")[0]["n"]
    assert dead >= 1 and log["dead_lettered"] == dead
    assert log["fetched"] == sum(
        log[k] for k in ("created", "updated", "unchanged", "stale", "conflicts", "dead_lettered")
    )
