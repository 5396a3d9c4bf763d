"""Webhooks as Front sends them (issue 21 contract) and as the receiver stores them, for the real-time tests."""

from __future__ import annotations

import copy
import json

import psycopg


def preview(event: dict) -> dict:
    """The webhook payload of an event (the contract): message and comment targets reduced to previews."""
    event = copy.deepcopy(event)
    for side in ("target", "source"):
        part = event.get(side)
        if isinstance(part, dict) and (part.get("_meta") or {}).get("type") in ("message", "comment"):
            data = part["data"]
            part["data"] = {k: data[k] for k in ("_links", "id", "type", "created_at") if k in data}
            part["data"]["_links"] = {"self": data["_links"]["self"]}
    return event


def store(url: str, events: list[dict]) -> None:
    """Insert webhooks as the receiver does (idempotent on the event id)."""
    with psycopg.connect(url, autocommit=True) as conn:
        for event in events:
            conn.execute(
                "INSERT INTO front.webhook_events (event_id, company_id, event_type, emitted_at, sent_at, payload) "
                "VALUES (%s, 'cmp_test', %s, to_timestamp(%s), now(), %s) ON CONFLICT (event_id) DO UPDATE "
                "SET deliveries = front.webhook_events.deliveries + 1",
                (event["id"], event["type"], float(event["emitted_at"]), json.dumps(preview(event))),
            )
