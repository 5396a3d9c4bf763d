"""Front-shaped records for the loader benchmark (bench/bench_loader.py), built in memory: contacts with handles
and email messages with recipients, attachments, 1-2 kB bodies and, one in ten, emoji or another script."""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

HOST = "https://acme.api.frontapp.com"
WORDS = (
    "order",
    "refund",
    "shipping",
    "invoice",
    "delayed",
    "thanks",
    "account",
    "password",
    "upgrade",
    "plan",
    "Zoë",
    "naïve",
    "café",
    "support",
    "question",
    "urgent",
    "follow-up",
    "the",
    "and",
    "your",
)
OTHER_SCRIPTS = ("😀", "שלום", "مرحبا", "こんにちは")


def contact(i: int, version: int = 0) -> dict[str, Any]:
    """A Front-shaped contact (ContactResponse + updated_at); odd ids have a phone handle too."""
    cid = f"crd_{i:x}"
    handles = [{"handle": f"person.{i}@example{i % 97}.com", "source": "email"}]
    if i % 2:
        handles.append({"handle": f"+1555{i:07d}", "source": "phone"})
    return {
        "_links": {
            "self": f"{HOST}/contacts/{cid}",
            "related": {
                "notes": f"{HOST}/contacts/{cid}/notes",
                "conversations": f"{HOST}/contacts/{cid}/conversations",
                "owner": None,
            },
        },
        "id": cid,
        "name": f"{WORDS[i % len(WORDS)].title()} Person {i}" + (f" v{version}" if version else ""),
        "description": "",
        "avatar_url": f"{HOST}/contacts/{cid}/avatar",
        "links": [],
        "handles": handles,
        "groups": [],
        "lists": [],
        "custom_fields": {"Plan": ("Free", "Starter", "Growth", "Scale")[i % 4], "Seats": i % 50},
        "is_private": False,
        "updated_at": Decimal(f"{1_700_000_000 + i + version * 10_000_000}.{i % 1000:03d}"),
    }


def message(i: int, rng: random.Random) -> dict[str, Any]:
    """A Front-shaped email message (MessageResponse) with recipients, sometimes attachments."""
    mid, cid = f"msg_{i:x}", f"cnv_{i // 5:x}"
    inbound = rng.random() < 0.5
    n_recipients = rng.randint(2, 4)
    recipients = [
        {
            "_links": {"related": {"contact": f"{HOST}/contacts/crd_{(i + k) % 100_000:x}"}},
            "name": f"Person {k}",
            "handle": f"person.{(i + k) % 100_000}@example.com",
            "role": ("from", "to", "cc", "bcc")[k],
        }
        for k in range(n_recipients)
    ]
    attachments = [
        {
            "id": f"fil_{i:x}{k}",
            "filename": f"scan-{k}.pdf",
            "url": f"{HOST}/download/fil_{i:x}{k}",
            "content_type": "application/pdf",
            "size": rng.randint(1_000, 5_000_000),
            "metadata": {"is_inline": False, "cid": None},
        }
        for k in range(rng.choice((0, 0, 1, 2)))
    ]
    words = [WORDS[int(rng.random() * len(WORDS))] for _ in range(rng.randint(120, 250))]
    if rng.random() < 0.1:  # one message in ten has emoji or another script
        words.append(rng.choice(OTHER_SCRIPTS))
    sentence = " ".join(words)
    return {
        "_links": {
            "self": f"{HOST}/messages/{mid}",
            "related": {
                "conversation": f"{HOST}/conversations/{cid}",
                "message_replied_to": None,
                "message_seen": f"{HOST}/messages/{mid}/seen",
            },
        },
        "id": mid,
        "message_uid": f"{i:032x}",
        "type": "email",
        "is_inbound": inbound,
        "draft_mode": None,
        "error_type": None,
        "version": None,
        "created_at": Decimal(f"{1_700_000_000 + i}.{i % 1000:03d}"),
        "subject": f"Re: {rng.choice(WORDS)} #{i}",
        "blurb": sentence[:80],
        "body": f"<p>{sentence}</p>",
        "text": sentence,
        "author": None if inbound else {"id": "tea_1", "email": "leela@acme.com"},
        "recipients": recipients,
        "attachments": attachments,
        "signature": None,
        "metadata": {"headers": {"in_reply_to": f"<{i - 1}@acme.com>"}},
    }


def message_batches(total: int, batch_size: int) -> Iterator[tuple[list[dict[str, Any]], None]]:
    """`total` messages in batches of `batch_size` (same seed every run), as load.load_batches takes them."""
    rng = random.Random(7)
    for start in range(0, total, batch_size):
        yield [message(i, rng) for i in range(start, min(total, start + batch_size))], None
