"""Generation of the company's directory: ticket statuses, teammates, teams, inboxes, channels, contact lists,
custom field definitions (every scope) and tags. Small, unpaginated resources, generated in table order."""

from __future__ import annotations

import random
from collections.abc import Iterator

from front_simulator import words
from front_simulator.data import (
    CHANNEL_MESSAGE_TYPES,
    COMPANY_DOMAIN,
    SEED_START,
    Dataset,
    Generator,
    ascii_slug,
    person_name,
    pick,
    stamp,
)
from front_simulator.model import Channel, CustomField, Inbox, SimpleRecord, Tag, Team, Teammate, TicketStatus

CHANNEL_TYPE_CYCLE = (
    "gmail",
    "office365",
    "front_chat",
    "twilio",
    "smtp",
    "custom",
    "twilio_whatsapp",
    "twitter",
    "imap",
    "intercom",
    "facebook",
    "talkdesk",
)
DEFAULT_STATUSES = (
    ("Open", "open", "New or currently being worked on"),
    ("Waiting", "waiting", "Waiting on the customer"),
    ("Resolved", "resolved", "The request is solved"),
)
CUSTOM_STATUSES = (
    ("Escalated 🔥", "open", None),
    ("Waiting on vendor", "waiting", "Blocked by a third party"),
    ("Duplicate", "resolved", "Closed as a duplicate of another conversation"),
    ("In review", "open", "A second pair of eyes before replying"),
)
# scope -> (name, type, enum values) of the fields a company typically defines
FIELD_CATALOGUES: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    "contact": (
        ("Plan", "enum", ("Free", "Starter", "Growth", "Scale")),
        ("VIP", "boolean", ()),
        ("Renewal date", "datetime", ()),
        ("Seats", "number", ()),
        ("Account manager", "teammate", ()),
        ("Région 🌍", "string", ()),
        ("Preferred inbox", "inbox", ()),
        ("Notes", "string", ()),
    ),
    "conversation": (
        ("Priority", "enum", ("P1", "P2", "P3", "P4")),
        ("Order #", "string", ()),
        ("Escalated", "boolean", ()),
        ("Due", "datetime", ()),
        ("Refund amount", "number", ()),
        ("Routing inbox", "inbox", ()),
        ("Owner", "teammate", ()),
    ),
    "account": (
        ("Tier", "enum", ("Bronze", "Silver", "Gold", "Platinum")),
        ("ARR", "number", ()),
        ("Renewal date", "datetime", ()),
        ("Account owner", "teammate", ()),
        ("Industry", "string", ()),
        ("Strategic", "boolean", ()),
        ("Support inbox", "inbox", ()),
    ),
    "link": (
        ("Status", "enum", ("To do", "In progress", "Done")),
        ("Story points", "number", ()),
        ("Blocking", "boolean", ()),
        ("Assignee", "teammate", ()),
    ),
    "inbox": (
        ("Region", "enum", ("EMEA", "AMER", "APAC")),
        ("SLA hours", "number", ()),
        ("Business hours", "string", ()),
        ("Escalation inbox", "inbox", ()),
    ),
    "teammate": (
        ("Location", "string", ()),
        ("Languages", "enum", ("English", "Français", "Deutsch", "日本語")),
        ("On call", "boolean", ()),
        ("Manager", "teammate", ()),
        ("Start date", "datetime", ()),
    ),
}


def cycled_name(names: tuple[str, ...], number: int) -> str:
    """The ``number``-th name of a catalogue; past its end the names repeat with a suffix (``Sales 2``)."""
    name = names[number % len(names)]
    return name if number < len(names) else f"{name} {number // len(names) + 1}"


def ticket_statuses(gen: Generator) -> None:
    """Front's three default statuses plus ``custom_ticket_statuses`` custom ones, only with ticketing."""
    if not gen.size("ticketing"):
        return
    custom = [
        (cycled_name(tuple(s[0] for s in CUSTOM_STATUSES), n), *CUSTOM_STATUSES[n % len(CUSTOM_STATUSES)][1:])
        for n in range(gen.size("custom_ticket_statuses"))
    ]
    for name, category, description in (*DEFAULT_STATUSES, *custom):
        gen.data.statuses.append(
            TicketStatus(
                id=gen.data.next_id("sts"),
                name=name,
                category=category,
                description=description,
                created_at=SEED_START - 86_400,
                updated_at=SEED_START - 86_400,
            )
        )


