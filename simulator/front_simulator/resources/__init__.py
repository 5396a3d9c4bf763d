"""The simulator's one resource table, and what is generic over it: sizes, generation, truth, endpoints.

``RESOURCES`` holds every row (``front_simulator.table.Resource``), by family module, in generation order
(a row's step may read what the rows before it generated). The routes (``front_simulator.app``) register
each row's list and get paths; ``truth()`` renders each row's records; ``generate()`` runs each row's step.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping
from typing import Any

from front_simulator.data import Dataset, Generator
from front_simulator.resources import contacts, conversations, directory, events
from front_simulator.resources.conversations import survivor_of
from front_simulator.table import Resource

RESOURCES: tuple[Resource, ...] = (*directory.ROWS, *contacts.ROWS, *conversations.ROWS, *events.ROWS)
BY_NAME: dict[str, Resource] = {r.name: r for r in RESOURCES}
SIZE_DEFAULTS: dict[str, float] = {key: value for r in RESOURCES for key, value in r.sizes.items()}

SEARCH_TEMPLATE = "/conversations/search/{query}"  # a listing of conversations, not a row of its own


def _paths(resource: Resource) -> list[str]:
    return [p for p in (resource.path, *resource.aliases, resource.get_path) if p]


# Endpoint templates: fixed paths first, so /contacts/custom_fields is not taken for /contacts/{id}.
TEMPLATES: tuple[str, ...] = (
    *(p for r in RESOURCES for p in _paths(r) if "{" not in p),
    SEARCH_TEMPLATE,
    *(p for r in RESOURCES for p in _paths(r) if "{" in p),
)


def normalize_sizes(sizes: Mapping[str, Any] | None) -> dict[str, float]:
    """Merge requested sizes over the defaults; reject unknown keys and negative values."""
    merged = dict(SIZE_DEFAULTS)
    for key, value in (sizes or {}).items():
        if key not in SIZE_DEFAULTS:
            raise ValueError(f"unknown size {key!r}; known: {', '.join(sorted(SIZE_DEFAULTS))}")
        if value is None or float(value) < 0:
            raise ValueError(f"size {key!r} must be a number >= 0")
        merged[key] = float(value) if key.endswith("_per_conversation") else int(value)
    return merged


def generate(seed: int, sizes: Mapping[str, Any] | None = None) -> Dataset:
    """Generate the whole company for ``seed`` and ``sizes`` (missing sizes take SIZE_DEFAULTS)."""
    generator = Generator(seed, normalize_sizes(sizes))
    # Hundreds of thousands of small objects: the cyclic GC would rescan them over and over.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for resource in RESOURCES:
            if resource.generate is not None:
                resource.generate(generator)
    finally:
        if was_enabled:
            gc.enable()
    return generator.data


def merges(state: Any) -> dict[str, Any]:
    data = state.data
    return {
        "conversations": {c.id: survivor_of(state, c.id) for c in data.conversations.values() if c.merged_into},
        "contacts": {c.id: c.merged_into for c in data.contacts.values() if c.merged_into},
    }


# Truths that are not records of a row: merges, and the ids of deleted records per row that has deletions.
TRUTH_EXTRAS = {
    "merges": merges,
    **{
        f"deleted_{r.name}": (lambda state, r=r: {"_results": r.deleted(state)})
        for r in RESOURCES
        if r.deleted is not None
    },
}
TRUTH_NAMES: tuple[str, ...] = (*(r.name for r in RESOURCES if r.records is not None), *TRUTH_EXTRAS)


def truth(state: Any, name: str, viewer: str | None = None) -> dict[str, Any]:
    """Every current record of a resource exactly as the API renders it (``{"_results": [...]}``), as the static
    token sees them or (``viewer="oauth"``) as an OAuth access token does."""
    if name in TRUTH_EXTRAS:
        return TRUTH_EXTRAS[name](state)
    resource = BY_NAME.get(name)
    if resource is None or resource.records is None:
        raise KeyError(name)
    records = resource.visible(viewer, resource.records(state))
    return {"_results": [resource.render(state.renderer, record) for record in records]}
