"""The control API's mutations: changes to the company that emit the events Front would (README "Mutations").

Every action is a function ``(state, count, ids, params) -> result`` in a family module; ``MUTATIONS`` maps
action names to them. They draw from the state's seeded RNG, so the same seed and sequence of mutations
give the same result.
"""

from __future__ import annotations

from typing import Any

from front_simulator.mutations import contacts, conversations, directory, messages
from front_simulator.mutations.common import Mutation, MutationError

__all__ = ["CONVERSATION_CHANGES", "MUTATIONS", "MutationError", "apply"]

# Every kind of conversation change (each emits the events Front would): what a demo or an end-to-end test runs
# once each to show that every path reaches the warehouse.
CONVERSATION_CHANGES = (
    "new_inbound",
    "new_outbound",
    "new_out_reply",
    "add_comments",
    "tag",
    "untag",
    "assign",
    "unassign",
    "archive",
    "reopen",
    "trash",
    "restore",
    "merge_conversations",
    "update_conversation_custom_fields",
    "move",
    "new_conversations",
)

# The mix of random_activity: conversation and contact changes, weighted like a working support team.
ACTIVITY_MIX = (
    ("new_inbound", 30),
    ("new_out_reply", 20),
    ("new_conversations", 8),
    ("add_comments", 10),
    ("tag", 6),
    ("untag", 3),
    ("assign", 5),
    ("unassign", 2),
    ("archive", 8),
    ("reopen", 2),
    ("trash", 1),
    ("restore", 1),
    ("update_conversation_custom_fields", 2),
    ("update_contacts", 10),
    ("create_contacts", 2),
)


def random_activity(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    """A realistic mix of the conversation and contact mutations, ``count`` of them."""
    actions = [name for name, _ in ACTIVITY_MIX]
    weights = [weight for _, weight in ACTIVITY_MIX]
    ids_out: list[str] = []
    events: list[str] = []
    performed: dict[str, int] = {}
    for _ in range(count):
        action = state.rng.choices(actions, weights)[0]
        try:
            result = MUTATIONS[action](state, 1, None, {})
        except MutationError:
            continue
        performed[action] = performed.get(action, 0) + 1
        ids_out.extend(result.get("ids", []))
        events.extend(result.get("events", []))
    return {"ids": ids_out, "events": events, "performed": performed}


MUTATIONS: dict[str, Mutation] = {
    m.__name__: m
    for m in (*contacts.ACTIONS, *messages.ACTIONS, *conversations.ACTIONS, *directory.ACTIONS, random_activity)
}


def apply(state: Any, action: str, params: dict[str, Any]) -> dict[str, Any]:
    """Validate and apply one mutation under the state's lock; the result always has ``ids`` and ``events``."""
    handler = MUTATIONS.get(action)
    if handler is None:
        raise MutationError(f"unknown action {action!r}; known: {', '.join(MUTATIONS)}")
    count = params.get("count", 1)
    if not isinstance(count, int) or count < 0:
        raise MutationError("count must be an integer >= 0")
    ids = params.get("ids")
    if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, str) for i in ids)):
        raise MutationError("ids must be a list of strings")
    with state.lock:
        result = handler(state, count, ids, params)
    result.setdefault("events", [])
    return result
