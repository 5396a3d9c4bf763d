"""Fetching children concurrently without stalls: a slow or retrying conversation holds back only itself.

Real PostgreSQL, real HTTP against the simulator, the real drain. The order of loads is read from the warehouse
(each conversation's messages commit in their own transaction, stamped with its start time), never from wall-
clock thresholds; the timing targets are the benchmark's (bench/bench_backfill_faults.py).
"""

from __future__ import annotations

import psycopg
import pytest

from front_sync.hooks.front import FrontAPIError, FrontHook
from front_sync.resources import COMMENTS, MESSAGES
from front_sync.sync.sub_resources import drain
from front_sync.warehouse import migrations
from front_sync_testing.truth import assert_matches_truth, query, small_account

from .queueing import drain_settings, queue

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server

SMALL = small_account(conversations=20)
# The fault mix, denser so that a short run meets every kind: 5xx, burst 429s, resets, truncated bodies.
FAULT_MIX = [
    {"kind": "status", "status": 503, "probability": 0.08},
    {"kind": "status", "status": 502, "body": "html", "probability": 0.04},
    {"kind": "rate_limit", "remaining": 50, "retry_after": 0.2, "probability": 0.08},
    {"kind": "reset", "probability": 0.04},
    {"kind": "truncate", "mode": "body", "probability": 0.06},
]


@pytest.fixture
def migrated(warehouse, warehouse_url):
    migrations.migrate(warehouse)
    return warehouse_url


def settings(**overrides):
    return drain_settings(**{"worker": "test", "workers": 2, "retry_after_seconds": 0.2, **overrides})


def loaded_at(url) -> dict[str, object]:
    """When each conversation's messages were first loaded (the load transaction's start)."""
    rows = query(url, "SELECT conversation_id, min(first_synced_at) AS at FROM front.messages GROUP BY 1")
    return {r["conversation_id"]: r["at"] for r in rows}


def test_a_retrying_conversation_does_not_hold_back_the_others(simulator, connect_front, migrated):
    simulator.reset(seed=21, sizes=SMALL)
    ids = sorted(c["id"] for c in simulator.truth("conversations")["_results"])
    slow = ids[0]  # claimed first (same priority and request time: by id)
    # Its first two tries fail: it waits out backoffs of 1-2 s and 2-3 s while the others are fetched.
    simulator.set_faults(
        [{"endpoint": f"/conversations/{slow}/messages", "kind": "status", "status": 503, "on_calls": [1, 2]}]
    )
    connect_front(breaker_failures=100)
    queue(migrated, "messages", ids)
    result = drain(FrontHook(), psycopg.connect(migrated), MESSAGES, "r1", settings())

    assert result.conversations == len(ids) and result.failed == 0
    at = loaded_at(migrated)
    with_messages = set(at) - {slow}
    assert slow in at and len(with_messages) >= len(ids) - 3
    assert all(at[other] < at[slow] for other in with_messages)  # every other conversation was loaded first
    assert_matches_truth(simulator, migrated, {"messages": "messages"})


def test_under_the_fault_mix_the_drains_load_exactly_the_truth(simulator, connect_front, migrated):
    simulator.reset(seed=22, sizes={**SMALL, "conversations": 30, "messages_per_conversation": 4})
    ids = [c["id"] for c in simulator.truth("conversations")["_results"]]
    simulator.set_faults([{**rule, "endpoint": "/conversations/*"} for rule in FAULT_MIX])
    connect_front(breaker_failures=100)
    conn = psycopg.connect(migrated)
    for resource in (MESSAGES, COMMENTS):
        queue(migrated, resource.name, ids)
        assert drain(FrontHook(), conn, resource, "r1", settings(workers=4)).failed == 0
    served = simulator.stats()["totals"]
    simulator.clear_faults()
    assert served["faults_served"] >= 10 and served["429s"] >= 1
    assert_matches_truth(simulator, migrated, {"messages": "messages", "comments": "comments"})
    assert query(migrated, "SELECT count(*) AS n FROM front.sync_pending")[0]["n"] == 0


def test_an_outage_hands_every_claim_back_uncounted_and_fails_the_task(simulator, connect_front, migrated):
    simulator.reset(seed=23, sizes=SMALL)
    ids = sorted(c["id"] for c in simulator.truth("conversations")["_results"])
    simulator.set_faults([{"kind": "status", "status": 503}])  # every endpoint, GET /me too
    connect_front(max_attempts=0, breaker_failures=1000)
    queue(migrated, "messages", ids)
    with pytest.raises(FrontAPIError, match="in a row failed .* GET /me"):
        drain(FrontHook(), psycopg.connect(migrated), MESSAGES, "r1", settings(max_attempts=1))
    rows = query(migrated, "SELECT attempts, claimed_by, last_error FROM front.sync_pending")
    assert len(rows) == len(ids)
    assert all(r["attempts"] == 0 and r["claimed_by"] is None and r["last_error"] is None for r in rows)
    assert query(migrated, "SELECT count(*) AS n FROM front.dead_letters")[0]["n"] == 0
