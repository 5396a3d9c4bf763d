"""Re-sync from a point in time (issue 19 item 8), through real runs of front_sync_incremental.

Setting the conversations watermark back used to do nothing for conversations within a day: their events were
skipped as applied (front.applied_events), so rows lost or damaged since the point stayed wrong. The incremental
DAG's `resync_from` param sets the watermark back, forgets the events applied since and queues the children
changed since; the run that claims success must leave the warehouse equal to Front.
"""

from __future__ import annotations

import time
from decimal import Decimal

import psycopg
import pytest

from front_sync.sync.watermarks import parse
from front_sync_testing.truth import SIZES, assert_matches_truth, query, run, wait_past

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server

CONVERSATION_TABLES = {"conversations": "conversations", "messages": "messages", "comments": "comments"}
WATERMARK = "front_sync.watermark.conversations"


def test_item8_resync_from_a_point_in_time_restores_what_changed_since(dags, simulator, warehouse_url, clean_variables):
    """Issue 19 item 8: after a re-sync from a point in time, the run's end state equals Front for every
    conversation, message and comment changed since the point, although each event was applied once already."""
    simulator.reset(seed=61, sizes={**SIZES, "contacts": 20, "conversations": 12, "messages_per_conversation": 2})
    incremental = dags["front_sync_incremental"]
    assert run(incremental).state == "success"  # the initial load
    point = Decimal(str(time.time())).quantize(Decimal("0.001"))
    ids = [c["id"] for c in simulator.truth("conversations")["_results"][:4]]
    simulator.mutate("add_comments", ids=ids[:2])
    simulator.mutate("new_inbound", ids=ids[2:])
    simulator.mutate("tag", ids=ids[:1])
    wait_past(simulator)
    assert run(incremental).state == "success"
    assert_matches_truth(simulator, warehouse_url, CONVERSATION_TABLES)

    # A bug since fixed damaged what the runs after the point wrote: the new comments and messages are gone, a
    # conversation's row is wrong.
    with psycopg.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute("SET LOCAL front_sync.writer = 'on'")  # the damage is the sync's own, not a local edit
        cur.execute("DELETE FROM front.comments WHERE posted_at >= %s", (point,))
        lost = cur.rowcount
        cur.execute("DELETE FROM front.messages WHERE created_at >= %s", (point,))
        lost += cur.rowcount
        cur.execute("UPDATE front.conversations SET subject = 'damaged', row_hash = '' WHERE id = %s", (ids[0],))
    assert lost >= 4
    mark = parse(clean_variables.get(WATERMARK), "conversations")
    assert mark is not None and mark > point

    wait_past(simulator)
    assert run(incremental, resync_from=str(point)).state == "success"
    assert_matches_truth(simulator, warehouse_url, CONVERSATION_TABLES)
    damaged = query(warehouse_url, "SELECT subject FROM front.conversations WHERE id = %s", (ids[0],))[0]
    truth = next(c for c in simulator.truth("conversations")["_results"] if c["id"] == ids[0])
    assert damaged["subject"] == truth["subject"]
    assert parse(clean_variables.get(WATERMARK), "conversations") >= mark  # caught up again
    resets = query(
        warehouse_url,
        "SELECT value_before, value_after FROM front.watermark_changes"
        " WHERE resource = 'conversations' AND reason = 'reset'",
    )
    assert [(r["value_before"], r["value_after"]) for r in resets] == [(mark, point)]
    assert query(warehouse_url, "SELECT count(*) AS n FROM front.sync_pending")[0]["n"] == 0


def test_an_old_event_snapshot_with_the_same_updated_at_does_not_undo_a_repair(
    dags, simulator, warehouse_url, clean_variables
):
    """Issue 19, the version rule's tie (found by the full soak): Front renames a tag without changing the
    `updated_at` of the conversations carrying it; the nightly listing repairs their embedded tags; a re-sync from a
    point before then re-applies the tag event's snapshot, which has the same `updated_at` but the old name. It must
    not win: the warehouse must still equal Front when the re-sync run claims success."""
    simulator.reset(seed=62, sizes={**SIZES, "contacts": 20, "conversations": 12, "messages_per_conversation": 2})
    incremental = dags["front_sync_incremental"]
    assert run(incremental).state == "success"  # the initial load
    point = Decimal(str(time.time())).quantize(Decimal("0.001"))
    conversation = simulator.truth("conversations")["_results"][0]["id"]
    simulator.mutate("tag", ids=[conversation])
    wait_past(simulator)
    assert run(incremental).state == "success"  # the tag event, its snapshot carrying the tag's name
    tags = [
        t["id"]
        for t in next(c for c in simulator.truth("conversations")["_results"] if c["id"] == conversation)["tags"]
    ]
    simulator.mutate("rename_tags", ids=tags)  # no event, no updated_at of the conversation moves
    wait_past(simulator)
    assert dags["front_sync_full"].test().state == "success"  # the nightly listing repairs the embedded names
    assert_matches_truth(simulator, warehouse_url, CONVERSATION_TABLES)
    wait_past(simulator)
    assert run(incremental, resync_from=str(point)).state == "success"
    assert_matches_truth(simulator, warehouse_url, CONVERSATION_TABLES)
