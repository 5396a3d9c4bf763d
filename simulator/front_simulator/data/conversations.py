"""Generation of conversations with their messages, comments, tags, fields, links and event history; links.

One random stream (``conversations``) drives every conversation in turn, so the order of draws below is
the data set: reordering them changes every seeded company.
"""

from __future__ import annotations

import random
from itertools import accumulate

from front_simulator import words
from front_simulator.data import (
    CHANNEL_MESSAGE_TYPES,
    SEED_END,
    SEED_START,
    Dataset,
    Generator,
    pick,
    stamp,
)
from front_simulator.model import Comment, Conversation, Event, Link, Message

CHANNEL_WEIGHTS = {
    "email": 20.0,
    "front_chat": 3.0,
    "sms": 2.0,
    "custom": 1.5,
    "whatsapp": 1.5,
    "tweet": 1.0,
    "intercom": 0.7,
    "facebook": 0.7,
    "phone-call": 0.5,
    "tweet_dm": 0.5,
}


def subject(rng: random.Random) -> str:
    template = pick(rng, words.SUBJECT_TEMPLATES)
    w1, w2, w3 = (pick(rng, words.WORDS) for _ in range(3))
    return template.format(
        w1=w1, w2=w2, w3=w3, W1=w1.capitalize(), n=rng.randrange(1000, 99999), e=pick(rng, words.EMOJI)
    )


def new_link(data: Dataset, rng: random.Random) -> Link:
    """A standalone link (an integration's object or a web link, ``type`` per Front's ``q[types]``)."""
    seq = data.counters.get("top", 0)
    link_id = data.next_id("top")
    kind = pick(rng, words.LINK_TYPES)
    key = rng.randrange(100, 99_999)
    name, url = {
        "jira": (f"PB-{key}", f"https://dundermifflin.atlassian.net/browse/PB-{key}"),
        "asana": (f"Task {key}", f"https://app.asana.com/0/{key}"),
        "github": (f"#{key}", f"https://github.com/dundermifflin/paper/issues/{key}"),
        "web": (f"{pick(rng, words.WORDS)} {key}", f"https://{pick(rng, words.DOMAINS)}/{key}"),
    }.get(kind, (f"JIRA-{key}", f"https://dundermifflin.atlassian.net/browse/JIRA-{key}"))
    return Link(id=link_id, seq=seq, name=name, type=kind, external_url=url)


def new_message(
    data: Dataset,
    conv: Conversation,
    at: float,
    author: str | None,
    seed: int,
    replied_to: str | None,
    *,
    inbound: bool = False,
    draft: bool = False,
) -> Message:
    """A message of ``conv`` (its channel, contact and type), stored; the caller places it in the thread."""
    message = Message(
        id=data.next_id("msg"),
        conversation_id=conv.id,
        type=conv.message_type,
        is_inbound=inbound,
        created_at=at,
        author_id=None if inbound else author,
        contact_id=conv.contact_id,
        channel_id=conv.channel_id,
        seed=seed,
        replied_to=replied_to,
        draft=draft,
    )
    data.messages[message.id] = message
    return message


def conversations(gen: Generator) -> None:
    ConversationBuilder(gen).build()


def links(gen: Generator) -> None:
    """``links`` links besides those attached to conversations, then values of the link custom fields."""
    rng = gen.rng("links")
    data = gen.data
    for _ in range(gen.size("links")):
        link = new_link(data, rng)
        data.links[link.id] = link
    fields = data.fields_of("link")
    if fields:
        values = gen.rng("link_custom_fields")
        for link in data.links.values():
            link.custom_fields = {f.name: gen.field_value(values, f) for f in fields if values.random() < 0.6}


