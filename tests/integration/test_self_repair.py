"""Issue 19 (items 2, 3, 4, 10): skips fail closed, listings never delete what changed, merged-away children.

Each scenario runs the sync tasks for real (operators' execute, the loader, PostgreSQL, HTTP to the simulator),
with test_zero_loss's small stand-ins for Airflow's task context and Variables. The rolling verification's
nightly DAG runs are in test_verification.py.
"""

from __future__ import annotations

import json
import threading
import time

import psycopg
import pytest

from front_sync.config import CONFIG_VARIABLE
from front_sync.resources import COMMENTS, MESSAGES
from front_sync.sync import conversation_operators
from front_sync.sync.sub_resources import drain
from front_sync_testing.truth import query, wait_past

from .test_zero_loss import (
    SMALL,
    capped_list_sync,
    drain_settings,
    enqueue,
    execute,
    front_hook,
    newest_event,
    stored_raw,
)

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server


def hourly():
    execute(conversation_operators.ConversationChangesOperator(task_id="sync_conversations", resource="conversations"))


def children():
    for child in ("messages", "comments"):
        execute(conversation_operators.SubResourcesOperator(task_id=f"sync_{child}", resource=child))


def nightly_listing():
    execute(conversation_operators.ConversationListingOperator(task_id="sync_conversations"), run_type="scheduled")


def synced_company(simulator, connect_front, variables, seed, **sizes):
    """A company loaded in full (conversations, messages, comments, children markers), the feed at its newest event."""
    simulator.reset(seed=seed, sizes={**SMALL, **sizes})
    connect_front(max_attempts=0)
    variables.set(CONFIG_VARIABLE, json.dumps({"overlap_seconds": 0}))
    nightly_listing()
    children()
    variables.set_mark("conversations", newest_event(simulator))
    return sorted(c["id"] for c in simulator.truth("conversations")["_results"])


def children_of(simulator, url, table, conversation):
    """(truth ids, live stored ids) of one conversation's messages or comments."""
    truth = {
        r["id"]
        for r in simulator.truth(table)["_results"]
        if r["_links"]["related"]["conversation"].rsplit("/", 1)[-1] == conversation
    }
    stored = {
        r["id"]
        for r in query(
            url,
            f"SELECT id FROM front.{table} WHERE conversation_id = %s "  # noqa: S608
            "AND deleted_at IS NULL",
            (conversation,),
        )
    }
    return truth, stored


# -- item 2: a listing never deletes what changed during it ----------------------------------------------------


def test_item_2_a_conversation_bumped_above_the_nightly_listings_cursor_is_not_soft_deleted(
    simulator, connect_front, migrated, variables
):
    """The nightly re-listing pages newest first; a conversation it has not reached gets a reply (it moves above
    the cursor and is never listed) and the hourly run applies it meanwhile: the listing must not delete it."""
    synced_company(simulator, connect_front, variables, seed=21)
    connect_front(max_attempts=0, page_limit=5)
    listed = [
        c["id"]
        for page in front_hook(connect_front, max_attempts=0, page_limit=5).iter_pages(
            "/conversations",
            {"q[statuses]": ["assigned", "unassigned", "archived", "trashed"], "sort_by": "date", "sort_order": "desc"},
        )
        for c in page
    ]
    oldest = listed[-1]  # on the listing's last page
    simulator.reset_stats()
    simulator.set_faults([{"endpoint": "/conversations", "kind": "latency", "seconds": 20, "on_calls": [2]}])
    done: dict[str, float] = {}

    def reply_during_the_listing():
        while simulator.stats()["endpoints"].get("/conversations", {}).get("calls", 0) < 1:
            time.sleep(0.05)  # page 1 served; page 2 is held back by the latency
        simulator.mutate("new_inbound", ids=[oldest])
        wait_past(simulator)
        hourly()
        done["hourly"] = time.monotonic()

    replier = threading.Thread(target=reply_during_the_listing)
    replier.start()
    nightly_listing()
    done["listing"] = time.monotonic()
    replier.join()
    assert done["hourly"] < done["listing"], "the hourly run ended after the listing: the scenario did not happen"
    row = query(migrated, "SELECT deleted_at FROM front.conversations WHERE id = %s", (oldest,))
    assert row == [{"deleted_at": None}]
    truth = {c["id"]: c for c in simulator.truth("conversations")["_results"]}
    assert stored_raw(migrated, "conversations", [oldest]) == {oldest: truth[oldest]}


# -- item 3: markers fail closed -------------------------------------------------------------------------------


def test_item_3_an_event_of_a_type_not_on_the_allow_list_fetches_the_conversations_children(
    simulator, connect_front, migrated, variables
):
    conversation = synced_company(simulator, connect_front, variables, seed=31)[0]
    simulator.set_schema_drift("events", add={"type": "call_transcript_added"})  # a type Front added since
    simulator.mutate("add_comments", ids=[conversation])
    wait_past(simulator)
    hourly()
    children()
    truth, stored = children_of(simulator, migrated, "comments", conversation)
    assert stored == truth and len(truth) >= 2


