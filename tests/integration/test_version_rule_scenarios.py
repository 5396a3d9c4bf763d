"""Issue 19 item 1 end to end: the documented recovery paths never bring back an older view.

Real HTTP against the simulator, the real events path (from_events), the real children fetch (drain and its
fetch/load steps), real PostgreSQL. Re-reading an interval's events with `skip_applied=False` is what an
`airflow backfill create --reprocess-behavior completed` run of front_sync_incremental does.
"""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest

from front_sync.hooks.front import FrontHook
from front_sync.resources import COMMENTS, MESSAGES
from front_sync.sync import sub_resources
from front_sync.sync.conversation_changes import ChangeSet, ChangesResult, _flush_events, from_events
from front_sync.sync.sub_resources import DrainResult, DrainSettings, drain
from front_sync.warehouse import pending
from front_sync_testing.truth import query, small_account, wait_past

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server

SIZES = small_account(inboxes=1, channels=1, tags=2, messages_per_conversation=1, comments_per_conversation=0)


@pytest.fixture
def front(simulator, connect_front):
    simulator.reset(seed=31, sizes=SIZES)
    connect_front()
    return FrontHook()


def events_since(front, conn, run_id: str, lower: Decimal, upper: Decimal | None = None, *, again: bool = False):
    """One events run from `lower`; `again`: re-apply events already applied (a backfill re-run)."""
    return from_events(front, conn, run_id, lower, upper, batch_pages=4, cap=None, skip_applied=not again)


def newest_event(simulator) -> Decimal:
    return max(Decimal(str(e["emitted_at"])) for e in simulator.truth("events")["_results"])


def settings() -> DrainSettings:
    return DrainSettings(
        worker="test", priority=pending.Priority.HOURLY, workers=1, max_attempts=2, retry_after_seconds=0.5
    )


def two_conversations(simulator) -> tuple[str, str]:
    ids = sorted(c["id"] for c in simulator.truth("conversations")["_results"] if c["type"] == "conversation")
    return ids[0], ids[1]


def test_item1_a_backfill_reapply_after_a_merge_does_not_move_a_message_back(simulator, front, migrated):
    """A message created in X, X merged into S, the warehouse brought equal to Front; then the interval of the
    message's creation is re-applied: the message stays in S and X stays merged away (soft-deleted)."""
    survivor, merged = two_conversations(simulator)
    conn = psycopg.connect(migrated)
    lower = newest_event(simulator)
    wait_past(simulator)
    message_id = simulator.mutate("new_inbound", ids=[merged])["messages"][0]
    created_at = newest_event(simulator)
    events_since(front, conn, "hourly-1", lower)
    assert query(migrated, "SELECT conversation_id FROM front.messages WHERE id = %s", (message_id,)) == [
        {"conversation_id": merged}
    ]
    wait_past(simulator)
    simulator.mutate("merge_conversations", ids=[survivor, merged])
    events_since(front, conn, "hourly-2", created_at)
    drain(front, conn, MESSAGES, "hourly-2", settings())
    assert query(migrated, "SELECT conversation_id FROM front.messages WHERE id = %s", (message_id,)) == [
        {"conversation_id": survivor}
    ]

    again = events_since(front, conn, "backfill", lower, created_at + Decimal("0.001"), again=True)
    assert query(migrated, "SELECT conversation_id FROM front.messages WHERE id = %s", (message_id,)) == [
        {"conversation_id": survivor}
    ]
    assert query(
        migrated, "SELECT deleted_at IS NOT NULL AS gone FROM front.conversations WHERE id = %s", (merged,)
    ) == [{"gone": True}]
    assert again.carried_loaded.counts["stale"] >= 1 and again.loaded.counts["stale"] >= 1


def test_item1_a_comment_deleted_in_front_and_seen_gone_by_a_complete_fetch_stays_deleted(simulator, front, migrated):
    conversation, _ = two_conversations(simulator)
    conn = psycopg.connect(migrated)
    lower = newest_event(simulator)
    wait_past(simulator)
    comment_id = simulator.mutate("add_comments", ids=[conversation])["comments"][0]
    events_since(front, conn, "hourly-1", lower)
    assert query(migrated, "SELECT deleted_at FROM front.comments WHERE id = %s", (comment_id,)) == [
        {"deleted_at": None}
    ]
    simulator.mutate("delete_comments", ids=[conversation])
    with conn.cursor() as cur:
        pending.enqueue(cur, COMMENTS.name, [conversation], "nightly")
    conn.commit()
    assert drain(front, conn, COMMENTS, "nightly", settings()).records_deleted == 1

    events_since(front, conn, "backfill", lower, again=True)
    assert query(
        migrated, "SELECT deleted_at IS NOT NULL AS gone FROM front.comments WHERE id = %s", (comment_id,)
    ) == [{"gone": True}]


def test_item1_a_children_fetch_that_began_before_an_events_write_does_not_overwrite_it(simulator, front, migrated):
    """The fetch asks Front first; an event emitted after that carries a newer copy (a pinned, edited comment) and
    is written first; the fetch's older copy, loaded last, is stale."""
    conversation, _ = two_conversations(simulator)
    conn = psycopg.connect(migrated)
    lower = newest_event(simulator)
    wait_past(simulator)
    simulator.mutate("add_comments", ids=[conversation])
    events_since(front, conn, "hourly-1", lower)
    fetched = sub_resources._fetch(front, COMMENTS, conversation)
    (record,) = fetched.records
    wait_past(simulator)
    newer = {**record, "is_pinned": True, "body": "Edited after the fetch asked"}
    changes = ChangeSet()
    changes.add_page(
        [
            {
                "id": "evt_pin",
                "type": "comment",
                "emitted_at": newest_event(simulator) + 1,
                "conversation": {"id": conversation, "updated_at": 1, "created_at": 1},
                "target": {"_meta": {"type": "comment"}, "data": newer},
            }
        ]
    )
    _flush_events(conn, changes, "hourly-2", ChangesResult(), None, born_after=Decimal(0))
    result = DrainResult()
    sub_resources._load(conn, COMMENTS, "children", pending.Claim(conversation, 1, 1), fetched, result)
    assert result.loaded.counts["stale"] == 1
    assert query(migrated, "SELECT is_pinned, body FROM front.comments WHERE id = %s", (record["id"],)) == [
        {"is_pinned": True, "body": "Edited after the fetch asked"}
    ]
