"""Render records as Front's JSON shapes (core-api.json ``#/components/schemas/*Response``).

All links use the company host (``link_base``), like Front's ``<company>.api.frontapp.com``. Message and
comment content is derived from the record's ``seed`` here, deterministically, so it is never stored.
Nulls appear where Front sends them: inbound ``author``, ``text`` outside e-mail, some recipient ``name``s.
"""

from __future__ import annotations

import html
import random
from typing import TYPE_CHECKING, Any

from front_simulator import words
from front_simulator.ids import id_number, make_id
from front_simulator.model import (
    Channel,
    Comment,
    Contact,
    ContactList,
    Conversation,
    CustomField,
    Event,
    Inbox,
    Message,
    Tag,
    Teammate,
)

if TYPE_CHECKING:
    from front_simulator.data import Dataset

REDACTED = "[REDACTED]"


def _pick(rng: random.Random, seq: Any) -> Any:
    return seq[int(rng.random() * len(seq))]


def _sentence(rng: random.Random, low: int = 4, high: int = 14) -> str:
    text = " ".join(_pick(rng, words.WORDS) for _ in range(rng.randrange(low, high)))
    if rng.random() < 0.15:
        text += " " + _pick(rng, words.EMOJI)
    return text.capitalize() + "."


class Renderer:
    """Turns records of a ``Dataset`` into API dicts; one method per response schema."""

    def __init__(self, data: Dataset, link_base: str):
        self.data = data
        self.base = link_base.rstrip("/")
        self.tag_children: dict[str, list[str]] = {}
        self.rebuild_tag_children()

    def rebuild_tag_children(self) -> None:
        children: dict[str, list[str]] = {}
        for tag in self.data.tags.values():
            if not tag.deleted and tag.parent_id:
                children.setdefault(tag.parent_id, []).append(tag.id)
        self.tag_children = children

    # -- company, teammates, inboxes, channels, lists, fields, tags -------------------------------

    def ticket_status_of(self, conv: Conversation) -> dict[str, Any] | None:
        """Ticketing only: resolved when archived or trashed, open while a reply is owed, else waiting."""
        statuses = self.data.statuses
        if not statuses or conv.type != "conversation":
            return None
        category = (
            "resolved"
            if conv.archived or conv.trashed
            else ("open" if conv.waiting_since is not None else "waiting")
        )
        return next(s for s in statuses if s["category"] == category)

    def status(self, status: dict[str, Any]) -> dict[str, Any]:
        return {"_links": {"self": f"{self.base}/company/statuses/{status['id']}"}, **status}

    def me(self) -> dict[str, Any]:
        return {
            "_links": {"self": f"{self.base}/me"},
            "id": self.data.company["id"],
            "name": self.data.company["name"],
        }

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

    def contact_list(self, clist: ContactList) -> dict[str, Any]:
        b = self.base
        related = {"contacts": f"{b}/contact_lists/{clist.id}/contacts"}
        if clist.owner_id:
            related["owner"] = f"{b}/teammates/{clist.owner_id}"
        return {
            "_links": {"self": f"{b}/contact_lists/{clist.id}", "related": related},
            "id": clist.id,
            "name": clist.name,
            "is_private": clist.is_private,
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

    # -- contacts ---------------------------------------------------------------------------------

    def contact(self, contact: Contact) -> dict[str, Any]:
        b = self.base
        related = {
            "notes": f"{b}/contacts/{contact.id}/notes",
            "conversations": f"{b}/contacts/{contact.id}/conversations",
        }
        if contact.owner_id:
            related["owner"] = f"{b}/teammates/{contact.owner_id}"
        lists = [
            self.contact_list(self.data.contact_lists[i])
            for i in contact.list_ids
            if i in self.data.contact_lists
        ]
        return {
            "_links": {"self": f"{b}/contacts/{contact.id}", "related": related},
            "id": contact.id,
            "name": contact.name,
            "description": contact.description,
            "avatar_url": f"{b}/contacts/{contact.id}/{contact.avatar_url}",
            "links": list(contact.links),
            "handles": [{"handle": h, "source": s} for h, s in contact.handles],
            "groups": lists,
            "lists": lists,
            "custom_fields": dict(contact.custom_fields),
            "is_private": contact.is_private,
            "updated_at": contact.updated_at,
        }

    def contact_link(self, contact_id: str | None) -> str | None:
        """Recipient contact link: the survivor after a merge, null once the contact is deleted."""
        seen = 0
        while contact_id and seen < 10:
            contact = self.data.contacts.get(contact_id)
            if contact is None:
                return None
            if not contact.deleted:
                return f"{self.base}/contacts/{contact.id}"
            contact_id = contact.merged_into
            seen += 1
        return None

    # -- conversations ----------------------------------------------------------------------------

    def contact_handle(self, contact_id: str | None, message_type: str, fallback: str) -> tuple[str, str]:
        """(handle, name) the contact uses on this channel type."""
        from front_simulator.data import HANDLE_SOURCE_FOR_TYPE

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
        handle, name = self.contact_handle(
            conv.contact_id, conv.message_type, f"visitor-{conv.id[4:]}@example.com"
        )
        if conv.message_type in ("tweet", "tweet_dm"):
            handle = REDACTED
        return {
            "_links": {"related": {"contact": self.contact_link(conv.contact_id)}},
            "name": None if conv.recipient_name_null or not name else name,
            "handle": handle,
            "role": conv.recipient_role,
        }

    def link(self, link: dict[str, Any]) -> dict[str, Any]:
        return {
            "_links": {"self": f"{self.base}/links/{link['id']}"},
            "id": link["id"],
            "name": link["name"],
            "type": link["type"],
            "external_url": link["external_url"],
            "custom_fields": {},
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
        messages = self.data.messages
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
        ticket_status = self.ticket_status_of(conv)
        if ticket_status is not None:
            out["status_id"] = ticket_status["id"]
            out["status_category"] = ticket_status["category"]
            out["ticket_ids"] = [f"TICKET-{id_number('cnv', cid) or 0}"]
        else:
            out["ticket_ids"] = []
        out.update(
            {
                "assignee": self.teammate_by_id(conv.assignee_id),
                "recipient": self.conversation_recipient(conv),
                "tags": [self.tag(self.data.tags[t]) for t in conv.tag_ids if t in self.data.tags],
                "links": [self.link(link) for link in conv.links],
                "custom_fields": dict(conv.custom_fields),
                "created_at": conv.created_at,
                "updated_at": conv.updated_at,
            }
        )
        if conv.waiting_since is not None:
            out["waiting_since"] = conv.waiting_since
        out["is_private"] = conv.is_private
        out["scheduled_reminders"] = [
            {
                "_links": {"related": {"owner": f"{b}/teammates/{r['owner']}"}},
                "created_at": r["created_at"],
                "scheduled_at": r["scheduled_at"],
                "updated_at": r["updated_at"],
            }
            for r in conv.reminders
        ]
        if conv.type == "task":
            out["description"] = conv.description
            out["due_at"] = conv.due_at
        out["metadata"] = {}
        return out

    # -- messages, attachments, comments ----------------------------------------------------------

    def attachments(self, rng: random.Random, owner_number: int, allow_inline: bool) -> list[dict[str, Any]]:
        roll = rng.random()
        if roll > 0.15:
            return []
        out = []
        for index in range(1 + int(rng.random() * 3)):
            filename, content_type = _pick(rng, words.FILE_TYPES)
            inline = allow_inline and content_type.startswith("image/") and rng.random() < 0.6
            file_id = make_id("fil", owner_number * 8 + index)
            metadata: dict[str, Any] = {"is_inline": inline}
            if inline:
                metadata["cid"] = f"{rng.getrandbits(128):032x}"
            out.append(
                {
                    "id": file_id,
                    "filename": filename,
                    "url": f"{self.base}/download/{file_id}",
                    "content_type": content_type,
                    "size": rng.randrange(200, 5_000_000),
                    "metadata": metadata,
                }
            )
        return out

    def message(self, message: Message) -> dict[str, Any]:
        """MessageResponse plus ``is_draft``; content is derived from ``message.seed``."""
        b = self.base
        data = self.data
        rng = random.Random(message.seed)
        conv = data.conversations.get(message.conversation_id)
        mtype = message.type
        is_email = mtype == "email"
        number = id_number("msg", message.id) or 0
        paragraphs = [
            " ".join(_sentence(rng) for _ in range(1 + int(rng.random() * 3)))
            for _ in range(1 + int(rng.random() * 3))
        ]
        text = "\n\n".join(paragraphs)
        attachments = self.attachments(rng, number, allow_inline=is_email)
        if is_email:
            body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
            for attachment in attachments:
                if attachment["metadata"]["is_inline"]:
                    body += f'<img src="cid:{attachment["metadata"]["cid"]}" alt="{attachment["filename"]}">'
            if rng.random() < 0.005:  # the occasional huge newsletter-style HTML body (~300 KB)
                rows = "".join(
                    f"<tr><td>{i}</td><td>{html.escape(_sentence(rng))}</td></tr>" for i in range(3_000)
                )
                body += f"<table>{rows}</table>"
        else:
            body = html.escape(text)
        subject = conv.subject if conv else ""
        if is_email and message.replied_to:
            subject = f"Re: {subject}"
        author = self.teammate_by_id(message.author_id)
        related = {"conversation": f"{b}/conversations/{message.conversation_id}"}
        if message.replied_to:
            related["message_replied_to"] = f"{b}/messages/{message.replied_to}"
        related["message_seen"] = f"{b}/messages/{message.id}/seen"
        uid = f"{rng.getrandbits(128):032x}"
        out: dict[str, Any] = {
            "_links": {"self": f"{b}/messages/{message.id}", "related": related},
            "id": message.id,
            "message_uid": uid,
            "type": mtype,
            "is_inbound": message.is_inbound,
            "draft_mode": "shared" if message.draft else None,
            "is_draft": message.draft,
        }
        if message.draft:
            out["version"] = f"{uid}-{number}-{int(message.created_at * 1000)}-{uid[:4]}"
        out.update(
            {
                "created_at": message.created_at,
                "subject": subject,
                "blurb": text[:120],
                "author": author,
                "recipients": self.recipients(rng, message, conv, author),
                "body": body,
                "text": text if is_email else None,
                "attachments": attachments,
            }
        )
        if is_email and not message.is_inbound and author and rng.random() < 0.25:
            out["signature"] = self.signature(author)
        out["metadata"] = self.message_metadata(rng, message)
        if mtype in ("tweet", "tweet_dm"):
            out["blurb"] = out["body"] = REDACTED
            out["text"] = REDACTED
        return out

    def signature(self, author: dict[str, Any]) -> dict[str, Any]:
        sig_id = make_id("sig", id_number("tea", author["id"]) or 0)
        return {
            "_links": {
                "self": f"{self.base}/signatures/{sig_id}",
                "related": {"owner": f"{self.base}/teammates/{author['id']}"},
            },
            "id": sig_id,
            "name": None,
            "body": f"<div>—<br />{html.escape(author['first_name'])}</div>",
            "sender_info": None,
            "is_private": True,
            "is_visible_for_all_teammate_channels": True,
            "is_default": True,
            "channel_ids": None,
        }

    def message_metadata(self, rng: random.Random, message: Message) -> dict[str, Any]:
        mtype = message.type
        if mtype == "intercom":
            return {"intercom_url": f"https://app.intercom.com/a/inbox/{rng.getrandbits(32):x}"}
        if mtype == "tweet":
            return {
                "external_id": str(rng.getrandbits(60)),
                "twitter_url": "https://twitter.com/i/status/1",
                "is_retweet": False,
                "have_been_retweeted": rng.random() < 0.1,
                "have_been_favorited": rng.random() < 0.2,
            }
        if mtype == "custom":
            return {"thread_ref": f"t{rng.getrandbits(32):x}", "headers": {"x-source": "partner"}}
        if mtype == "front_chat":
            return {"chat_visitor_url": "https://dundermifflin.com/products"}
        if mtype == "phone-call":
            return {"duration": rng.randrange(5, 3_600), "have_been_answered": rng.random() < 0.8}
        return {}

    def recipients(
        self, rng: random.Random, message: Message, conv: Conversation | None, author: dict[str, Any] | None
    ) -> list[dict[str, Any]]:
        """from/to/cc/bcc/reply-to rows; contact links follow merges and go null after deletion."""
        if message.type == "internal":
            return []
        channel = self.data.channels.get(message.channel_id) if message.channel_id else None
        channel_handle = channel.address if channel else "support@dundermifflin.com"
        fallback = f"visitor-{message.conversation_id[4:]}@example.com"
        handle, name = self.contact_handle(message.contact_id, message.type, fallback)
        contact_link = self.contact_link(message.contact_id)
        name_value = None if (conv and conv.recipient_name_null) or not name or rng.random() < 0.1 else name

        def row(role: str, row_handle: str, row_name: str | None, link: str | None) -> dict[str, Any]:
            return {
                "_links": {"related": {"contact": link}},
                "name": row_name,
                "handle": row_handle,
                "role": role,
            }

        def extra(role: str) -> dict[str, Any]:
            first = _pick(rng, words.FIRST_NAMES)
            addr = (
                f"{''.join(c for c in first.lower() if c.isascii() and c.isalpha()) or 'cc'}"
                f"{rng.randrange(100)}@{_pick(rng, words.DOMAINS)}"
            )
            return row(role, addr, first if rng.random() < 0.5 else None, None)

        channel_name = None
        if message.is_inbound:
            rows = [
                row("from", handle, name_value, contact_link),
                row("to", channel_handle, channel_name, None),
            ]
            if message.type == "email":
                if rng.random() < 0.15:
                    rows.append(extra("cc"))
                if rng.random() < 0.05:
                    rows.append(row("reply-to", handle, name_value, contact_link))
        else:
            sender = f"{author['first_name']} {author['last_name']}".strip() if author else None
            rows = [row("from", channel_handle, sender, None), row("to", handle, name_value, contact_link)]
            if message.type == "email":
                if rng.random() < 0.1:
                    rows.append(extra("cc"))
                if rng.random() < 0.05:
                    rows.append(extra("bcc"))
        if message.type in ("tweet", "tweet_dm"):
            for item in rows:
                item["handle"] = REDACTED
        return rows

    def comment(self, comment: Comment) -> dict[str, Any]:
        b = self.base
        rng = random.Random(comment.seed)
        body = _sentence(rng, 3, 20)
        for mention in comment.mentions:
            teammate = self.data.teammates.get(mention)
            if teammate:
                body = f"@{teammate.username} {body}"
        number = (id_number("com", comment.id) or 0) + 10**9
        return {
            "_links": {
                "self": f"{b}/comments/{comment.id}",
                "related": {
                    "conversation": f"{b}/conversations/{comment.conversation_id}",
                    "mentions": f"{b}/comments/{comment.id}/mentions",
                    "comment_replied_to": f"{b}/comments/{comment.replied_to}"
                    if comment.replied_to
                    else None,
                },
            },
            "id": comment.id,
            "author": self.teammate_by_id(comment.author_id),
            "body": body,
            "posted_at": comment.posted_at,
            "attachments": self.attachments(rng, number, allow_inline=False) if rng.random() < 0.3 else [],
            "is_pinned": comment.is_pinned,
        }

    # -- events -----------------------------------------------------------------------------------

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
