"""Helpers the resource families share: finding records by id, deleted ids, keyset pages over a sort key, and
the one-entry row of a simple listed resource (``simple``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from front_simulator.model import SimpleRecord
from front_simulator.pagination import Window, take_window
from front_simulator.table import Query, Render, Resource


def is_deleted(record: Any) -> bool:
    """Deleted records keep their slot in a page window but are not shown (Front's short pages)."""
    return getattr(record, "deleted", False)


def find_in(collection: str) -> Callable[[Any, str], Any]:
    """A ``find`` over one of the dataset's dicts; deleted records are not found (404)."""

    def find(state: Any, record_id: str) -> Any:
        record = getattr(state.data, collection).get(record_id)
        return None if record is None or is_deleted(record) else record

    return find


def live(collection: str) -> Callable[[Any], list[Any]]:
    """``records`` of a dict-backed resource: every record not deleted, in creation order."""
    return lambda state: [r for r in getattr(state.data, collection).values() if not is_deleted(r)]


def deleted_ids(collection: str) -> Callable[[Any], list[str]]:
    return lambda state: [r.id for r in getattr(state.data, collection).values() if is_deleted(r)]


def _in_bounds(attr: str, low: float, high: float) -> Callable[[Any], bool]:
    return lambda record: low < getattr(record, attr) < high


def sorted_page(
    state: Any,
    name: str,
    items: Iterable[Any],
    attr: str,
    query: Query,
    *,
    bound: str | None = None,
    low: float | None = None,
    high: float | None = None,
    accept: Callable[[Any], bool] | None = None,
    gone: Callable[[Any], bool] = is_deleted,
) -> Window:
    """A keyset page of ``items`` sorted by ``(attr, id)`` (an index the state caches per resource).

    ``low``/``high`` are exclusive bounds on the ``bound`` attribute: a bisect when the listing is sorted
    by it, a filter (rejected records take no slot) otherwise.
    """
    index = state.sorted_index(name, attr, items)
    value_above = value_below = None
    if (low is not None or high is not None) and bound == attr:
        value_above, value_below = low, high
    elif low is not None or high is not None:
        lo = low if low is not None else float("-inf")
        hi = high if high is not None else float("inf")
        accept = _in_bounds(bound, lo, hi)
    return take_window(
        index,
        descending=query.descending,
        after=query.after,
        limit=query.limit,
        value_above=value_above,
        value_below=value_below,
        accept=accept,
        gone=gone,
        rewind=query.rewind,
    )


def collection(name: str, noun: str, render: Render, *, get: bool = True, **row: Any) -> Resource:
    """The row of a resource kept in the dataset's dict of that name: ``GET /<name>`` lists its live records,
    ``GET /<name>/{id}`` finds one (unless ``get`` is false); ``row`` adds or overrides the rest."""
    defaults: dict[str, Any] = {"records": live(name), "path": f"/{name}", "noun": noun}
    if get:
        defaults |= {"get_path": f"/{name}/{{id}}", "find": find_in(name)}
    return Resource(name=name, render=render, **(defaults | row))


def simple(
    name: str,
    noun: str,
    make: Callable[[Any], Iterable[SimpleRecord]],
    *,
    sizes: Mapping[str, float],
    get: bool = True,
    **row: Any,
) -> Resource:
    """The whole row of a simple listed resource: ``make(generator)`` yields its records (``SimpleRecord``: id,
    fields, related links), kept in ``Dataset.simple[name]``; ``GET /<name>`` lists the live ones (in creation
    order, or with a paginated ``listing`` in keyset pages by id, deleted ones keeping their slot), ``GET
    /<name>/{id}`` finds one (unless ``get`` is false), the truth renders them. No model class, renderer method or
    dataset field of its own; ``row`` adds or overrides the rest of the row (``listing``, ``deleted``...)."""
    path = row.pop("path", f"/{name}")

    def stored(state: Any) -> dict[str, SimpleRecord]:
        return state.data.simple.get(name, {})

    def generate(generator: Any) -> None:
        store = generator.data.simple.setdefault(name, {})
        for record in make(generator):
            store[record.id] = record

    def records(state: Any) -> list[SimpleRecord]:
        return [r for r in stored(state).values() if not r.deleted]

    def find(state: Any, record_id: str) -> SimpleRecord | None:
        record = stored(state).get(record_id)
        return None if record is None or record.deleted else record

    def page(state: Any, query: Query) -> Window:
        return sorted_page(state, name, stored(state).values(), "id", query)

    defaults: dict[str, Any] = {
        "records": records,
        "path": path,
        "noun": noun,
        "sizes": sizes,
        "generate": generate,
        "page": page,
    }
    if get:
        defaults |= {"get_path": f"{path}/{{id}}", "find": find}
    return Resource(name=name, render=lambda renderer, record: record.render(renderer.base, path), **(defaults | row))
