"""The mutation schedule of the real-time benchmark: which simulator mutations, and when (pure, unit-tested)."""

from __future__ import annotations

from dataclasses import dataclass

from front_simulator.mutations import CONVERSATION_CHANGES

# Every simulator mutation that emits an event, hence a webhook (simulator README "Mutations"): the conversation
# changes; contact, tag, link, account and team edits emit none (as in Front) and are left to the hourly and nightly
# runs.
EVENT_KINDS = CONVERSATION_CHANGES


@dataclass(frozen=True)
class Planned:
    """One mutation: its offset from the phase start (seconds) and the simulator action."""

    at: float
    action: str


def schedule(count: int, seconds: float, kinds: tuple[str, ...] = EVENT_KINDS, start: int = 0) -> list[Planned]:
    """`count` mutations spread evenly over `seconds`, cycling through `kinds` from position `start` (a later
    phase continues the cycle, so every kind is exercised in turn)."""
    if count <= 0:
        return []
    if seconds < 0:
        raise ValueError("seconds must be >= 0")
    step = seconds / count
    return [Planned(round(i * step, 6), kinds[(start + i) % len(kinds)]) for i in range(count)]


def steady(seconds: float, rate: float, start: int = 0) -> list[Planned]:
    """The steady phase: `rate` mutations a second for `seconds`."""
    if rate <= 0:
        raise ValueError("rate must be > 0")
    return schedule(int(round(seconds * rate)), seconds, start=start)


def burst(count: int, seconds: float, start: int = 0) -> list[Planned]:
    """The burst phase: `count` mutations within `seconds`."""
    return schedule(count, seconds, start=start)
