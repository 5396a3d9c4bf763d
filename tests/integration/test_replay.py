"""front_sync_replay: dead letters go through the normal loader again; loaded ones are marked, failing ones keep
their row with the new error; filters by resource and error text; queue entries go back to the queue."""

from __future__ import annotations

import json

import psycopg
import pytest

from front_sync_testing.truth import SIZES, query, run

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server

ALL = {"resource": None, "error_contains": None}  # explicit: dag.test() keeps the last run's params


def _dead_letter(url, resource, record, error):
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO front.dead_letters (resource, record_id, payload, error, sync_run_id)"
            " VALUES (%s, %s, %s, %s, 'manual__old') RETURNING id",
            (resource, record.get("id"), json.dumps(record), error),
        )
        return cur.fetchone()[0]


def _letters(url):
    return {r["id"]: r for r in query(url, "SELECT id, resource, error, replayed_at FROM front.dead_letters")}


def test_replay_loads_fixed_records_and_keeps_failing_ones(dags, simulator, warehouse_url, clean_variables):
    simulator.reset(seed=41, sizes={**SIZES, "contacts": 30, "conversations": 10, "messages_per_conversation": 1})
    simulator.set_faults(
        [{"endpoint": "/conversations", "kind": "bad_records", "variant": "missing_id", "count": 2, "times": 1}]
    )
    assert run(dags["front_sync_backfill"]).state == "success"  # also migrates the warehouse
    simulator.clear_faults()
    broken = set(_letters(warehouse_url))
    assert len(broken) == 2

    # Records a since-fixed bug rejected (kept whole): contacts and a tag from Front, a conversation's messages.
    contacts = simulator.truth("contacts")["_results"][:3]
    bug_a = [_dead_letter(warehouse_url, "contacts", c, "Bug A: could not parse handles") for c in contacts[:2]]
    bug_b = _dead_letter(warehouse_url, "contacts", contacts[2], "bug B: something else")
    tag = simulator.truth("tags")["_results"][0]
    tag_letter = _dead_letter(warehouse_url, "tags", {**tag, "name": "renamed in Front"}, "Bug A in tags")
    conversation = simulator.truth("conversations")["_results"][0]["id"]
    queued = _dead_letter(
        warehouse_url,
        "messages",
        {"id": conversation, "queue": "messages"},
        "messages of it failed 5 times; last error: FrontRetryableError",
    )
    with psycopg.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM front.contacts WHERE id = ANY(%s)", ([c["id"] for c in contacts],))

    # Only contacts whose error mentions bug a (any case).
    assert (
        dags["front_sync_replay"].test(run_conf={"resource": "contacts", "error_contains": "bug a"}).state == "success"
    )
    letters = _letters(warehouse_url)
    assert all(letters[i]["replayed_at"] for i in bug_a)
    assert letters[bug_b]["replayed_at"] is None and letters[tag_letter]["replayed_at"] is None
    loaded = {
        r["id"]: r
        for r in query(
            warehouse_url,
            "SELECT id, raw, local_updated_at FROM front.contacts WHERE id = ANY(%s)",
            ([c["id"] for c in contacts],),
        )
    }
    assert set(loaded) == {c["id"] for c in contacts[:2]}
    for c in contacts[:2]:
        assert loaded[c["id"]]["local_updated_at"] is None
        assert loaded[c["id"]]["raw"] == c

    # Everything else: the conversations without an id fail again and stay, with the new error and no copy.
    assert dags["front_sync_replay"].test(run_conf=ALL).state == "success"
    letters = _letters(warehouse_url)
    assert set(letters) == broken | set(bug_a) | {bug_b, tag_letter, queued}
    for letter_id in broken:
        assert letters[letter_id]["replayed_at"] is None
        assert "id" in letters[letter_id]["error"]
    assert all(letters[i]["replayed_at"] for i in (bug_b, tag_letter, queued))
    names = query(warehouse_url, "SELECT name FROM front.tags WHERE id = %s", (tag["id"],))
    # Tags carry no Front timestamp: the replayed copy is applied (the next hourly listing brings Front's back).
    assert names[0]["name"] == "renamed in Front"
    assert query(
        warehouse_url,
        "SELECT conversation_id FROM front.sync_pending WHERE resource = 'messages' AND conversation_id = %s",
        (conversation,),
    )

    logs = query(
        warehouse_url,
        "SELECT resource, status, fetched, created, updated, unchanged, dead_lettered,"
        " metadata FROM front.sync_logs WHERE sync_type = 'replay' ORDER BY id",
    )
    assert [(r["resource"], r["status"]) for r in logs] == [
        ("contacts", "success"),
        ("contacts", "success"),
        ("conversations", "success"),
        ("messages", "success"),
        ("tags", "success"),
    ]
    assert (logs[0]["fetched"], logs[0]["created"]) == (2, 2)
    assert (logs[2]["fetched"], logs[2]["dead_lettered"], logs[2]["metadata"]["failed_again"]) == (2, 2, 2)
    assert logs[3]["metadata"]["requeued"] == 1

    assert dags["front_sync_replay"].test(run_conf=ALL).state == "success"  # again: only the two still failing
    third = _letters(warehouse_url)
    assert {i: r["replayed_at"] for i, r in third.items()} == {i: r["replayed_at"] for i, r in letters.items()}
    assert query(warehouse_url, "SELECT fetched FROM front.sync_logs ORDER BY id DESC LIMIT 1")[0]["fetched"] == 2


