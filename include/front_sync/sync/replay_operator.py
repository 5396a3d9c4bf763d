"""The dead-letter replay task with the sync's own appliers: dead-lettered events go through the events path."""

from __future__ import annotations

from front_sync.ops.operators import ReplayDeadLettersOperator
from front_sync.sync.conversation_changes import replay_event

REPLAYABLE_EVENTS = "events"  # the dead_letters.resource of bad events (conversation_changes._flush_events)


class ReplayOperator(ReplayDeadLettersOperator):
    """ReplayDeadLettersOperator that also replays dead-lettered events (issue 19 item 7)."""

    appliers = {REPLAYABLE_EVENTS: replay_event}