def teammates(gen: Generator) -> None:
    """Teammates (two of them bots: a rule and an API user, one blocked) and the rule bots act for."""
    rng = gen.rng("teammates")
    data = gen.data
    data.rule = {
        "id": data.next_id("rul"),
        "name": "Auto-tag VIP senders",
        "actions": ["Tag with VIP", "Assign to the account manager"],
        "is_private": False,
    }
    for number in range(gen.size("teammates")):
        full, first, last = person_name(rng)
        kind = "rule" if number == 3 else "api" if number == 6 else "user"
        username = f"{ascii_slug(first)}{ascii_slug(last)}{number}"
        teammate = Teammate(
            id=data.next_id("tea"),
            email=f"{username}@{COMPANY_DOMAIN}",
            username=username,
            first_name=first if kind == "user" else "Rule" if kind == "rule" else "API",
            last_name=last if kind == "user" else "bot",
            is_admin=number == 0 or rng.random() < 0.15,
            is_available=rng.random() < 0.7,
            is_blocked=number == 5,
            type=kind,
            license_type="full" if kind == "user" and rng.random() < 0.85 else "light",
            custom_fields={},
            bot_source=data.rule["id"] if kind == "rule" else None,
        )
        data.teammates[teammate.id] = teammate


def teams(gen: Generator) -> None:
    """Teams with a few human members each; they own the public inboxes (generated next)."""
    rng = gen.rng("teams")
    users = [t.id for t in gen.data.teammates.values() if t.type == "user"]
    for number in range(gen.size("teams")):
        members = rng.sample(users, k=min(len(users), 1 + int(rng.random() * 4)))
        team = Team(id=gen.data.next_id("tim"), name=cycled_name(words.TEAM_NAMES, number), member_ids=members)
        gen.data.teams[team.id] = team


def team_owner(data: Dataset, number: int) -> str:
    """The owner path of a shared inbox or channel: the teams in turn (the company without teams)."""
    team_ids = list(data.teams)
    return f"teams/{team_ids[number % len(team_ids)]}" if team_ids else "company"


def inboxes_and_channels(gen: Generator) -> None:
    """Inboxes (some private, owned by a teammate) and the channels routed to them; one random stream."""
    rng = gen.rng("inboxes")
    _inboxes(gen, rng)
    _channels(gen, rng)


def _inboxes(gen: Generator, rng: random.Random) -> None:
    data = gen.data
    teammate_ids = list(data.teammates)
    for number in range(gen.size("inboxes")):
        is_private = number > 0 and rng.random() < 0.15 and bool(teammate_ids)
        owner = f"teammates/{pick(rng, teammate_ids)}" if is_private else team_owner(data, number)
        inbox = Inbox(
            id=data.next_id("inb"),
            name=cycled_name(words.INBOX_NAMES, number),
            is_private=is_private,
            is_public=not is_private,
            owner=owner,
            custom_fields={},
        )
        data.inboxes[inbox.id] = inbox


def _channel_address(rng: random.Random, ctype: str, slug: str, number: int) -> str:
    if CHANNEL_MESSAGE_TYPES[ctype] == "email":
        return f"{slug}{number}@{COMPANY_DOMAIN}"
    if ctype in ("twilio", "twilio_whatsapp", "talkdesk"):
        return f"+1555{rng.randrange(1_000_000, 9_999_999)}"
    if ctype == "twitter":
        return f"@{slug}_hq"
    return f"{ctype}:{slug}:{number}"


