"""Issue 21 "The real-time DAG": front_sync_realtime via dag.test() against a real PostgreSQL and the simulator.

Webhooks are stored as the receiver stores them (front.webhook_events), shaped per the contract: the simulator's own
events with message and comment targets reduced to previews (id and links). The DAG must bring the rows to the
simulator's truth with one API call per changed message or comment (none for conversation-only events), change
nothing for a late (stale) webhook, apply a redelivery once, and never apply a webhook twice under concurrency.
"""

from __future__ import annotations

import json
import threading
from contextlib import closing
from decimal import Decimal

import psycopg
import pytest

from front_sync_testing.truth import assert_matches_truth, query, run, wait_past

from .test_quota import calls
from .webhooks import store

pytestmark = pytest.mark.integration

SIZES = {
    "contacts": 20,
    "conversations": 25,
    "teammates": 4,
    "inboxes": 2,
    "channels": 2,
    "tags": 6,
    "contact_lists": 1,
    "messages_per_conversation": 2,
    "comments_per_conversation": 1,
}
CONVERSATION_TABLES = {"conversations": "conversations", "messages": "messages", "comments": "comments"}
GET_ONE = ("/messages/{id}", "/comments/{id}")
CHILD_LISTS = ("/conversations/{id}/messages", "/conversations/{id}/comments")


def events_after(simulator, since: Decimal) -> list[dict]:
    found = [e for e in simulator.truth("events")["_results"] if Decimal(str(e["emitted_at"])) > since]
    return sorted(found, key=lambda e: Decimal(str(e["emitted_at"])))


def newest_event(simulator) -> Decimal:
    return max(Decimal(str(e["emitted_at"])) for e in simulator.truth("events")["_results"])


def named(events: list[dict], kind: str) -> set[str]:
    """Ids of the messages or comments the events' targets name."""
    return {
        e["target"]["data"]["id"] for e in events if ((e.get("target") or {}).get("_meta") or {}).get("type") == kind
    }


def webhook_rows(url: str) -> list[dict]:
    return query(
        url, "SELECT event_id, applied_at, outcome, attempts, claimed_by FROM front.webhook_events ORDER BY id"
    )


def last_realtime_log(url: str) -> dict:
    return query(url, "SELECT * FROM front.sync_logs WHERE resource = 'webhooks' ORDER BY id DESC LIMIT 1")[0]


@pytest.fixture
def loaded(dags, simulator, warehouse_url, clean_variables):
    """An account loaded by the backfill DAG, then changed by every kind of conversation mutation."""
    simulator.reset(seed=21, sizes=SIZES)
    assert run(dags["front_sync_backfill"]).state == "success"
    wait_past(simulator)
    return newest_event(simulator)


def test_webhooks_bring_rows_to_truth_with_one_call_per_changed_record_and_none_for_conversation_only_events(
    dags, simulator, warehouse_url, loaded
):
    """The changed messages and comments are read from /events pages (the simulator's events carry them in full, as
    Front's spec types them): one page for all twelve here, no fetch by id."""
    for action in ("new_inbound", "new_out_reply", "add_comments", "new_conversations"):
        simulator.mutate(action, count=3)
    changed = events_after(simulator, loaded)
    store(warehouse_url, changed)
    simulator.reset_stats()
    assert run(dags["front_sync_realtime"]).state == "success"

    assert_matches_truth(simulator, warehouse_url, CONVERSATION_TABLES)
    messages, comments = named(changed, "message"), named(changed, "comment")
    assert len(messages) >= 9 and len(comments) >= 3
    assert calls(simulator, "/events") == 1 and calls(simulator, *GET_ONE) == 0 and calls(simulator, *CHILD_LISTS) == 0
    rows = webhook_rows(warehouse_url)
    assert len(rows) == len(changed) and {(r["outcome"], r["claimed_by"]) for r in rows} == {("applied", None)}
    log = last_realtime_log(warehouse_url)
    assert (log["status"], log["sync_type"]) == ("success", "realtime")
    assert log["metadata"]["api_fetches"] == 1 and log["metadata"]["read_from_events"] == len(messages) + len(comments)
    assert log["metadata"]["webhooks"] == {"applied": len(changed)}

    # Conversation-only events (tags, assignment, archive, custom fields): the preview is all they need.
    since = newest_event(simulator)
    for action in ("tag", "untag", "assign", "archive", "update_conversation_custom_fields"):
        simulator.mutate(action, count=2)
    store(warehouse_url, events_after(simulator, since))
    simulator.reset_stats()
    assert run(dags["front_sync_realtime"]).state == "success"
    assert simulator.stats()["totals"]["calls"] == 0, simulator.stats()["endpoints"]
    assert_matches_truth(simulator, warehouse_url, CONVERSATION_TABLES)