def test_item_3_a_dead_lettered_event_fetches_its_conversations_children(simulator, connect_front, migrated, variables):
    conversation = synced_company(simulator, connect_front, variables, seed=32)[0]
    simulator.mutate("assign", ids=[conversation])
    simulator.mutate("new_inbound", ids=[conversation])
    simulator.mutate("tag", ids=[conversation])  # a later event: the run's cursor moves over the bad one
    wait_past(simulator)
    simulator.set_faults(
        [{"endpoint": "/events", "kind": "bad_records", "variant": "missing_id", "count": 1, "times": 1}]
    )
    hourly()
    dead = query(migrated, "SELECT payload FROM front.dead_letters WHERE resource = 'events'")
    assert [d["payload"]["type"] for d in dead] == ["inbound"]  # the event that carried the message
    simulator.clear_faults()
    hourly()
    children()
    nightly_listing()
    children()
    truth, stored = children_of(simulator, migrated, "messages", conversation)
    assert stored == truth


def test_item_3_a_fetch_given_up_after_events_moved_on_leaves_the_marker_behind(
    simulator, connect_front, migrated, variables
):
    conversation = synced_company(simulator, connect_front, variables, seed=33)[0]
    simulator.set_faults(
        [{"endpoint": "/events", "kind": "bad_records", "variant": "event_preview", "count": 1, "times": 1}]
    )
    simulator.mutate("new_inbound", ids=[conversation])  # served as a preview: its message must be fetched
    wait_past(simulator)
    hourly()
    simulator.set_faults([{"endpoint": f"/conversations/{conversation}/messages", "kind": "status", "status": 500}])
    front = front_hook(connect_front, max_attempts=0)
    conn = psycopg.connect(migrated)
    assert drain(front, conn, MESSAGES, "r1", drain_settings(max_attempts=1)).dead_lettered_conversations == 1
    simulator.clear_faults()
    simulator.mutate("new_inbound", ids=[conversation])  # carried in full: would move the marker on
    wait_past(simulator)
    hourly()
    nightly_listing()
    children()
    truth, stored = children_of(simulator, migrated, "messages", conversation)
    assert stored == truth


def test_item_3_a_404_that_reverses_fetches_the_children_again(simulator, connect_front, migrated, variables):
    conversation = next(
        c
        for c in synced_company(simulator, connect_front, variables, seed=34, comments_per_conversation=2)
        if children_of(simulator, migrated, "comments", c)[0]
    )
    simulator.set_faults(
        [{"endpoint": f"/conversations/{conversation}/comments", "kind": "status", "status": 404, "times": 1}]
    )
    enqueue(migrated, "comments", [conversation])
    conn = psycopg.connect(migrated)
    assert drain(front_hook(connect_front, max_attempts=0), conn, COMMENTS, "r1", drain_settings()).missing == 1
    assert children_of(simulator, migrated, "comments", conversation)[1] == set()  # soft-deleted with it
    simulator.clear_faults()
    nightly_listing()  # Front lists the conversation again
    children()
    truth, stored = children_of(simulator, migrated, "comments", conversation)
    assert stored == truth and truth


# -- item 4: the list strategy under a cap ---------------------------------------------------------------------


def test_item_4_a_conversation_that_jumps_above_a_capped_listings_cursor_is_not_skipped(
    simulator, connect_front, migrated, variables
):
    changed, task = capped_list_sync(simulator, connect_front, variables, seed=41)
    assert execute(task)["capped"]
    # Between two capped runs: a conversation gets a reply (it jumps above the saved cursor, the resumed pass
    # never sees it), then one the pass has not reached yet is tagged (no bump: the pass sees its later time).
    jumped = next(c["id"] for c in simulator.truth("conversations")["_results"] if c["id"] not in changed)
    simulator.mutate("new_inbound", ids=[jumped])
    simulator.mutate("tag", ids=[changed[0]])
    wait_past(simulator)
    for _ in range(6):
        if not execute(task)["capped"]:
            break
    execute(task)  # the next pass, from the watermark the finished one left
    truth = {c["id"]: c for c in simulator.truth("conversations")["_results"]}
    stored = stored_raw(migrated, "conversations", [jumped, changed[0]])
    assert stored == {jumped: truth[jumped], changed[0]: truth[changed[0]]}


# -- item 10: children of a merged-away conversation -------------------------------------------------------------


def test_item_10_a_comment_front_dropped_right_after_a_merge_ends_soft_deleted(
    simulator, connect_front, migrated, variables
):
    ids = synced_company(simulator, connect_front, variables, seed=101)
    kinds = {c["id"]: c for c in simulator.truth("conversations")["_results"]}
    survivor, merged = [i for i in ids if kinds[i].get("type", "conversation") != "discussion"][:2]
    simulator.mutate("add_comments", ids=[merged])  # the merged-away conversation's newest comment
    wait_past(simulator)
    hourly()
    stored_under_merged = children_of(simulator, migrated, "comments", merged)[1]
    simulator.mutate("merge_conversations", ids=[survivor, merged])
    dropped = simulator.mutate("delete_comments", ids=[survivor])["comments"]
    assert set(dropped) <= stored_under_merged  # Front drops one of the comments it just moved
    wait_past(simulator)
    hourly()
    children()
    live = {r["id"] for r in query(migrated, "SELECT id FROM front.comments WHERE deleted_at IS NULL")}
    assert live == {c["id"] for c in simulator.truth("comments")["_results"]}
    assert not set(dropped) & live
