"""Endpoint templates of the simulated API, for statistics, fault matching and per-resource burst limits."""

from __future__ import annotations

import re

_SEG = r"[^/]+"
TEMPLATES = (
    "/me",
    "/contacts",
    "/contacts/custom_fields",
    "/contacts/{id}",
    "/contact_lists",
    "/tags",
    "/tags/{id}",
    "/tags/{id}/children",
    "/inboxes",
    "/inboxes/{id}",
    "/teammates",
    "/teammates/{id}",
    "/channels",
    "/channels/{id}",
    "/custom_fields",
    "/conversations",
    "/conversations/custom_fields",
    "/conversations/search/{query}",
    "/conversations/{id}",
    "/conversations/{id}/messages",
    "/conversations/{id}/comments",
    "/conversations/{id}/events",
    "/conversations/{id}/inboxes",
    "/conversations/{id}/followers",
    "/messages/{id}",
    "/comments/{id}",
    "/events",
    "/events/{id}",
    "/company/statuses",
)
_PATTERNS = tuple(
    (
        re.compile(
            "^" + re.sub(r"\{[a-z]+\}", lambda m: "(.+)" if m.group(0) == "{query}" else _SEG, t) + "/?$"
        ),
        t,
    )
    for t in TEMPLATES
)
SEARCH_TEMPLATE = "/conversations/search/{query}"


def endpoint_template(path: str) -> str:
    """The template a concrete path belongs to (``/contacts/crd_1`` -> ``/contacts/{id}``), else "other"."""
    for pattern, template in _PATTERNS:
        if pattern.match(path):
            return template
    return "other"


def resource_of(path: str) -> str:
    """The resource type for per-resource burst limits: the first path segment."""
    return path.strip("/").split("/", 1)[0] or "root"