def test_where_events_carry_previews_only_each_record_is_fetched_once_at_the_cost_of_one_page(
    dags, simulator, warehouse_url, loaded
):
    """Front's reference calls event targets "partial": if /events carries previews only, the one page read finds
    nothing and each changed message or comment is fetched by id, once (one call more than fetching them alone)."""
    for action in ("new_inbound", "add_comments"):
        simulator.mutate(action, count=3)
    changed = events_after(simulator, loaded)
    store(warehouse_url, changed)
    simulator.reset_stats()
    simulator.set_faults([{"endpoint": "/events", "kind": "bad_records", "variant": "event_preview", "count": 15}])
    assert run(dags["front_sync_realtime"]).state == "success"

    assert_matches_truth(simulator, warehouse_url, CONVERSATION_TABLES)
    messages, comments = named(changed, "message"), named(changed, "comment")
    assert calls(simulator, "/messages/{id}") == len(messages) and calls(simulator, "/comments/{id}") == len(comments)
    assert calls(simulator, "/events") == 1
    log = last_realtime_log(warehouse_url)
    assert log["metadata"]["api_fetches"] == len(messages) + len(comments) + 1
    assert log["metadata"]["read_from_events"] == 0


def test_a_later_rounds_page_starts_at_its_own_webhooks_not_at_the_previous_rounds(
    dags, simulator, warehouse_url, loaded
):
    """A burst arrives over several rounds, its events a few milliseconds apart: the second round's /events window
    must start at its own oldest webhook, or its first page holds only events the first round applied and the
    records are fetched one by one (the first version padded the window by a second: 0 found, 5 fetches)."""
    simulator.mutate("new_inbound", count=20)
    changed = [e for e in events_after(simulator, loaded) if e["type"] == "inbound"]
    assert len(changed) == 20 and Decimal(str(changed[-1]["emitted_at"])) - Decimal(str(changed[0]["emitted_at"])) < 1
    store(warehouse_url, changed[:15])
    assert run(dags["front_sync_realtime"]).state == "success"
    store(warehouse_url, changed[15:])
    simulator.reset_stats()
    assert run(dags["front_sync_realtime"]).state == "success"
    assert calls(simulator, "/events") == 1 and calls(simulator, *GET_ONE) == 0
    assert last_realtime_log(warehouse_url)["metadata"]["read_from_events"] == 5
    assert_matches_truth(simulator, warehouse_url, CONVERSATION_TABLES)


def test_a_round_with_fewer_than_three_records_to_fetch_fetches_them_by_id(dags, simulator, warehouse_url, loaded):
    simulator.mutate("new_inbound", count=2)
    store(warehouse_url, events_after(simulator, loaded))
    simulator.reset_stats()
    assert run(dags["front_sync_realtime"]).state == "success"
    assert_matches_truth(simulator, warehouse_url, CONVERSATION_TABLES)
    assert calls(simulator, "/messages/{id}") == 2 and calls(simulator, "/events") == 0


