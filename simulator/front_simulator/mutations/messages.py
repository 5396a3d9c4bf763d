"""Mutations that add messages and comments (new conversations, inbound messages, replies, comments) and
emit the events Front would: ``inbound``, ``outbound``, ``out_reply``, ``comment``, ``mention``."""

from __future__ import annotations

from typing import Any

from front_simulator import words
from front_simulator.data import CHANNEL_MESSAGE_TYPES
from front_simulator.data.conversations import new_message
from front_simulator.model import Comment, Conversation, Message
from front_simulator.mutations.common import ALL_TYPES, MutationError, choose, conversation_targets, emit, users
from front_simulator.mutations.contacts import live_contacts


def add_message(state: Any, conv: Conversation, *, inbound: bool, author: str | None) -> tuple[Message, float]:
    """A new message after the sent ones (drafts stay last); bumps the conversation, reopens on inbound."""
    at = state.stamp()
    messages = state.data.messages
    previous = [m for m in conv.message_ids if not messages[m].draft]
    seed = state.rng.getrandbits(48)
    message = new_message(state.data, conv, at, author, seed, previous[-1] if previous else None, inbound=inbound)
    drafts = [m for m in conv.message_ids if messages[m].draft]
    conv.message_ids = [m for m in conv.message_ids if m not in drafts] + [message.id] + drafts
    conv.updated_at = conv.bumped_at = at
    if inbound:
        if conv.waiting_since is None:
            conv.waiting_since = at
        conv.archived = False  # a new inbound message brings an archived conversation back
    else:
        conv.waiting_since = None
    state.touch("conversations")
    return message, at


def inbound(state: Any, conv: Conversation) -> tuple[str, str]:
    """An inbound message and its ``inbound`` event (source: the conversation's inbox); (message, event)."""
    message, at = add_message(state, conv, inbound=True, author=None)
    inboxes = [conv.inbox_id] if conv.inbox_id else []
    return message.id, emit(state, "inbound", conv, ("message", message.id), ("inboxes", inboxes), at)


def outbound(state: Any, conv: Conversation, author: str, kind: str) -> tuple[str, str]:
    """A teammate's message and its ``outbound``/``out_reply`` event; (message, event)."""
    message, at = add_message(state, conv, inbound=False, author=author)
    return message.id, emit(state, kind, conv, ("message", message.id), ("teammate", author), at)


def new_conversation(state: Any, *, inbound: bool) -> Conversation:
    """A new e-mail conversation with a live contact (its first message is added by the caller)."""
    data, rng = state.data, state.rng
    channels = [c for c in data.channels.values() if CHANNEL_MESSAGE_TYPES[c.type] == "email"] or list(
        data.channels.values()
    )
    channel = rng.choice(channels) if channels else None
    contacts = live_contacts(state)
    contact = rng.choice(contacts) if contacts else None
    w1, w2 = rng.choice(words.WORDS), rng.choice(words.WORDS)
    at = state.stamp()
    conv = Conversation(
        id=data.next_id("cnv"),
        type="conversation",
        subject=f"{w1.capitalize()} {w2} {rng.choice(words.EMOJI)}",
        message_type=CHANNEL_MESSAGE_TYPES[channel.type] if channel else "email",
        inbox_id=channel.inbox_id if channel else None,
        channel_id=channel.id if channel else None,
        contact_id=contact.id if contact else None,
        recipient_role="from" if inbound else "to",
        assignee_id=None,
        is_private=False,
        created_at=at,
        updated_at=at,
        bumped_at=at,
    )
    data.conversations[conv.id] = conv
    state.touch("conversations")
    return conv


def new_conversations(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    out, events, messages = [], [], []
    for _ in range(count):
        conv = new_conversation(state, inbound=True)
        message_id, event_id = inbound(state, conv)
        messages.append(message_id)
        events.append(event_id)
        out.append(conv.id)
    return {"ids": out, "events": events, "messages": messages}


def new_outbound(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    people = users(state)
    if not people:
        raise MutationError("outbound messages need at least one teammate")
    out, events, messages = [], [], []
    for _ in range(count):
        conv = new_conversation(state, inbound=False)
        author = state.rng.choice(people)
        conv.assignee_id = author
        message_id, event_id = outbound(state, conv, author, "outbound")
        messages.append(message_id)
        events.append(event_id)
        out.append(conv.id)
    return {"ids": out, "events": events, "messages": messages}


def new_inbound(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    chosen = conversation_targets(state, count, ids)
    events, messages = [], []
    for conv in chosen:
        message_id, event_id = inbound(state, conv)
        messages.append(message_id)
        events.append(event_id)
    return {"ids": [c.id for c in chosen], "events": events, "messages": messages}


def new_out_reply(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    people = users(state)
    if not people:
        raise MutationError("replies need at least one teammate")
    chosen = conversation_targets(state, count, ids, where=lambda c: bool(c.message_ids))
    events, messages = [], []
    for conv in chosen:
        message_id, event_id = outbound(state, conv, conv.assignee_id or state.rng.choice(people), "out_reply")
        messages.append(message_id)
        events.append(event_id)
    return {"ids": [c.id for c in chosen], "events": events, "messages": messages}


def add_comments(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    teammates = list(state.data.teammates)
    if not teammates:
        raise MutationError("comments need at least one teammate")
    chosen = conversation_targets(state, count, ids, types=ALL_TYPES)
    events, comments = [], []
    people = users(state)
    for conv in chosen:
        at = state.stamp()
        author = state.rng.choice(teammates)
        comment = Comment(
            id=state.data.next_id("com"),
            conversation_id=conv.id,
            author_id=author,
            posted_at=at,
            seed=state.rng.getrandbits(48),
            mentions=[state.rng.choice(people)] if people and state.rng.random() < 0.3 else [],
        )
        state.data.comments[comment.id] = comment
        conv.comment_ids.append(comment.id)
        conv.updated_at = at
        state.touch("conversations")
        comments.append(comment.id)
        events.append(emit(state, "comment", conv, ("comment", comment.id), ("teammate", author), at))
        if comment.mentions:
            events.append(emit(state, "mention", conv, ("comment", comment.id), ("teammate", author)))
    return {"ids": [c.id for c in chosen], "events": events, "comments": comments}


def delete_comments(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    """Delete the newest comment of conversations that have one; old events still render it as it was."""
    candidates = [c for c in state.data.conversations.values() if c.comment_ids and not c.merged_into]
    chosen = choose(state, candidates, count, ids, "conversations with comments")
    deleted = [conv.comment_ids.pop() for conv in chosen]
    return {"ids": [c.id for c in chosen], "comments": deleted}


ACTIONS = (new_conversations, new_outbound, new_inbound, new_out_reply, add_comments, delete_comments)
