"""Which resources each DAG syncs, how, and with what priority: the DAG files only wire what this says."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from front_sync.ops.notifications import SlackFailureAlert
from front_sync.resources import (
    CHANNELS,
    COMMENTS,
    CONTACT_CUSTOM_FIELDS,
    CONTACT_LISTS,
    CONTACTS,
    CONVERSATION_CUSTOM_FIELDS,
    INBOXES,
    MESSAGES,
    TAGS,
    TEAMMATES,
)

# Small resources listed in full every run (Front has no change filter for them), then contacts by updated_at.
# Inbox, teammate, account and link custom-field scopes are in the loader's table but not synced yet.
LIST_RESOURCES = (TEAMMATES, INBOXES, CHANNELS, CONTACT_LISTS, TAGS, CONTACT_CUSTOM_FIELDS,
                  CONVERSATION_CUSTOM_FIELDS, CONTACTS)
CHILD_RESOURCES = (MESSAGES, COMMENTS)

# Foundation first, then conversations, then their messages: the scheduler favours the cheap, referenced data.
PRIORITY = {"foundation": 30, "contacts": 25, "conversations": 20, "children": 10}


def priority(resource_name: str) -> int:
    """priority_weight of a resource's task."""
    if resource_name == "contacts":
        return PRIORITY["contacts"]
    if resource_name == "conversations":
        return PRIORITY["conversations"]
    if resource_name in {r.name for r in CHILD_RESOURCES}:
        return PRIORITY["children"]
    return PRIORITY["foundation"]


def default_args(execution_timeout: timedelta) -> dict[str, Any]:
    """The operational defaults every front-sync task gets: retries with backoff, timeout, Slack on failure."""
    return {
        "owner": "data-platform",
        "retries": 3,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=15),
        "execution_timeout": execution_timeout,
        "on_failure_callback": [SlackFailureAlert()],
    }


TAGS_COMMON = ["source:front", "front-sync"]
