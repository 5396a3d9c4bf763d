"""Issue 19 "Prove it", the version rule's tie: a model-based test (Hypothesis) of records that have updated_at but
change some embedded fields without moving it, as Front does when a tag is renamed.

Conversations observed at time t have updated_at u(t) = the last multiple of 4 at or before t, and their embedded
tag's name is a function of t (renamed in between without an updated_at). Random batches of views, out of order,
re-applied, several in one batch and two loads at once on two connections go through the real loader against the
real PostgreSQL. After EVERY step every row holds the view with the newest (updated_at, observation time): the
model is a dict of those.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from front_sync.resources import CONVERSATIONS
from front_sync.warehouse.load import load_batch
from front_sync.warehouse.prepare import View

from . import records as r
from .records import fetch
from .test_version_model import run_concurrently

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server

IDS = ("cnv_a", "cnv_b")
BASE = Decimal(1_701_000_000)
times = st.integers(min_value=1, max_value=12)
views = st.tuples(st.sampled_from(IDS), times)
steps = st.one_of(
    st.tuples(st.just("load"), st.lists(views, min_size=1, max_size=4)),
    st.tuples(st.just("race"), views, views),
)


def updated_at(t: int) -> int:
    return t - t % 4


def view_of(conversation_id: str, t: int) -> dict:
    """The conversation as Front showed it at observation time t: updated_at moves every 4, the tag's name every 1."""
    record = r.conversation(conversation_id, updated_at=str(BASE + updated_at(t)))
    return {**record, "tags": [{**r.tag("tag_1"), "name": f"tag as of {t}"}]}


def load(conn, pairs: list[tuple[str, int]], run_id: str) -> None:
    """One batch, each record observed at its own time (as the events path sends them)."""
    load_batch(
        conn, CONVERSATIONS, [view_of(i, t) for i, t in pairs], run_id, view=View(each=[BASE + t for _, t in pairs])
    )


def stored(conn) -> dict[str, tuple[Decimal, Decimal, str]]:
    rows = fetch(
        conn,
        "SELECT c.id, c.view_at, c.observed_at, t.name FROM front.conversations AS c "
        "JOIN front.conversation_tags AS t ON t.conversation_id = c.id",
    )
    return {i: (view_at, observed_at, name) for i, view_at, observed_at, name in rows}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(steps, min_size=1, max_size=10))
def test_of_views_with_the_same_updated_at_the_latest_observation_stays(migrated, migrated_url, plan):
    with migrated.cursor() as cur:
        cur.execute("TRUNCATE front.conversations, front.conversation_tags, front.sync_conflicts, front.dead_letters")
    migrated.commit()
    newest: dict[str, int] = {}
    for n, step in enumerate(plan):
        if step[0] == "load":
            load(migrated, step[1], f"load{n}")
            applied = step[1]
        else:
            run_concurrently(migrated_url, [(load, [step[1]]), (load, [step[2]])])
            applied = [step[1], step[2]]
        for conversation_id, t in applied:
            newest[conversation_id] = max(newest.get(conversation_id, t), t)
        expected = {i: (BASE + updated_at(t), BASE + t, f"tag as of {t}") for i, t in newest.items()}
        assert stored(migrated) == expected, f"after step {n} {step}"