def test_a_late_webhook_changes_nothing_and_a_redelivery_applies_once(dags, simulator, warehouse_url, loaded):
    ids = simulator.mutate("new_inbound", count=2)["ids"]
    inbound = events_after(simulator, loaded)
    since = newest_event(simulator)
    simulator.mutate("tag", ids=ids)
    tagged = events_after(simulator, since)
    since = newest_event(simulator)
    simulator.mutate("archive", ids=ids)
    store(warehouse_url, inbound + events_after(simulator, since))
    assert run(dags["front_sync_realtime"]).state == "success"
    assert_matches_truth(simulator, warehouse_url, CONVERSATION_TABLES)

    # The tag webhooks arrive last (Front retried them): their conversation previews are older than the rows'
    # views, so the version rule counts them stale and changes nothing.
    store(warehouse_url, tagged)
    simulator.reset_stats()
    assert run(dags["front_sync_realtime"]).state == "success"
    assert_matches_truth(simulator, warehouse_url, CONVERSATION_TABLES)
    assert simulator.stats()["totals"]["calls"] == 0
    log = last_realtime_log(warehouse_url)
    assert (log["stale"], log["created"], log["updated"]) == (len(tagged), 0, 0), log

    # Front delivers applied events again: stored once (deliveries counted), applied once, no call.
    store(warehouse_url, inbound)
    simulator.reset_stats()
    assert run(dags["front_sync_realtime"]).state == "success"
    assert last_realtime_log(warehouse_url)["metadata"]["webhooks"] == {}
    assert simulator.stats()["totals"]["calls"] == 0
    deliveries = {
        r["event_id"]: r["deliveries"]
        for r in query(warehouse_url, "SELECT event_id, deliveries FROM front.webhook_events")
    }
    assert {deliveries[e["id"]] for e in inbound} == {2}


def test_a_webhook_naming_a_message_already_stored_as_new_costs_no_call(dags, simulator, warehouse_url, loaded):
    simulator.mutate("new_inbound", count=3)
    inbound = events_after(simulator, loaded)
    wait_past(simulator)
    assert run(dags["front_sync_incremental"]).state == "success"  # the hourly run got there first
    store(warehouse_url, inbound)
    simulator.reset_stats()
    assert run(dags["front_sync_realtime"]).state == "success"
    assert simulator.stats()["totals"]["calls"] == 0
    assert last_realtime_log(warehouse_url)["metadata"]["fetches_skipped"] == len(named(inbound, "message"))
    assert_matches_truth(simulator, warehouse_url, CONVERSATION_TABLES)


def metadata_variables() -> dict[str, str]:
    from airflow.models import Variable
    from airflow.utils.session import create_session

    with create_session() as session:
        return {v.key: v.val for v in session.query(Variable) if v.key.startswith("front_sync.")}


def test_the_realtime_path_moves_no_watermark_and_leaves_every_event_to_the_hourly_run(
    dags, simulator, warehouse_url, loaded
):
    simulator.mutate("new_inbound", count=2)
    changed = events_after(simulator, loaded)
    store(warehouse_url, changed)
    before = metadata_variables()
    assert run(dags["front_sync_realtime"]).state == "success"
    assert metadata_variables() == before
    assert (
        query(
            warehouse_url,
            "SELECT count(*) AS n FROM front.applied_events WHERE event_id = ANY(%s)",
            ([e["id"] for e in changed],),
        )[0]["n"]
        == 0
    )


def test_two_concurrent_applies_never_apply_a_webhook_twice(dags, simulator, warehouse_url, loaded, monkeypatch):
    from front_sync.sync.front_client import open_front_hook
    from front_sync.sync.realtime_apply import apply_round
    from front_sync.warehouse import webhook_claims
    from front_sync.warehouse.connection import warehouse_connection

    for action in ("new_inbound", "add_comments", "tag"):
        simulator.mutate(action, count=4)
    changed = events_after(simulator, loaded)
    store(warehouse_url, changed)
    simulator.reset_stats()
    claimed: dict[str, list[int]] = {"a": [], "b": []}
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def consumer(name: str) -> None:
        try:
            with (
                open_front_hook("front_default", shared_budget=False) as front,
                closing(warehouse_connection()) as conn,
            ):
                start.wait()
                while claims := webhook_claims.claim(conn, 2, worker=name, lease_seconds=600):
                    claimed[name].extend(c.id for c in claims)
                    apply_round(front, conn, claims, f"run_{name}", name, max_attempts=5, retry_after_seconds=60)
        except BaseException as exc:  # handed to the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=consumer, args=(n,)) for n in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not errors, errors
    assert claimed["a"] and claimed["b"], claimed  # both worked
    assert not set(claimed["a"]) & set(claimed["b"])
    assert len(claimed["a"]) + len(claimed["b"]) == len(changed)
    assert {r["outcome"] for r in webhook_rows(warehouse_url)} == {"applied"}
    assert calls(simulator, "/messages/{id}") == len(named(changed, "message"))
    assert_matches_truth(simulator, warehouse_url, CONVERSATION_TABLES)


