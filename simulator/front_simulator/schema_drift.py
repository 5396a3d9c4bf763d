"""Schema drift on demand: fields added to or dropped from a resource's records as the API serves them.

Front adds fields over time and, rarely, stops sending one; the sync must notice both (front.schema_drift).
`PUT /_simulator/schema` sets, per truth name, fields to add (path -> value) and fields to drop (paths). A path
is dotted, and `name[]` walks every item of a list: `nickname`, `settings.theme`, `handles[].verified`. The
truth dump is not changed (it is the company's data, not the API's shape); a reset clears the drift.
"""

from __future__ import annotations

import copy
from typing import Any

_DROP = object()


class SchemaDriftError(ValueError):
    """A drift rule is malformed (the message says how)."""


class SchemaDrift:
    """The drift rules by resource name; applied to a rendered record before it is encoded."""

    def __init__(self) -> None:
        self.rules: dict[str, dict[str, Any]] = {}

    def set(self, resource: str, add: dict[str, Any] | None, drop: list[str] | None) -> None:
        """Replace the rules of one resource (empty add and drop remove them)."""
        if add is not None and not (isinstance(add, dict) and all(isinstance(k, str) and k for k in add)):
            raise SchemaDriftError("add must be an object of field path -> value")
        if drop is not None and not (isinstance(drop, list) and all(isinstance(p, str) and p for p in drop)):
            raise SchemaDriftError("drop must be a list of field paths")
        if add or drop:
            self.rules[resource] = {"add": dict(add or {}), "drop": list(drop or [])}
        else:
            self.rules.pop(resource, None)

    def clear(self) -> None:
        self.rules.clear()

    def describe(self) -> dict[str, Any]:
        return copy.deepcopy(self.rules)

    def apply(self, resource: str, record: Any) -> Any:
        """The record as served: a changed deep copy when the resource has rules, else the record itself."""
        rules = self.rules.get(resource)
        if not rules or not isinstance(record, dict):
            return record
        record = copy.deepcopy(record)
        for path in rules["drop"]:
            _walk(record, path.split("."), _DROP)
        for path, value in rules["add"].items():
            _walk(record, path.split("."), value)
        return record


def _walk(node: Any, parts: list[str], value: Any) -> None:
    """Set (or drop) the field at `parts` under `node`, through every item of `[]` lists; absent parents skip."""
    if not isinstance(node, dict):
        return
    head, rest = parts[0], parts[1:]
    is_list = head.endswith("[]")
    name = head[:-2] if is_list else head
    if not rest:
        if value is _DROP:
            node.pop(name, None)
        else:
            node[name] = copy.deepcopy(value)
        return
    child = node.get(name)
    for item in child if is_list and isinstance(child, list) else [child]:
        _walk(item, rest, value)
