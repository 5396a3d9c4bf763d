"""What the sub-resource queue tests share: requests queued as a backfill would, and the drain's settings."""

from __future__ import annotations

import psycopg

from front_sync.sync.sub_resources import DrainSettings
from front_sync.warehouse import pending


def queue(url: str, resource: str, ids: list[str]) -> None:
    """Queue `ids` for `resource` at backfill priority (run r0), committed."""
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        pending.enqueue(cur, resource, ids, "r0", pending.Priority.BACKFILL)


def drain_settings(**overrides) -> DrainSettings:
    """A drain at backfill priority by worker A: one fetch at a time, three attempts, no retry wait, unless
    `overrides` say otherwise."""
    defaults = {"worker": "A", "priority": pending.Priority.BACKFILL, "workers": 1, "max_attempts": 3}
    return DrainSettings(**{**defaults, "retry_after_seconds": 0.0, **overrides})
