"""Renderers of events (core-api.json ``EventResponse``): source, target and the conversation."""

from __future__ import annotations

from typing import Any

from front_simulator.model import Event
from front_simulator.render.base import RendererBase


class EventRenderer(RendererBase):
    def event_source(self, kind: str, ref: Any) -> dict[str, Any]:
        data = self.data
        if kind == "inboxes":
            return {
                "_meta": {"type": "inboxes"},
                "data": [self.inbox(data.inboxes[i]) for i in ref or [] if i in data.inboxes],
            }
        if kind == "rule" and data.rule:
            b = self.base
            return {
                "_meta": {"type": "rule"},
                "data": {
                    "_links": {"self": f"{b}/rules/{data.rule['id']}", "related": {"owner": None}},
                    "id": data.rule["id"],
                    "name": data.rule["name"],
                    "actions": list(data.rule["actions"]),
                    "is_private": data.rule["is_private"],
                },
            }
        teammate = data.teammates.get(ref) if ref else None
        if kind == "teammate" and teammate:
            return {"_meta": {"type": "teammate"}, "data": self.teammate(teammate)}
        return {"_meta": {"type": "api"}}

    def event_target(self, event: Event) -> dict[str, Any] | None:
        kind, ref = event.target_kind, event.target_ref
        if kind is None:
            return None
        if event.target_snapshot is not None:
            return {"_meta": {"type": kind}, "data": event.target_snapshot}
        data = self.data
        if kind == "message" and ref in data.messages:
            payload: Any = self.message(data.messages[ref])
        elif kind == "comment" and ref in data.comments:
            payload = self.comment(data.comments[ref])
        elif kind == "tag" and ref in data.tags:
            payload = self.tag(data.tags[ref])
        elif kind == "teammate" and ref in data.teammates:
            payload = self.teammate(data.teammates[ref])
        elif kind == "deleted_conversation_ids":
            payload = list(ref)
        else:
            payload = ref
        return {"_meta": {"type": kind}, "data": payload}

    def event(self, event: Event) -> dict[str, Any]:
        out: dict[str, Any] = {
            "_links": {"self": f"{self.base}/events/{event.id}"},
            "id": event.id,
            "type": event.type,
            "emitted_at": event.emitted_at,
            "source": self.event_source(event.source_kind, event.source_ref),
        }
        target = self.event_target(event)
        if target is not None:
            out["target"] = target
        if event.conversation_snapshot is not None:
            out["conversation"] = event.conversation_snapshot
        else:
            conv = self.data.conversations.get(event.conversation_id)
            if conv is not None:
                out["conversation"] = self.conversation(conv)
        return out
