"""Front-shaped records (field names and nesting from core-api.json's response schemas) for the loader tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

HOST = "https://acme.api.frontapp.com"


def teammate(tid: str = "tea_1", email: str = "leela@planet-express.com") -> dict[str, Any]:
    return {
        "_links": {
            "self": f"{HOST}/teammates/{tid}",
            "related": {
                "inboxes": f"{HOST}/teammates/{tid}/inboxes",
                "conversations": f"{HOST}/teammates/{tid}/conversations",
            },
        },
        "id": tid,
        "email": email,
        "username": "leela",
        "first_name": "Turanga",
        "last_name": "Leela",
        "is_admin": True,
        "is_available": True,
        "is_blocked": False,
        "type": "user",
        "license_type": "full",
        "custom_fields": {},
    }


def contact(
    cid: str | None,
    updated_at: str | None = "1700000000.000",
    name: str = "Ann",
    handles: tuple[tuple[str, str], ...] = (("email", "ann@example.com"),),
    lists: tuple[str, ...] = (),
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "_links": {
            "self": f"{HOST}/contacts/{cid}",
            "related": {
                "notes": f"{HOST}/contacts/{cid}/notes",
                "conversations": f"{HOST}/contacts/{cid}/conversations",
                "owner": None,
            },
        },
        "name": name,
        "description": "",
        "avatar_url": None,
        "links": [],
        "is_private": False,
        "handles": [{"source": s, "handle": h} for s, h in handles],
        "lists": [
            {"_links": {"self": f"{HOST}/contact_lists/{g}"}, "id": g, "name": g, "is_private": False} for g in lists
        ],
        "custom_fields": {"Plan": "Growth"},
    }
    if cid is not None:
        record["id"] = cid
    if updated_at is not None:
        record["updated_at"] = Decimal(updated_at)
    return record


def tag(tid: str, parent: str | None = None, updated_at: str = "1682538996.583") -> dict[str, Any]:
    return {
        "_links": {
            "self": f"{HOST}/tags/{tid}",
            "related": {
                "conversations": f"{HOST}/tags/{tid}/conversations",
                "owner": None,
                "parent_tag": f"{HOST}/tags/{parent}" if parent else None,
                "children": f"{HOST}/tags/{tid}/children",
            },
        },
        "id": tid,
        "name": f"Tag {tid}",
        "description": None,
        "highlight": "🔥",
        "is_private": False,
        "is_visible_in_conversation_lists": True,
        "created_at": Decimal("1682538996.583"),
        "updated_at": Decimal(updated_at),
    }


def recipient(handle: str, role: str, contact_id: str | None = None, name: str | None = None) -> dict[str, Any]:
    return {
        "_links": {"related": {"contact": f"{HOST}/contacts/{contact_id}" if contact_id else None}},
        "name": name,
        "handle": handle,
        "role": role,
    }


def conversation(
    cid: str,
    updated_at: str = "1701292639.000",
    status: str = "assigned",
    tags: tuple[str, ...] = ("tag_1",),
    reminders: int = 1,
) -> dict[str, Any]:
    return {
        "_links": {
            "self": f"{HOST}/conversations/{cid}",
            "related": {
                "events": f"{HOST}/conversations/{cid}/events",
                "followers": f"{HOST}/conversations/{cid}/followers",
                "messages": f"{HOST}/conversations/{cid}/messages",
                "comments": f"{HOST}/conversations/{cid}/comments",
                "inboxes": f"{HOST}/conversations/{cid}/inboxes",
                "last_message": f"{HOST}/messages/msg_last?referer=conversation",
            },
        },
        "id": cid,
        "type": "conversation",
        "subject": "Order #1234 has not arrived",
        "status": status,
        "ticket_ids": ["TICKET-1"],
        "assignee": teammate() if status == "assigned" else None,
        "recipient": recipient("ann@example.com", "from", "crd_1", "Ann"),
        "tags": [tag(t) for t in tags],
        "links": [
            {
                "_links": {"self": f"{HOST}/links/top_1"},
                "id": "top_1",
                "name": "JIRA-1",
                "type": "app_x",
                "external_url": "https://jira.example.com/browse/PB-1",
                "custom_fields": {},
            }
        ],
        "custom_fields": {"Priority": "P1"},
        "created_at": Decimal("1701292000.250"),
        "updated_at": Decimal(updated_at),
        "waiting_since": Decimal("1701292639.000"),
        "is_private": False,
        "scheduled_reminders": [
            {
                "_links": {"related": {"owner": f"{HOST}/teammates/tea_1"}},
                "created_at": Decimal("1701292639.000"),
                "scheduled_at": Decimal("1701392639"),
                "updated_at": Decimal("1701292639.000"),
            }
        ]
        * reminders,
        "metadata": {"external_conversation_ids": []},
    }


def attachment(fid: str, size: Any = 1024) -> dict[str, Any]:
    return {
        "id": fid,
        "filename": f"{fid}.png",
        "url": f"{HOST}/download/{fid}",
        "content_type": "image/png",
        "size": size,
        "metadata": {"is_inline": False, "cid": None},
    }


def message(
    mid: str,
    conversation_id: str = "cnv_1",
    inbound: bool = True,
    recipients: tuple[tuple[str, str], ...] = (("ann@example.com", "from"), ("support@acme.com", "to")),
    attachments: tuple[str, ...] = ("fil_1",),
    body: str = "<p>Hello</p>",
    created_at: str = "1701292639",
) -> dict[str, Any]:
    return {
        "_links": {
            "self": f"{HOST}/messages/{mid}",
            "related": {
                "conversation": f"{HOST}/conversations/{conversation_id}",
                "message_replied_to": None,
                "message_seen": f"{HOST}/messages/{mid}/seen",
            },
        },
        "id": mid,
        "message_uid": f"uid-{mid}",
        "type": "email",
        "is_inbound": inbound,
        "draft_mode": None,
        "error_type": None,
        "version": None,
        "created_at": Decimal(created_at),
        "subject": "Order",
        "blurb": "Hello",
        "author": None if inbound else teammate(),
        "body": body,
        "text": "Hello",
        "recipients": [recipient(h, r, "crd_1" if h == "ann@example.com" else None) for h, r in recipients],
        "attachments": [attachment(f) for f in attachments],
        "signature": None,
        "metadata": {"headers": {"in_reply_to": None}},
    }


def comment(com_id: str, conversation_id: str = "cnv_1") -> dict[str, Any]:
    return {
        "_links": {
            "self": f"{HOST}/comments/{com_id}",
            "related": {
                "conversation": f"{HOST}/conversations/{conversation_id}",
                "mentions": f"{HOST}/comments/{com_id}/mentions",
                "comment_replied_to": None,
            },
        },
        "id": com_id,
        "author": teammate(),
        "body": "Can someone look at this? @leela",
        "posted_at": Decimal("1701292700.125"),
        "attachments": [],
        "is_pinned": False,
    }


def inbox(iid: str) -> dict[str, Any]:
    return {
        "_links": {
            "self": f"{HOST}/inboxes/{iid}",
            "related": {
                "teammates": f"{HOST}/inboxes/{iid}/teammates",
                "conversations": f"{HOST}/inboxes/{iid}/conversations",
                "channels": f"{HOST}/inboxes/{iid}/channels",
                "owner": f"{HOST}/teams/tim_k30",
            },
        },
        "id": iid,
        "name": "Support",
        "is_private": False,
        "is_public": True,
        "custom_fields": {},
    }


def channel(chid: str, inbox_id: str | None = "inb_1") -> dict[str, Any]:
    return {
        "_links": {
            "self": f"{HOST}/channels/{chid}",
            "related": {"inbox": f"{HOST}/inboxes/{inbox_id}" if inbox_id else None, "owner": f"{HOST}/teams/tim_k30"},
        },
        "id": chid,
        "name": "Support email",
        "address": "support@acme.com",
        "type": "gmail",
        "send_as": "support@acme.com",
        "settings": {"undo_send_time": 15, "all_teammates_can_reply": False},
        "is_private": False,
        "is_valid": True,
    }


def custom_field(fid: str, name: str = "Plan") -> dict[str, Any]:
    return {
        "_links": {"self": f"{HOST}/custom_fields/{fid}"},
        "id": fid,
        "name": name,
        "description": "The billing plan",
        "type": "enum",
        "values": [{"value": "Enterprise", "label": "Enterprise"}],
    }


def account(aid: str) -> dict[str, Any]:
    return {
        "_links": {"self": f"{HOST}/accounts/{aid}", "related": {"contacts": f"{HOST}/accounts/{aid}/contacts"}},
        "id": aid,
        "name": "Planet Express",
        "description": "Delivery",
        "logo_url": None,
        "domains": ["planetexpress.com"],
        "external_id": "pe-1",
        "custom_fields": {"Tier": "Gold"},
        "created_at": Decimal("1682538996.583"),
        "updated_at": Decimal("1701292700.125"),
    }


def link(lid: str) -> dict[str, Any]:
    return {
        "_links": {"self": f"{HOST}/links/{lid}"},
        "id": lid,
        "name": "JIRA-42",
        "type": "web",
        "external_url": "https://jira.example.com/JIRA-42",
        "custom_fields": {},
    }


def team(tid: str) -> dict[str, Any]:
    return {"_links": {"self": f"{HOST}/teams/{tid}"}, "id": tid, "name": "Support", "inboxes": [], "members": []}


def conversation_status(sid: str, category: str = "open") -> dict[str, Any]:
    return {
        "_links": {"self": f"{HOST}/company/statuses/{sid}"},
        "id": sid,
        "name": category.title(),
        "category": category,
        "description": None,
        "created_at": Decimal("1682538996.583"),
        "updated_at": Decimal("1682538996.583"),
    }


def contact_list(gid: str) -> dict[str, Any]:
    return {
        "_links": {
            "self": f"{HOST}/contact_lists/{gid}",
            "related": {"contacts": f"{HOST}/contact_lists/{gid}/contacts", "owner": f"{HOST}/teammates/tea_1"},
        },
        "id": gid,
        "name": "VIP",
        "is_private": True,
    }


def fetch(conn, query: Any, params: Any = None) -> list[tuple]:
    """Run a query and return its rows, leaving no transaction open."""
    with conn.cursor() as cur:
        cur.execute(query, params)
        rows = cur.fetchall()
    conn.commit()
    return rows
