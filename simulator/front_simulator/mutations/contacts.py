"""Mutations of contacts and accounts. Front emits no events for either: a sync sees edits through
``updated_at`` (contacts: ``q[updated_after]``; accounts: ``sort_by=updated_at``) and deletions only by
listing every id."""

from __future__ import annotations

from typing import Any

from front_simulator import words
from front_simulator.data import ascii_slug
from front_simulator.data.contacts import new_account
from front_simulator.model import Account, Contact
from front_simulator.mutations.common import choose, field_value, merge_groups


def live_contacts(state: Any) -> list[Contact]:
    return [c for c in state.data.contacts.values() if not c.deleted]


def edit_contact(state: Any, contact: Contact) -> None:
    """Change the name, description, a custom field or add a handle; ``updated_at`` moves."""
    rng = state.rng
    roll = rng.random()
    if roll < 0.4:
        first = rng.choice(words.FIRST_NAMES)
        contact.name = f"{first} {contact.name.split(' ', 1)[-1]}" if " " in contact.name else first
    elif roll < 0.6:
        contact.description = f"Updated {rng.choice(words.WORDS)} {rng.choice(words.EMOJI)}"
    elif roll < 0.8:
        fields = state.data.fields_of("contact")
        if fields:
            fld = rng.choice(fields)
            contact.custom_fields[fld.name] = field_value(rng, fld, state.data)
        else:
            contact.description = f"Edited {rng.randrange(10**6)}"
    else:
        contact.handles.append((f"{ascii_slug(contact.name)}.{rng.randrange(10**6)}@example.org", "email"))
    state.move_sorted("contacts", contact, "updated_at", state.stamp())


def update_contacts(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    chosen = choose(state, live_contacts(state), count, ids, "contacts")
    for contact in chosen:
        edit_contact(state, contact)
    state.forget("contacts", [c.id for c in chosen])
    return {"ids": [c.id for c in chosen]}


def create_contacts(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    created = []
    for _ in range(count):
        number = state.data.counters.get("crd", 0)
        contact_id = state.data.next_id("crd")
        first, last = state.rng.choice(words.FIRST_NAMES), state.rng.choice(words.LAST_NAMES)
        at = state.stamp()
        contact = Contact(
            id=contact_id,
            name=f"{first} {last}",
            description="",
            avatar_url=f"avatar-{int(at * 1000)}",
            links=[],
            handles=[(f"{ascii_slug(first)}.{ascii_slug(last)}.{number}@example.com", "email")],
            list_ids=[],
            custom_fields={},
            is_private=False,
            owner_id=None,
            created_at=at,
            updated_at=at,
        )
        state.data.contacts[contact_id] = contact
        state.add_sorted("contacts", contact, ("updated_at", "created_at"))
        created.append(contact_id)
    state.forget("contacts", created)
    return {"ids": created}


def delete_contacts(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    chosen = choose(state, live_contacts(state), count, ids, "contacts")
    for contact in chosen:
        contact.deleted = True  # no event, no tombstone in the API: only a full id reconcile finds it
    state.forget("contacts", [c.id for c in chosen])
    return {"ids": [c.id for c in chosen]}


def merge_contacts(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    """Merge groups of contacts: the first survives (its updated_at moves), the others are deleted."""
    groups = merge_groups(state, live_contacts(state), count, ids, "contacts")
    merged: dict[str, str] = {}
    changed = []
    for survivor, *others in groups:
        for other in others:
            for handle in other.handles:
                if handle not in survivor.handles:
                    survivor.handles.append(handle)
            other.deleted = True
            other.merged_into = survivor.id
            merged[other.id] = survivor.id
            changed.append(other.id)
        state.move_sorted("contacts", survivor, "updated_at", state.stamp())
        changed.append(survivor.id)
    state.forget("contacts", changed)
    return {"ids": [g[0].id for g in groups], "merged": merged}


def live_accounts(state: Any) -> list[Account]:
    return [a for a in state.data.accounts.values() if not a.deleted]


def update_accounts(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    """Edit the description, a custom field or add a domain; ``updated_at`` moves (a guess: Front's
    ``PATCH /accounts/{id}`` changes these, and the list sorts by ``updated_at``)."""
    rng = state.rng
    chosen = choose(state, live_accounts(state), count, ids, "accounts")
    fields = state.data.fields_of("account")
    for account in chosen:
        roll = rng.random()
        if roll < 0.4 and fields:
            fld = rng.choice(fields)
            account.custom_fields[fld.name] = field_value(rng, fld, state.data)
        elif roll < 0.8:
            account.description = f"Updated {rng.choice(words.WORDS)} {rng.choice(words.EMOJI)}"
        else:
            account.domains.append(f"{ascii_slug(account.name)}-{rng.randrange(10**6)}.example")
        state.move_sorted("accounts", account, "updated_at", state.stamp())
    return {"ids": [a.id for a in chosen]}


def create_accounts(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    created = []
    for _ in range(count):
        number = state.data.counters.get("acc", 0)
        at = state.stamp()
        account = new_account(state.rng, state.data.next_id("acc"), number, at)
        state.data.accounts[account.id] = account
        state.add_sorted("accounts", account, ("updated_at", "created_at"))
        created.append(account.id)
    return {"ids": created}


def delete_accounts(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    """Accounts vanish from the list and 404 (Front's ``DELETE /accounts/{id}``); no event, no tombstone."""
    chosen = choose(state, live_accounts(state), count, ids, "accounts")
    for account in chosen:
        account.deleted = True
    return {"ids": [a.id for a in chosen]}


ACTIONS = (
    update_contacts,
    create_contacts,
    delete_contacts,
    merge_contacts,
    update_accounts,
    create_accounts,
    delete_accounts,
)
