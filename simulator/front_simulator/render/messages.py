"""Renderers of messages (with recipients and attachments) and comments; their content is derived from
each record's ``seed``, so it costs no memory."""

from __future__ import annotations

import html
import random
from typing import Any

from front_simulator import words
from front_simulator.ids import id_number, make_id
from front_simulator.model import Comment, Conversation, Message
from front_simulator.render.base import REDACTED, RendererBase, pick, sentence


def html_body(rng: random.Random, paragraphs: list[str], attachments: list[dict[str, Any]]) -> str:
    """An e-mail's HTML: paragraphs, inline images by cid, rarely a huge newsletter-style table (~300 KB)."""
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    for attachment in attachments:
        if attachment["metadata"]["is_inline"]:
            body += f'<img src="cid:{attachment["metadata"]["cid"]}" alt="{attachment["filename"]}">'
    if rng.random() < 0.005:
        rows = "".join(f"<tr><td>{i}</td><td>{html.escape(sentence(rng))}</td></tr>" for i in range(3_000))
        body += f"<table>{rows}</table>"
    return body


class MessageRenderer(RendererBase):
    def attachments(self, rng: random.Random, owner_number: int, allow_inline: bool) -> list[dict[str, Any]]:
        roll = rng.random()
        if roll > 0.15:
            return []
        out = []
        for index in range(1 + int(rng.random() * 3)):
            filename, content_type = pick(rng, words.FILE_TYPES)
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
            " ".join(sentence(rng) for _ in range(1 + int(rng.random() * 3))) for _ in range(1 + int(rng.random() * 3))
        ]
        text = "\n\n".join(paragraphs)
        attachments = self.attachments(rng, number, allow_inline=is_email)
        body = html_body(rng, paragraphs, attachments) if is_email else html.escape(text)
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
            first = pick(rng, words.FIRST_NAMES)
            addr = (
                f"{''.join(c for c in first.lower() if c.isascii() and c.isalpha()) or 'cc'}"
                f"{rng.randrange(100)}@{pick(rng, words.DOMAINS)}"
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
        body = sentence(rng, 3, 20)
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
                    "comment_replied_to": f"{b}/comments/{comment.replied_to}" if comment.replied_to else None,
                },
            },
            "id": comment.id,
            "author": self.teammate_by_id(comment.author_id),
            "body": body,
            "posted_at": comment.posted_at,
            "attachments": self.attachments(rng, number, allow_inline=False) if rng.random() < 0.3 else [],
            "is_pinned": comment.is_pinned,
        }