def test_a_404_queues_the_conversation_for_the_hourly_fetch_and_deletes_nothing(dags, simulator, warehouse_url, loaded):
    ids = simulator.mutate("new_inbound", count=1)["ids"]
    store(warehouse_url, events_after(simulator, loaded))
    simulator.set_faults([{"endpoint": "/messages/{id}", "kind": "status", "status": 404}])
    assert run(dags["front_sync_realtime"]).state == "success"
    assert {r["outcome"] for r in webhook_rows(warehouse_url)} == {"applied"}
    assert query(warehouse_url, "SELECT conversation_id FROM front.sync_pending WHERE resource = 'messages'") == [
        {"conversation_id": ids[0]}
    ]
    assert query(warehouse_url, "SELECT count(*) AS n FROM front.messages WHERE deleted_at IS NOT NULL")[0]["n"] == 0
    assert last_realtime_log(warehouse_url)["metadata"]["missing"] == 1
    simulator.clear_faults()
    wait_past(simulator)
    assert run(dags["front_sync_incremental"]).state == "success"  # the hourly run repairs it
    assert_matches_truth(simulator, warehouse_url, CONVERSATION_TABLES)


def test_webhooks_that_need_no_fetch_are_committed_before_the_fetches_of_their_round(
    dags, simulator, warehouse_url, loaded
):
    """A burst's conversation-only webhooks must not wait for the company budget: the round commits them (and every
    preview) first, then fetches the messages its other webhooks name (3 s each here) and commits those."""
    simulator.mutate("tag", count=2)
    simulator.mutate("new_inbound", count=1)
    store(warehouse_url, events_after(simulator, loaded))
    simulator.set_faults([{"endpoint": "/messages/{id}", "kind": "latency", "seconds": 3}])
    assert run(dags["front_sync_realtime"]).state == "success"
    rows = query(
        warehouse_url,
        "SELECT event_type, applied_at FROM front.webhook_events WHERE outcome = 'applied' ORDER BY applied_at",
    )
    first = [r["applied_at"] for r in rows if r["event_type"] != "inbound"]
    message = [r["applied_at"] for r in rows if r["event_type"] == "inbound"]
    assert len(first) == 2 and len(message) == 1
    assert (message[0] - max(first)).total_seconds() >= 2.5  # committed apart, the fetch in between
    assert last_realtime_log(warehouse_url)["api_calls"] == 1


def test_a_round_fetches_at_most_its_budget_and_hands_the_other_webhooks_back(
    dags, simulator, warehouse_url, loaded, connect_front
):
    """A round is kept short (about round_seconds of the API budget): it fetches at most `max_fetches` records, the
    oldest events first, and hands the webhooks of the others back untried (attempt uncounted) for the next round;
    the run's later rounds apply them all."""
    from front_sync.hooks.front import FrontHook
    from front_sync.sync.realtime_apply import apply_round
    from front_sync.warehouse import webhook_claims

    simulator.mutate("new_inbound", count=3)
    store(warehouse_url, events_after(simulator, loaded))
    with closing(psycopg.connect(warehouse_url)) as conn:
        claims = webhook_claims.claim(conn, 10, worker="w", lease_seconds=60)
        result = apply_round(FrontHook(), conn, claims, "r1", "w", max_attempts=3, retry_after_seconds=0, max_fetches=1)
    assert result.calls == 1 and result.webhooks["applied"] == 1 and result.webhooks["deferred"] == 2
    rows = webhook_rows(warehouse_url)
    assert sorted((r["outcome"] or "", r["attempts"]) for r in rows) == [("", 0), ("", 0), ("applied", 1)]
    assert (
        query(warehouse_url, "SELECT count(*) AS n FROM front.webhook_events WHERE claimed_by IS NOT NULL")[0]["n"] == 0
    )
    assert run(dags["front_sync_realtime"]).state == "success"
    assert {r["outcome"] for r in webhook_rows(warehouse_url)} == {"applied"}


