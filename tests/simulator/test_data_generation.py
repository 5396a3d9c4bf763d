"""The seeded data set: deterministic per seed, sized on request, realistic in its rough edges."""

from __future__ import annotations

from collections import Counter

import pytest

from front_simulator.data import SEED_END, SEED_START
from front_simulator.render import Renderer
from front_simulator.resources import generate

from .support import SEED, SIZES


def test_same_seed_same_data_over_http(api, control):
    first = {r: control.truth(r) for r in ("contacts", "conversations", "messages", "comments", "events", "tags")}
    control.reset(seed=SEED, sizes=SIZES)
    again = {r: control.truth(r) for r in first}
    assert first == again
    control.reset(seed=8, sizes={"contacts": 500})
    assert control.truth("contacts") != first["contacts"]


def test_same_mutations_same_result(api, control):
    def run():
        control.reset(seed=5, sizes={"contacts": 100, "conversations": 30})
        results = [
            control.mutate(action, count=3)
            for action in (
                "update_contacts",
                "delete_contacts",
                "new_inbound",
                "tag",
                "merge_conversations",
                "random_activity",
            )
        ]
        contacts = control.truth("contacts")["_results"]
        return [r["ids"] for r in results], [(c["id"], c["name"], c["handles"]) for c in contacts]

    assert run() == run()


def test_sizes_are_honoured_and_other_streams_unchanged():
    small = generate(3, {"contacts": 50, "conversations": 10})
    large = generate(3, {"contacts": 50, "conversations": 40})
    assert len(small.contacts) == len(large.contacts) == 50 and len(large.conversations) == 40
    assert [c.name for c in small.contacts.values()] == [c.name for c in large.contacts.values()]


def test_timestamps_in_the_past_with_at_most_three_decimals():
    data = generate(11, {"contacts": 300, "conversations": 100})
    stamps = (
        [c.updated_at for c in data.contacts.values()]
        + [m.created_at for m in data.messages.values()]
        + [e.emitted_at for e in data.events]
    )
    assert all(SEED_START <= s <= SEED_END + 2 * 86_400 for s in stamps)
    assert all(round(s, 3) == s for s in stamps)
    assert any(s == int(s) for s in stamps) and any(s != int(s) for s in stamps)


@pytest.fixture(scope="module")
def big():
    return generate(2, {"contacts": 2000, "conversations": 3000})


def test_messages_per_conversation_have_a_heavy_tail(big):
    counts = sorted(len(c.message_ids) for c in big.conversations.values())
    median = counts[len(counts) // 2]
    assert median <= 3 and counts[-1] >= 100 and sum(counts) / len(counts) >= 3


def test_rough_edges_appear_at_scale(big):
    renderer = Renderer(big, "http://localhost:1")
    drafts = [m for m in big.messages.values() if m.draft]
    assert drafts and renderer.message(drafts[0])["is_draft"] is True
    emails = [m for m in big.messages.values() if m.type == "email"][:6000]
    sizes = [len(renderer.message(m)["body"]) for m in emails]
    assert max(sizes) > 100_000 > sorted(sizes)[len(sizes) // 2]
    types = Counter(m.type for m in big.messages.values())
    assert {"email", "sms", "front_chat", "tweet", "custom"} <= set(types)
    tweet = renderer.message(next(m for m in big.messages.values() if m.type == "tweet"))
    assert tweet["body"] == tweet["text"] == "[REDACTED]" and {r["handle"] for r in tweet["recipients"]} == {
        "[REDACTED]"
    }
    roles = Counter(r["role"] for m in list(big.messages.values())[:3000] for r in renderer.message(m)["recipients"])
    assert set(roles) == {"from", "to", "cc", "bcc", "reply-to"}
    kinds = Counter(c.type for c in big.conversations.values())
    assert set(kinds) == {"conversation", "discussion", "task"}
