"""Schema drift of a batch: fields Front sends that no column reads, and read fields no record of the batch had.

Pure and cheap: one walk per record over the fields it has, descending only where a column reads something
deeper (a nested object or a nested table's list), so what a column covers as a whole (a jsonb column, a nested
author) is never walked. Paths are generic (`recipients[].handle`) with one concrete example per path
(`recipients[2].handle`); values never leave this module. `_links` are navigation (URLs of related records):
only the links a column reads count. warehouse/drift.py stores the result in front.schema_drift.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from front_sync.resources.model import Resource

MISSING_MIN_RECORDS = 20  # a read field absent from a smaller batch may just be rare: not "stopped sending"
NAVIGATION = "_links"


@dataclass
class _Node:
    """One level of the fields a resource reads: `covered` reads everything under it, `checked` is a field
    whose absence from a whole batch is drift, `children` the fields read below it (`name` or `name[]`)."""

    covered: bool = False
    checked: bool = False
    children: dict[str, _Node] = field(default_factory=dict)


@dataclass
class BatchDrift:
    """What one batch showed: unmapped paths (records with them, an example path) and missing read fields."""

    records: int = 0
    unmapped: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    def rows(self) -> list[tuple[str, str, str, int]]:
        """(kind, path, example path, records) for front.schema_drift; missing fields count the batch's records."""
        return [("unmapped", p, self.examples[p], n) for p, n in sorted(self.unmapped.items())] + [
            ("missing", p, p, self.records) for p in self.missing
        ]


def _add(root: _Node, path: str, *, covered: bool, checked: bool) -> None:
    node = root
    for part in path.split("."):
        node = node.children.setdefault(part, _Node())
    node.covered = node.covered or covered
    node.checked = node.checked or checked


_TREES: dict[str, _Node] = {}


def read_fields(resource: Resource) -> _Node:
    """The tree of fields the resource's columns (and its nested tables' columns, under `list[]`) read; built
    once per resource."""
    tree = _TREES.get(resource.name)
    if tree is None:
        tree = _TREES[resource.name] = _tree(resource)
    return tree


def _tree(resource: Resource) -> _Node:
    root = _Node()
    for column in resource.fields:
        for path in column.paths:
            _add(root, path, covered=True, checked=column.checked)
    for nested in resource.nested:
        for source in nested.source:
            _add(root, f"{source}[]", covered=False, checked=False)
            for column in nested.fields:
                for path in column.paths:
                    _add(root, f"{source}[].{path}", covered=True, checked=column.checked)
    for path in resource.raw_only:
        _add(root, path, covered=True, checked=False)
    for path in resource.sometimes_absent:
        _add(root, path, covered=False, checked=False)
        node = root
        for part in path.split("."):
            node = node.children[part]
        node.checked = False
    return root


def _walk(
    node: _Node,
    value: dict[str, Any],
    path: str,
    example: str,
    drift: BatchDrift,
    seen: set[str],
    expected: Counter,
    present: Counter,
) -> None:
    """Note the unmapped fields of one object and count, per checked field, the objects that had it."""
    for name, known in node.children.items():
        if known.checked:
            expected[path + name] += 1
            present[path + name] += name in value
    for name, item in value.items():
        child = node.children.get(name)
        listed = node.children.get(f"{name}[]")
        if child is None and listed is None:
            if name != NAVIGATION and NAVIGATION not in path:  # a link nobody reads is navigation, not drift
                generic = path + name
                if generic not in seen:
                    seen.add(generic)
                    drift.unmapped[generic] += 1
                    drift.examples.setdefault(generic, example + name)
        elif (child is not None and child.covered) or (listed is not None and listed.covered):
            continue
        elif listed is not None and isinstance(item, list):
            for index, element in enumerate(item):
                if isinstance(element, dict):
                    _walk(
                        listed,
                        element,
                        f"{path}{name}[].",
                        f"{example}{name}[{index}].",
                        drift,
                        seen,
                        expected,
                        present,
                    )
        elif child is not None and isinstance(item, dict):
            _walk(child, item, f"{path}{name}.", f"{example}{name}.", drift, seen, expected, present)
        # else: null, or not the shape read (typing notes that in untyped_fields): not drift


def observe(resource: Resource, records: Iterable[Any]) -> BatchDrift:
    """The drift a batch shows (records that are not objects are the loader's dead letters: skipped here)."""
    root = read_fields(resource)
    drift = BatchDrift()
    expected: Counter = Counter()
    present: Counter = Counter()
    for record in records:
        if isinstance(record, dict):
            drift.records += 1
            _walk(root, record, "", "", drift, set(), expected, present)
    if drift.records >= MISSING_MIN_RECORDS:
        drift.missing = sorted(p for p, n in expected.items() if n and not present[p])
    return drift
