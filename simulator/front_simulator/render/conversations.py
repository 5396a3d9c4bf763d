"""Renderers of conversations and links (core-api.json ``ConversationResponse``, ``LinkResponse``)."""

from __future__ import annotations

from typing import Any

from front_simulator.data import HANDLE_SOURCE_FOR_TYPE
from front_simulator.ids import id_number
from front_simulator.model import Conversation, Link
from front_simulator.render.base import REDACTED, RendererBase


class ConversationRenderer(RendererBase):
    def contact_handle(self, contact_id: str | None, message_type: str, fallback: str) -> tuple[str, str]:
        """(handle, name) the contact uses on this channel type."""
        contact = self.data.contacts.get(contact_id) if contact_id else None
        if contact is None:
            return fallback, ""
        source = HANDLE_SOURCE_FOR_TYPE.get(message_type, "email")
        for handle, handle_source in contact.handles:
            if handle_source == source:
                return handle, contact.name
        return contact.handles[0][0], contact.name

    def conversation_recipient(self, conv: Conversation) -> dict[str, Any] | None:
        if conv.type != "conversation":
            return None
        handle, name = self.contact_handle(conv.contact_id, conv.message_type, f"visitor-{conv.id[4:]}@example.com")
        if conv.message_type in ("tweet", "tweet_dm"):
            handle = REDACTED
        return {
            "_links": {"related": {"contact": self.contact_link(conv.contact_id)}},
            "name": None if conv.recipient_name_null or not name else name,
            "handle": handle,
            "role": conv.recipient_role,
        }

    def link(self, link: Link) -> dict[str, Any]:
        return {
            "_links": {"self": f"{self.base}/links/{link.id}"},
            "id": link.id,
            "name": link.name,
            "type": link.type,
            "external_url": link.external_url,
            "custom_fields": dict(link.custom_fields),
        }

    def conversation(self, conv: Conversation) -> dict[str, Any]:
        b = self.base
        cid = conv.id
        related = {
            "events": f"{b}/conversations/{cid}/events",
            "followers": f"{b}/conversations/{cid}/followers",
            "messages": f"{b}/conversations/{cid}/messages",
            "comments": f"{b}/conversations/{cid}/comments",
            "inboxes": f"{b}/conversations/{cid}/inboxes",
        }
        messages, links = self.data.messages, self.data.links
        for message_id in reversed(conv.message_ids):
            if not messages[message_id].draft:
                related["last_message"] = f"{b}/messages/{message_id}?referer=conversation"
                break
        out: dict[str, Any] = {
            "_links": {"self": f"{b}/conversations/{cid}", "related": related},
            "id": cid,
            "type": conv.type,
            "subject": conv.subject,
            "status": conv.status,
        }
        out.update(self.ticket_fields(conv))
        out.update(
            {
                "assignee": self.teammate_by_id(conv.assignee_id),
                "recipient": self.conversation_recipient(conv),
                "tags": [self.tag(self.data.tags[t]) for t in conv.tag_ids if t in self.data.tags],
                "links": [self.link(links[i]) for i in conv.link_ids if i in links and not links[i].deleted],
                "custom_fields": dict(conv.custom_fields),
                "created_at": conv.created_at,
                "updated_at": conv.updated_at,
            }
        )
        if conv.waiting_since is not None:
            out["waiting_since"] = conv.waiting_since
        out["is_private"] = conv.is_private
        out["scheduled_reminders"] = [self.reminder(r) for r in conv.reminders]
        if conv.type == "task":
            out["description"] = conv.description
            out["due_at"] = conv.due_at
        out["metadata"] = {}
        return out

    def ticket_fields(self, conv: Conversation) -> dict[str, Any]:
        """``status_id``, ``status_category`` and ``ticket_ids`` (empty without ticketing)."""
        ticket_status = self.ticket_status_of(conv)
        if ticket_status is None:
            return {"ticket_ids": []}
        return {
            "status_id": ticket_status.id,
            "status_category": ticket_status.category,
            "ticket_ids": [f"TICKET-{id_number('cnv', conv.id) or 0}"],
        }

    def reminder(self, reminder: dict[str, Any]) -> dict[str, Any]:
        return {
            "_links": {"related": {"owner": f"{self.base}/teammates/{reminder['owner']}"}},
            "created_at": reminder["created_at"],
            "scheduled_at": reminder["scheduled_at"],
            "updated_at": reminder["updated_at"],
        }