class ConversationBuilder:
    """Builds the conversations one at a time, collecting their history events, then numbers the events."""

    def __init__(self, gen: Generator):
        self.gen = gen
        self.data = data = gen.data
        self.rng = gen.rng("conversations")
        self.contact_ids = list(data.contacts)
        self.users = [t.id for t in data.teammates.values() if t.type == "user" and not t.is_blocked]
        self.all_teammates = list(data.teammates)
        self.tag_ids = list(data.tags)
        self.conv_fields = data.fields_of("conversation")
        self.channels = list(data.channels.values())
        self.channel_weights = list(
            accumulate(CHANNEL_WEIGHTS.get(CHANNEL_MESSAGE_TYPES[c.type], 0.5) for c in self.channels)
        )
        self.comment_mean = float(gen.sizes["comments_per_conversation"])
        self.events: list[tuple[float, int, Event]] = []

    def emit(self, kind: str, at: float, conv: str, target_kind, target, source_kind: str, source) -> None:
        event = Event(0, kind, at, conv, target_kind, target, source_kind, source)
        self.events.append((at, len(self.events) + 1, event))

    def build(self) -> None:
        data = self.data
        for _ in range(self.gen.size("conversations")):
            conv, n_messages, first_inbound = self.start()
            at = self.messages(conv, n_messages, first_inbound)
            self.draft(conv, n_messages, at)
            self.comments(conv, at)
            last = max([at] + [data.comments[c].posted_at for c in conv.comment_ids])
            self.tags(conv, last)
            self.fields_and_links(conv)
            self.close(conv, last)
            data.conversations[conv.id] = conv
        self.events.sort(key=lambda item: (item[0], item[1]))
        for number, (_, _, event) in enumerate(self.events):
            event.num = number
            data.events.append(event)
        data.counters["evt"] = len(self.events)

    def message_count(self) -> int:
        """Heavy tail: most conversations have 1-3 messages, a few hit the configured maximum."""
        mean = float(self.gen.sizes["messages_per_conversation"])
        cap = self.gen.size("max_messages_per_conversation")
        if mean <= 0 or cap <= 0:
            return 0
        alpha = 1.6
        scale = max(mean - 1.0, 0.0) * (alpha - 1.0)
        return max(1, min(cap, 1 + int((self.rng.paretovariate(alpha) - 1.0) * scale)))

    def start(self) -> tuple[Conversation, int, bool]:
        """A new conversation (type, channel, contact, assignee), its message count, who wrote first."""
        rng, data, users = self.rng, self.data, self.users
        conv_id = data.next_id("cnv")
        roll = rng.random()
        ctype = "conversation" if roll < 0.93 or not users else "discussion" if roll < 0.97 else "task"
        channel = (
            rng.choices(self.channels, cum_weights=self.channel_weights)[0]
            if self.channels and ctype == "conversation"
            else None
        )
        mtype = CHANNEL_MESSAGE_TYPES[channel.type] if channel else "internal" if ctype != "conversation" else "email"
        inbox_id = channel.inbox_id if channel else (pick(rng, list(data.inboxes)) if data.inboxes else None)
        contact_id = pick(rng, self.contact_ids) if self.contact_ids and ctype == "conversation" else None
        created_at = stamp(rng, SEED_START, SEED_END - 86_400 * 3)
        title = subject(rng)
        n_messages = 0 if ctype == "task" else self.message_count()
        first_inbound = ctype == "conversation" and rng.random() < 0.8
        assignee = pick(rng, users) if users and rng.random() < 0.65 else None
        conv = Conversation(
            id=conv_id,
            type=ctype,
            subject=title,
            message_type=mtype,
            inbox_id=inbox_id,
            channel_id=channel.id if channel else None,
            contact_id=contact_id,
            recipient_role="from" if first_inbound else "to",
            assignee_id=assignee,
            is_private=inbox_id is not None and data.inboxes[inbox_id].is_private,
            created_at=created_at,
            updated_at=created_at,
            bumped_at=created_at,
            recipient_name_null=rng.random() < 0.15,
        )
        if ctype == "task":
            conv.description = "Follow up: " + " ".join(pick(rng, words.WORDS) for _ in range(6))
            conv.due_at = float(int(created_at + rng.uniform(86_400, 86_400 * 30)))
        return conv, n_messages, first_inbound

    def messages(self, conv: Conversation, count: int, first_inbound: bool) -> float:
        """The conversation's messages, hours apart; returns when the next activity would be."""
        rng, users = self.rng, self.users
        at = conv.created_at
        inbound_seen = False
        for index in range(count):
            inbound = (first_inbound if index == 0 else rng.random() < 0.5) and conv.type == "conversation"
            author = None if inbound else (conv.assignee_id or (pick(rng, users) if users else None))
            seed = rng.getrandbits(48)
            replied_to = conv.message_ids[-1] if conv.message_ids and rng.random() < 0.7 else None
            message = new_message(self.data, conv, at, author, seed, replied_to, inbound=inbound)
            conv.message_ids.append(message.id)
            if inbound:
                inboxes = [conv.inbox_id] if conv.inbox_id else []
                self.emit("inbound", at, conv.id, "message", message.id, "inboxes", inboxes)
                if conv.waiting_since is None:
                    conv.waiting_since = at
                inbound_seen = True
            else:
                kind = "out_reply" if inbound_seen or index > 0 else "outbound"
                self.emit(kind, at, conv.id, "message", message.id, "teammate", author)
                conv.waiting_since = None
            conv.bumped_at = at
            at = min(SEED_END - 60, round(at + rng.expovariate(1 / 7_200.0) + 1, 3))
        return at

    def draft(self, conv: Conversation, n_messages: int, at: float) -> None:
        """An occasional shared draft at the end of the conversation (Front lists drafts with is_draft)."""
        rng, users = self.rng, self.users
        if not (n_messages and users and conv.type == "conversation" and rng.random() < 0.04):
            return
        author = conv.assignee_id or pick(rng, users)
        draft = new_message(self.data, conv, at, author, rng.getrandbits(48), conv.message_ids[-1], draft=True)
        conv.message_ids.append(draft.id)

    def comments(self, conv: Conversation, at: float) -> None:
        """A geometric number of comments (mean ``comments_per_conversation``), some with an @mention."""
        rng, users = self.rng, self.users
        count = 0
        if self.comment_mean > 0 and self.all_teammates:
            while rng.random() < self.comment_mean / (1.0 + self.comment_mean) and count < 40:
                count += 1
        for _ in range(count):
            posted = stamp(rng, conv.created_at, max(conv.created_at, at))
            author = pick(rng, self.all_teammates)
            comment = Comment(
                id=self.data.next_id("com"),
                conversation_id=conv.id,
                author_id=author,
                posted_at=posted,
                seed=rng.getrandbits(48),
                is_pinned=rng.random() < 0.05,
                mentions=[pick(rng, users)] if users and rng.random() < 0.2 else [],
            )
            self.data.comments[comment.id] = comment
            conv.comment_ids.append(comment.id)
            self.emit("comment", posted, conv.id, "comment", comment.id, "teammate", author)
            if comment.mentions:
                self.emit("mention", posted, conv.id, "comment", comment.id, "teammate", author)

    def tags(self, conv: Conversation, last: float) -> None:
        """Tags applied by teammates, some by the rule bot."""
        rng, tag_ids = self.rng, self.tag_ids
        if not (tag_ids and rng.random() < 0.6):
            return
        for tag_id in rng.sample(tag_ids, k=min(len(tag_ids), pick(rng, (1, 1, 2, 3)))):
            conv.tag_ids.append(tag_id)
            tagged_at = stamp(rng, conv.created_at, last)
            if rng.random() < 0.3 and self.data.rule:
                self.emit("tag", tagged_at, conv.id, "tag", tag_id, "rule", self.data.rule["id"])
            else:
                teammate = pick(rng, self.users) if self.users else None
                self.emit("tag", tagged_at, conv.id, "tag", tag_id, "teammate", teammate)

    def fields_and_links(self, conv: Conversation) -> None:
        """Conversation custom field values; a JIRA issue linked to about one conversation in twenty."""
        rng = self.rng
        for fld in self.conv_fields:
            if rng.random() < 0.4:
                conv.custom_fields[fld.name] = self.gen.field_value(rng, fld)
        if rng.random() < 0.05:
            seq = self.data.counters.get("top", 0)
            link = Link(
                id=self.data.next_id("top"),
                seq=seq,
                name=f"JIRA-{rng.randrange(100, 9999)}",
                type="app_2f76b9ac738de158",
                external_url=f"https://dundermifflin.atlassian.net/browse/PB-{rng.randrange(100, 9999)}",
            )
            self.data.links[link.id] = link
            conv.link_ids.append(link.id)

    def close(self, conv: Conversation, last: float) -> None:
        """Assignment event, then archived (55 %), trashed (3 %) or left open (maybe with a reminder)."""
        rng, users = self.rng, self.users
        if conv.assignee_id:
            assigned_at = stamp(rng, conv.created_at, last)
            self.emit("assign", assigned_at, conv.id, "teammate", conv.assignee_id, "teammate", pick(rng, users))
        status_roll = rng.random()
        closed_at = round(last + rng.uniform(60, 86_400), 3)
        if status_roll < 0.55:
            conv.archived = True
            source = conv.assignee_id or (pick(rng, users) if users else None)
            self.emit("archive", closed_at, conv.id, None, None, "teammate", source)
        elif status_roll < 0.58:
            conv.trashed = True
            self.emit("trash", closed_at, conv.id, None, None, "teammate", pick(rng, users) if users else None)
        else:
            closed_at = last
            if rng.random() < 0.05 and users:
                when = round(last + 86_400 * rng.randrange(1, 10), 3)
                owner = pick(rng, users)
                conv.reminders.append(
                    {"owner": owner, "created_at": last, "scheduled_at": float(int(when)), "updated_at": last}
                )
        conv.updated_at = max(closed_at, last)
