"""The API-token scope each read endpoint needs (Front's ``x-required-scopes``), for actionable 401/403s."""

from __future__ import annotations

import re

# (path pattern, scope); first match wins, so sub-resources come before their parent.
SCOPES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), scope)
    for pattern, scope in (
        (r"^/me$", "none (any valid token)"),
        (r"^/(\w+/)?custom_fields$", "custom_fields:read"),
        (r"^/conversations/[^/]+/messages$", "messages:read"),
        (r"^/conversations/[^/]+/comments$", "comments:read"),
        (r"^/conversations/[^/]+/events$", "events:*:read"),
        (r"^/conversations/[^/]+/followers$", "teammates:read"),
        (r"^/conversations/[^/]+/inboxes$", "inboxes:read"),
        (r"^/conversations/[^/]+/drafts$", "drafts:read"),
        (r"^/(messages|comments)/[^/]+/download/", "attachments:read"),
        (r"^/download/", "attachments:read"),
        (r"^/[^/]+/[^/]+/contacts$", "contacts:read"),
        (r"^/[^/]+/[^/]+/conversations$", "conversations:read"),
        (r"^/[^/]+/[^/]+/tags$", "tags:read"),
        (r"^/[^/]+/[^/]+/inboxes$", "inboxes:read"),
        (r"^/[^/]+/[^/]+/teammates$", "teammates:read"),
        (r"^/[^/]+/[^/]+/channels$", "channels:read"),
        (r"^/company/tags", "tags:read"),
        (r"^/company/statuses", "statuses:read"),
        (r"^/(contacts|contact_lists)(/|$)", "contacts:read"),
        (r"^/tags(/|$)", "tags:read"),
        (r"^/inboxes(/|$)", "inboxes:read"),
        (r"^/conversations(/|$)", "conversations:read"),
        (r"^/messages(/|$)", "messages:read"),
        (r"^/comments(/|$)", "comments:read"),
        (r"^/teammates(/|$)", "teammates:read"),
        (r"^/channels(/|$)", "channels:read"),
        (r"^/events(/|$)", "events:*:read"),
        (r"^/accounts(/|$)", "accounts:read"),
        (r"^/teams(/|$)", "teams:read"),
        (r"^/links(/|$)", "links:read"),
    )
)


def required_scope(path: str) -> str:
    """The scope Front requires for GET ``path``, or a pointer to the spec when the table does not know it."""
    for pattern, scope in SCOPES:
        if pattern.search(path):
            return scope
    return "the read scope listed for this endpoint in Front's API reference"