def test_a_page_that_finds_nothing_counts_toward_the_rounds_budget(dags, simulator, warehouse_url, loaded):
    """Two calls of budget, /events carrying previews only: the page finds nothing, one record is fetched, the other
    webhooks are handed back; the run's later rounds apply them all."""
    from front_sync.hooks.front import FrontHook
    from front_sync.sync.realtime_apply import apply_round
    from front_sync.warehouse import webhook_claims

    simulator.mutate("new_inbound", count=3)
    store(warehouse_url, events_after(simulator, loaded))
    simulator.set_faults([{"endpoint": "/events", "kind": "bad_records", "variant": "event_preview", "count": 15}])
    with closing(psycopg.connect(warehouse_url)) as conn:
        claims = webhook_claims.claim(conn, 10, worker="w", lease_seconds=60)
        result = apply_round(FrontHook(), conn, claims, "r1", "w", max_attempts=3, retry_after_seconds=0, max_fetches=2)
    assert (result.calls, result.listed, result.read_events) == (2, 0, False)  # the run's later rounds: by id
    assert result.webhooks["applied"] == 1 and result.webhooks["deferred"] == 2
    assert run(dags["front_sync_realtime"]).state == "success"
    assert {r["outcome"] for r in webhook_rows(warehouse_url)} == {"applied"}
    assert_matches_truth(simulator, warehouse_url, CONVERSATION_TABLES)


def test_a_fetch_that_keeps_failing_is_retried_then_dead_lettered_as_its_event(
    dags, simulator, warehouse_url, loaded, clean_variables
):
    clean_variables.set("front_sync.config", json.dumps({"queue_max_attempts": 2, "queue_retry_seconds": 0}))
    simulator.mutate("new_inbound", count=1)
    changed = events_after(simulator, loaded)
    store(warehouse_url, changed)
    simulator.set_faults([{"endpoint": "/messages/{id}", "kind": "status", "status": 400}])
    assert run(dags["front_sync_realtime"]).state == "success"  # one record's failure fails no run
    rows = webhook_rows(warehouse_url)
    assert [(r["outcome"], r["attempts"]) for r in rows] == [("dead_lettered", 2)]
    dead = query(warehouse_url, "SELECT resource, record_id, error FROM front.dead_letters")
    assert [(d["resource"], d["record_id"]) for d in dead] == [("events", changed[0]["id"])]
    assert "FrontBadRequestError" in dead[0]["error"]


def test_a_load_that_fails_counts_a_try_of_its_webhooks_and_commits_nothing(
    dags, simulator, warehouse_url, loaded, clean_variables
):
    """Issue 19 item 6 for webhooks: a load that raises is a failed try (never a crash loop), then a dead letter;
    nothing of the failed load is committed. The conversation's preview needs no fetch: it is committed first (a
    valid partial view under the version rule), so only the message waits for the hourly run."""
    clean_variables.set("front_sync.config", json.dumps({"queue_max_attempts": 2, "queue_retry_seconds": 0}))
    simulator.mutate("new_inbound", count=1)
    store(warehouse_url, events_after(simulator, loaded))
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        conn.execute(
            "CREATE FUNCTION front.refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"
        )
        conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON front.messages "
            "FOR EACH ROW EXECUTE FUNCTION front.refuse()"
        )
    before = query(
        warehouse_url, "SELECT max(view_at) AS v, (SELECT count(*) FROM front.messages) AS n FROM front.conversations"
    )[0]
    assert run(dags["front_sync_realtime"]).state == "success"
    assert [(r["outcome"], r["attempts"]) for r in webhook_rows(warehouse_url)] == [("dead_lettered", 2)]
    after = query(
        warehouse_url, "SELECT max(view_at) AS v, (SELECT count(*) FROM front.messages) AS n FROM front.conversations"
    )[0]
    assert after["n"] == before["n"] and after["v"] > before["v"]  # the message not loaded; the preview was
    log = last_realtime_log(warehouse_url)
    assert log["metadata"]["webhooks"] == {"failed": 1, "dead_lettered": 1}
    assert log["fetched"] == 2  # the preview, once per try: the failed message loads are not counted
