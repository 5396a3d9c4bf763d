"""What every renderer family shares: the dataset, the company host for links, text helpers."""

from __future__ import annotations

import random
from typing import Any

from front_simulator import words
from front_simulator.data import Dataset

REDACTED = "[REDACTED]"


def pick(rng: random.Random, seq: Any) -> Any:
    return seq[int(rng.random() * len(seq))]


def sentence(rng: random.Random, low: int = 4, high: int = 14) -> str:
    text = " ".join(pick(rng, words.WORDS) for _ in range(rng.randrange(low, high)))
    if rng.random() < 0.15:
        text += " " + pick(rng, words.EMOJI)
    return text.capitalize() + "."


class RendererBase:
    """The state every family of ``Renderer`` methods reads: records, the link base, tag children."""

    def __init__(self, data: Dataset, link_base: str):
        self.data = data
        self.base = link_base.rstrip("/")
        self.tag_children: dict[str, list[str]] = {}
        self.rebuild_tag_children()

    def rebuild_tag_children(self) -> None:
        children: dict[str, list[str]] = {}
        for tag in self.data.tags.values():
            if not tag.deleted and tag.parent_id:
                children.setdefault(tag.parent_id, []).append(tag.id)
        self.tag_children = children