def test_item7_replay_all_reapplies_dead_lettered_events_and_reports_names_it_cannot_replay(
    dags, simulator, warehouse_url, clean_variables
):
    """Issue 19 item 7: "replay all" used to crash once any event was dead-lettered (resource `events` unknown to
    replay), so dead-lettered events could never be replayed. An event now goes through the events sync's path
    (conversation snapshot, carried comment, applied_events); one still bad stays with its new error; a name
    nothing replays is reported and left, and the run succeeds."""
    simulator.reset(seed=43, sizes={**SIZES, "contacts": 5, "conversations": 6, "messages_per_conversation": 1})
    assert run(dags["front_sync_backfill"]).state == "success"
    target = simulator.truth("conversations")["_results"][0]["id"]
    made = simulator.mutate("add_comments", ids=[target])
    made_ids = {e if isinstance(e, str) else e.get("id") for e in made["events"]}
    event = next(e for e in simulator.truth("events")["_results"] if e["id"] in made_ids and e["type"] == "comment")
    comment_id = event["target"]["data"]["id"]
    fixed = _dead_letter(warehouse_url, "events", event, "Bug C: could not read the comment's author")
    still_bad = _dead_letter(warehouse_url, "events", {"id": "evt_bad", "type": "comment"}, "no emitted_at")
    unknown = _dead_letter(warehouse_url, "calls", {"id": "call_1"}, "a resource this version does not know")

    assert dags["front_sync_replay"].test(run_conf=ALL).state == "success"
    letters = _letters(warehouse_url)
    assert letters[fixed]["replayed_at"] is not None
    assert letters[still_bad]["replayed_at"] is None and "emitted_at" in letters[still_bad]["error"]
    assert letters[unknown]["replayed_at"] is None and letters[unknown]["error"].startswith("a resource")
    truth_comment = next(c for c in simulator.truth("comments")["_results"] if c["id"] == comment_id)
    stored = query(warehouse_url, "SELECT raw, deleted_at FROM front.comments WHERE id = %s", (comment_id,))
    assert stored == [{"raw": truth_comment, "deleted_at": None}]
    conversation = query(warehouse_url, "SELECT raw FROM front.conversations WHERE id = %s", (target,))[0]["raw"]
    assert conversation == event["conversation"]
    assert query(warehouse_url, "SELECT event_id FROM front.applied_events WHERE event_id = %s", (event["id"],))
    assert len(query(warehouse_url, "SELECT id FROM front.dead_letters")) == 3  # no copies
    logs = query(
        warehouse_url,
        "SELECT status, fetched, updated, dead_lettered FROM front.sync_logs"
        " WHERE sync_type = 'replay' AND resource = 'events'",
    )
    assert logs == [{"status": "success", "fetched": 2, "updated": 1, "dead_lettered": 1}]

    # Replaying it again changes nothing (the event is applied): only the still-bad one is selected again.
    assert dags["front_sync_replay"].test(run_conf={"resource": "events", "error_contains": None}).state == "success"
    assert _letters(warehouse_url)[still_bad]["replayed_at"] is None
