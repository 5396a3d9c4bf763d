"""Saved page links whose token expired (issue 19, checkpoints): the listing restarts instead of failing forever.

Front's NOTES say nothing about how long a page token lives; we assume it may expire and answer 400 (or 404).
The simulator's `expire_page_tokens` control invalidates every token handed out so far, the data unchanged.
"""

from __future__ import annotations

import logging

import psycopg
import pytest

from front_sync.hooks.front import FrontHook
from front_sync.sync import conversation_changes
from front_sync.warehouse import checkpoints, migrations
from front_sync_testing.truth import assert_matches_truth

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server


@pytest.fixture
def migrated(warehouse, warehouse_url):
    migrations.migrate(warehouse)
    return warehouse_url


def test_checkpoint_with_an_expired_page_token_restarts_the_listing_with_a_log_line(
    simulator, connect_front, migrated, caplog
):
    """Issue 19 (checkpoints): a capped listing saved Front's next link; the token expires before the next run.
    That run must start the listing over (one clear log line) and finish it, not fail on the 400 every time."""
    simulator.reset(
        seed=71,
        sizes={
            "contacts": 5,
            "conversations": 20,
            "teammates": 2,
            "inboxes": 1,
            "channels": 1,
            "tags": 2,
            "contact_lists": 1,
        },
    )
    connect_front(page_limit=5)
    conn = psycopg.connect(migrated)
    key = checkpoints.CheckpointKey("front_sync_incremental", "conversations", "listing")

    def listing():
        return conversation_changes.from_listing(FrontHook(), conn, "r1", None, batch_pages=1, cap=5, key=key)

    assert listing().capped
    assert "page_token=" in checkpoints.load(conn, key)["next"]
    simulator.expire_page_tokens()
    with caplog.at_level(logging.WARNING, logger="front_sync.hooks.pagination"):
        for _ in range(10):
            if not listing().capped:
                break
    restarts = [r.getMessage() for r in caplog.records if "restarting this listing" in r.getMessage()]
    assert len(restarts) == 1 and "GET /conversations" in restarts[0] and "page_token" not in restarts[0]
    assert checkpoints.load(conn, key) is None
    assert_matches_truth(simulator, migrated, {"conversations": "conversations"})
