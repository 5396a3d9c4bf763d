"""The simulator's state: the seeded company, its sorted indexes and encoded-record cache, truth, mutations.

One ``SimulatorState`` per server. HTTP handlers and the control API call into it under ``lock``. What is
particular to a resource lives in its row of the table (``front_simulator.resources``) and in the mutations
(``front_simulator.mutations``); this class only holds data and the caches every resource shares.
Mutations use a seeded RNG owned by the state, so the same seed and the same sequence of mutations give
the same result; their timestamps come from the (injectable) wall clock, strictly increasing.
"""

from __future__ import annotations

import random
import threading
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import msgspec

from front_simulator import mutations, resources
from front_simulator.data import SEED_END, Dataset
from front_simulator.faults import FaultInjector
from front_simulator.mutations import MutationError
from front_simulator.oauth import OAuthServer
from front_simulator.pagination import Index
from front_simulator.ratelimit import RateLimiter
from front_simulator.render import Renderer
from front_simulator.schema_drift import SchemaDrift
from front_simulator.stats import Stats
from front_simulator.table import Resource
from front_simulator.webhooks import WebhookHub

_encode = msgspec.json.Encoder().encode

__all__ = ["MutationError", "SimulatorState"]


class SimulatorState:
    """Data, indexes and caches, plus the rate limiter, faults and stats of one server."""

    def __init__(
        self,
        seed: int = 1,
        sizes: dict[str, Any] | None = None,
        *,
        link_base: str = "http://localhost",
        clock: Callable[[], float] = time.time,
        company_id: str | None = None,
    ):
        self.lock = threading.RLock()
        self.fixed_company_id = company_id  # None: the seed's own (what /me answers)
        self.clock = clock
        self.link_base = link_base.rstrip("/")
        self.stats = Stats()
        self.limiter = RateLimiter(clock)
        self.faults = FaultInjector(seed)
        self.oauth = OAuthServer(clock=clock)  # kept across resets: a data reset does not disconnect the app
        self.schema_drift = SchemaDrift()
        self.generation = 0
        self.webhooks = WebhookHub(seed, lambda: self.company_id)  # kept across resets, like the app's OAuth
        self.reset(seed, sizes)

    # -- lifecycle --------------------------------------------------------------------------------

    def reset(self, seed: int, sizes: dict[str, Any] | None = None) -> None:
        """Regenerate the company; clears stats, faults, rate-limit counters and queued webhooks (settings and
        webhook registrations are kept)."""
        normalized = resources.normalize_sizes(sizes)
        data = resources.generate(seed, normalized)
        if self.fixed_company_id:
            data.company["id"] = self.fixed_company_id
        with self.lock:
            self.seed = int(seed)
            self.sizes = normalized
            self.data: Dataset = data
            self.generation += 1
            self.rng = random.Random(f"{seed}:mutations")
            self.last_stamp = SEED_END + 3 * 86_400.0  # mutations always come after the seeded history
            self.renderer = Renderer(data, self.link_base)
            self.encoded_cache: dict[tuple[str, str], bytes] = {}
            self.versions: dict[str, int] = {}
            self._indexes: dict[str, tuple[int, Index]] = {}
            self.event_index = Index.build(data.events, lambda e: (e.emitted_at, e.num))
            self.stats.reset()
            self.faults.clear(seed)
            self.schema_drift.clear()
            self.limiter.reset_counters()
            self.webhooks.reset(seed)

    @property
    def company_id(self) -> str:
        """The Front company: ``/me``'s id and ``authorization.id`` of every webhook."""
        return self.data.company["id"]

    def expire_page_tokens(self) -> int:
        """Invalidate every page token handed out so far (Front's may expire; the data stays): they answer 400."""
        with self.lock:
            self.generation += 1
            return self.generation

    def set_link_base(self, link_base: str) -> None:
        with self.lock:
            self.link_base = link_base.rstrip("/")
            self.renderer = Renderer(self.data, self.link_base)
            self.encoded_cache.clear()

    def stamp(self) -> float:
        """A mutation timestamp: wall clock, 3 decimals, strictly greater than every earlier stamp."""
        value = round(max(self.clock(), self.last_stamp + 0.001), 3)
        if value <= self.last_stamp:
            value = round(self.last_stamp + 0.001, 3)
        self.last_stamp = value
        return value

    # -- sorted indexes -----------------------------------------------------------------------------

    def sorted_index(self, name: str, attr: str, items: Iterable[Any]) -> Index:
        """The records of resource ``name`` sorted by ``(attr, id)``, cached until the resource is touched."""
        key = f"{name}:{attr}"
        version = self.versions.get(name, 0)
        cached = self._indexes.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
        index = Index.build(list(items), lambda record: (getattr(record, attr), record.id))
        self._indexes[key] = (version, index)
        return index

    def touch(self, name: str) -> None:
        """Records of ``name`` changed in ways that move them in its indexes: rebuild them when next asked."""
        self.versions[name] = self.versions.get(name, 0) + 1

    def _current(self, name: str, attr: str) -> Index | None:
        cached = self._indexes.get(f"{name}:{attr}")
        return cached[1] if cached is not None and cached[0] == self.versions.get(name, 0) else None

    def move_sorted(self, name: str, record: Any, attr: str, value: Any) -> None:
        """Set ``record.<attr>`` and move it within a cached index instead of re-sorting 100,000 keys."""
        index = self._current(name, attr)
        if index is not None:
            _index_move(index, (getattr(record, attr), record.id), (value, record.id), record)
        setattr(record, attr, value)

    def add_sorted(self, name: str, record: Any, attrs: Sequence[str]) -> None:
        """Insert a new record into the cached indexes of ``name`` by each of ``attrs``."""
        for attr in attrs:
            index = self._current(name, attr)
            if index is not None:
                _index_move(index, None, (getattr(record, attr), record.id), record)

    # -- rendering ----------------------------------------------------------------------------------

    def encode(self, resource: Resource, record: Any, render: Callable | None = None) -> bytes:
        """A record's JSON; cached per record for rows with ``cache_encoded`` until ``forget``."""
        if not resource.cache_encoded or render is not None or resource.name in self.schema_drift.rules:
            rendered = (render or resource.render)(self.renderer, record)
            return _encode(self.schema_drift.apply(resource.name, rendered))
        key = (resource.name, record.id)
        cached = self.encoded_cache.get(key)
        if cached is None:
            cached = self.encoded_cache[key] = _encode(resource.render(self.renderer, record))
        return cached

    def forget(self, name: str, record_ids: Iterable[str]) -> None:
        """Drop the encoded form of changed records."""
        for record_id in record_ids:
            self.encoded_cache.pop((name, record_id), None)

    # -- truth and mutations ------------------------------------------------------------------------

    def truth(self, name: str, viewer: str | None = None) -> dict[str, Any]:
        """Every current record of a resource exactly as the API renders it (``{"_results": [...]}``); ``viewer``
        "oauth": as an OAuth access token sees them."""
        return resources.truth(self, name, viewer)

    def mutate(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """Apply one control-API mutation; returns at least ``{"ids": [...changed ids...], "events": [...]}``."""
        return mutations.apply(self, action, params)


def _index_move(index: Index, old: tuple[Any, Any] | None, new: tuple[Any, Any], item: Any) -> None:
    """Remove ``old`` (if given) from a sorted index and insert ``new``, keeping the three lists aligned."""
    if old is not None:
        pos = bisect_left(index.keys, old)
        if pos < len(index.keys) and index.keys[pos] == old:
            del index.keys[pos], index.values[pos], index.items[pos]
    pos = bisect_right(index.keys, new)
    index.keys.insert(pos, new)
    index.values.insert(pos, new[0])
    index.items.insert(pos, item)
