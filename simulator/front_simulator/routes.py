"""Endpoint templates of the simulated API (from the resource table), for statistics, fault matching and
per-resource burst limits."""

from __future__ import annotations

import re

from front_simulator.resources import SEARCH_TEMPLATE, TEMPLATES

__all__ = ["SEARCH_TEMPLATE", "TEMPLATES", "endpoint_template", "resource_of"]

_SEG = r"[^/]+"
_PATTERNS = tuple(
    (
        re.compile("^" + re.sub(r"\{[a-z]+\}", lambda m: "(.+)" if m.group(0) == "{query}" else _SEG, t) + "/?$"),
        t,
    )
    for t in TEMPLATES
)


def endpoint_template(path: str) -> str:
    """The template a concrete path belongs to (``/contacts/crd_1`` -> ``/contacts/{id}``), else "other"."""
    for pattern, template in _PATTERNS:
        if pattern.match(path):
            return template
    return "other"


def resource_of(path: str) -> str:
    """The resource type for per-resource burst limits: the first path segment."""
    return path.strip("/").split("/", 1)[0] or "root"