def _channels(gen: Generator, rng: random.Random) -> None:
    data = gen.data
    inbox_ids = list(data.inboxes)
    for number in range(gen.size("channels")):
        ctype = CHANNEL_TYPE_CYCLE[number % len(CHANNEL_TYPE_CYCLE)]
        inbox_id = inbox_ids[number % len(inbox_ids)] if inbox_ids else None
        inbox_name = data.inboxes[inbox_id].name if inbox_id else "Unrouted"
        address = _channel_address(rng, ctype, ascii_slug(inbox_name), number)
        is_private = inbox_id is not None and data.inboxes[inbox_id].is_private
        channel = Channel(
            id=data.next_id("cha"),
            name=f"{inbox_name} ({ctype})",
            address=address,
            type=ctype,
            send_as=address,
            undo_send_time=pick(rng, (0, 5, 10, 15, 30, 60)),
            all_teammates_can_reply=None if is_private else rng.random() < 0.3,
            is_private=is_private,
            is_valid=rng.random() < 0.95,
            inbox_id=inbox_id,
            owner=data.inboxes[inbox_id].owner if inbox_id else team_owner(data, 0),
        )
        data.channels[channel.id] = channel


def contact_lists(gen: Generator) -> Iterator[SimpleRecord]:
    """Contact lists (``ContactListResponses``): a fifth private to a teammate, their owner."""
    rng = gen.rng("contact_lists")
    data = gen.data
    teammate_ids = list(data.teammates)
    for number in range(gen.size("contact_lists")):
        name = words.CONTACT_LIST_NAMES[number % len(words.CONTACT_LIST_NAMES)]
        if number >= len(words.CONTACT_LIST_NAMES):
            name = f"{name} {number}"
        is_private = bool(teammate_ids) and rng.random() < 0.2
        list_id = data.next_id("grp")
        related = {"contacts": f"/contact_lists/{list_id}/contacts"}
        if is_private:
            related["owner"] = f"/teammates/{pick(rng, teammate_ids)}"
        yield SimpleRecord(list_id, {"name": name, "is_private": is_private}, related)


def custom_field_step(scope: str):
    """The generation step of one scope's definitions (``<scope>_custom_fields`` of them)."""

    def step(gen: Generator) -> None:
        custom_field_definitions(gen, scope)
        owners = {"inbox": gen.data.inboxes, "teammate": gen.data.teammates}.get(scope)
        if owners:  # accounts and links get their values where they are generated, contacts too
            rng = gen.rng(f"{scope}_custom_fields")
            fields = gen.data.fields_of(scope)
            for record in owners.values():
                record.custom_fields = {f.name: gen.field_value(rng, f) for f in fields if rng.random() < 0.6}

    step.__name__ = f"{scope}_custom_fields"
    return step


def custom_field_definitions(gen: Generator, scope: str) -> None:
    catalogue = FIELD_CATALOGUES[scope]
    for number in range(gen.size(f"{scope}_custom_fields")):
        _, ftype, values = catalogue[number % len(catalogue)]
        name = cycled_name(tuple(entry[0] for entry in catalogue), number)
        fld = CustomField(
            id=gen.data.next_id("fld"),
            name=name,
            description=f"{name} of the {scope}",
            type=ftype,
            values=[{"value": v, "label": v} for v in values] if ftype == "enum" else None,
            scope=scope,
        )
        gen.data.custom_fields[fld.id] = fld


def tags(gen: Generator) -> None:
    """Tags, some nested (a parent among the earlier ones), some private to a teammate."""
    rng = gen.rng("tags")
    data = gen.data
    teammate_ids = list(data.teammates)
    created: list[str] = []
    for number in range(gen.size("tags")):
        name = cycled_name(words.TAG_NAMES, number)
        parent = pick(rng, created) if created and number >= 3 and rng.random() < 0.45 else None
        is_private = bool(teammate_ids) and rng.random() < 0.08
        created_at = stamp(rng, SEED_START - 86_400 * 365, SEED_START)
        tag = Tag(
            id=data.next_id("tag"),
            name=name,
            description=None if rng.random() < 0.5 else f"Conversations about {name.lower()}",
            highlight=pick(rng, words.HIGHLIGHTS) if rng.random() < 0.6 else None,
            is_private=is_private,
            is_visible_in_conversation_lists=rng.random() < 0.9,
            created_at=created_at,
            updated_at=stamp(rng, created_at, SEED_START),
            parent_id=parent,
            owner_id=pick(rng, teammate_ids) if is_private else None,
        )
        data.tags[tag.id] = tag
        created.append(tag.id)
