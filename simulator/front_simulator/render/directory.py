"""Renderers of the directory: company, ticket statuses, teammates, teams, inboxes, channels, contact lists,
custom field definitions and tags (core-api.json ``#/components/schemas/*Response``)."""

from __future__ import annotations

from typing import Any

from front_simulator.model import (
    Channel,
    Conversation,
    CustomField,
    Inbox,
    Tag,
    Team,
    Teammate,
    TicketStatus,
)
from front_simulator.render.base import RendererBase


class DirectoryRenderer(RendererBase):
    def ticket_status_of(self, conv: Conversation) -> TicketStatus | None:
        """Ticketing only: resolved when archived or trashed, open while a reply is owed, else waiting."""
        statuses = self.data.statuses
        if not statuses or conv.type != "conversation":
            return None
        category = (
            "resolved" if conv.archived or conv.trashed else ("open" if conv.waiting_since is not None else "waiting")
        )
        return next(s for s in statuses if s.category == category)

    def status(self, status: TicketStatus) -> dict[str, Any]:
        return {
            "_links": {"self": f"{self.base}/company/statuses/{status.id}"},
            "id": status.id,
            "name": status.name,
            "category": status.category,
            "description": status.description,
            "created_at": status.created_at,
            "updated_at": status.updated_at,
        }

    def me(self, company: dict[str, str]) -> dict[str, Any]:
        return {"_links": {"self": f"{self.base}/me"}, "id": company["id"], "name": company["name"]}

    def teammate(self, teammate: Teammate) -> dict[str, Any]:
        b = self.base
        related = {
            "inboxes": f"{b}/teammates/{teammate.id}/inboxes",
            "conversations": f"{b}/teammates/{teammate.id}/conversations",
        }
        if teammate.bot_source:
            related["botSource"] = f"{b}/rules/{teammate.bot_source}"
        return {
            "_links": {"self": f"{b}/teammates/{teammate.id}", "related": related},
            "id": teammate.id,
            "email": teammate.email,
            "username": teammate.username,
            "first_name": teammate.first_name,
            "last_name": teammate.last_name,
            "is_admin": teammate.is_admin,
            "is_available": teammate.is_available,
            "is_blocked": teammate.is_blocked,
            "type": teammate.type,
            "license_type": teammate.license_type,
            "custom_fields": dict(teammate.custom_fields),
        }

    def teammate_by_id(self, teammate_id: str | None) -> dict[str, Any] | None:
        teammate = self.data.teammates.get(teammate_id) if teammate_id else None
        return self.teammate(teammate) if teammate else None

    def team_preview(self, team: Team) -> dict[str, Any]:
        """TeamPreviewResponse: what ``GET /teams`` lists."""
        return {"_links": {"self": f"{self.base}/teams/{team.id}"}, "id": team.id, "name": team.name}

    def team(self, team: Team) -> dict[str, Any]:
        """TeamResponse (``GET /teams/{id}``): the inboxes the team owns and its members."""
        owner = f"teams/{team.id}"
        return {
            **self.team_preview(team),
            "inboxes": [self.inbox(i) for i in self.data.inboxes.values() if i.owner == owner],
            "members": [self.teammate(self.data.teammates[t]) for t in team.member_ids if t in self.data.teammates],
        }

    def inbox(self, inbox: Inbox) -> dict[str, Any]:
        b = self.base
        return {
            "_links": {
                "self": f"{b}/inboxes/{inbox.id}",
                "related": {
                    "teammates": f"{b}/inboxes/{inbox.id}/teammates",
                    "conversations": f"{b}/inboxes/{inbox.id}/conversations",
                    "channels": f"{b}/inboxes/{inbox.id}/channels",
                    "owner": f"{b}/{inbox.owner}",
                },
            },
            "id": inbox.id,
            "name": inbox.name,
            "is_private": inbox.is_private,
            "is_public": inbox.is_public,
            "custom_fields": dict(inbox.custom_fields),
        }

    def channel(self, channel: Channel) -> dict[str, Any]:
        b = self.base
        settings: dict[str, Any] = {"undo_send_time": channel.undo_send_time}
        if channel.all_teammates_can_reply is not None:  # omitted for private channels, as the spec says
            settings["all_teammates_can_reply"] = channel.all_teammates_can_reply
        return {
            "_links": {
                "self": f"{b}/channels/{channel.id}",
                "related": {
                    "inbox": f"{b}/inboxes/{channel.inbox_id}" if channel.inbox_id else None,
                    "owner": f"{b}/{channel.owner}",
                },
            },
            "id": channel.id,
            "name": channel.name,
            "address": channel.address,
            "type": channel.type,
            "send_as": channel.send_as,
            "settings": settings,
            "is_private": channel.is_private,
            "is_valid": channel.is_valid,
        }

    def custom_field(self, fld: CustomField) -> dict[str, Any]:
        out: dict[str, Any] = {
            "_links": {"self": f"{self.base}/custom_fields/{fld.id}"},
            "id": fld.id,
            "name": fld.name,
            "description": fld.description,
            "type": fld.type,
        }
        if fld.values is not None:
            out["values"] = [dict(v) for v in fld.values]
        return out

    def tag(self, tag: Tag) -> dict[str, Any]:
        b = self.base
        return {
            "_links": {
                "self": f"{b}/tags/{tag.id}",
                "related": {
                    "conversations": f"{b}/tags/{tag.id}/conversations",
                    "owner": f"{b}/teammates/{tag.owner_id}" if tag.owner_id else None,
                    "parent_tag": f"{b}/tags/{tag.parent_id}" if tag.parent_id else None,
                    "children": f"{b}/tags/{tag.id}/children" if self.tag_children.get(tag.id) else None,
                },
            },
            "id": tag.id,
            "name": tag.name,
            "description": tag.description,
            "highlight": tag.highlight,
            "is_private": tag.is_private,
            "is_visible_in_conversation_lists": tag.is_visible_in_conversation_lists,
            "created_at": tag.created_at,
            "updated_at": tag.updated_at,
        }
