"""Rows of the contacts family: contacts (Front's largest paginated list, with ``q[updated_after]``) and
accounts (paginated, sortable by ``created_at``/``updated_at``, no filters)."""

from __future__ import annotations

from typing import Any

from front_simulator.data import contacts as generation
from front_simulator.pagination import Window
from front_simulator.render import Renderer
from front_simulator.resources.common import collection, deleted_ids, sorted_page
from front_simulator.table import Filter, Listing, Query, sizes


def alias(record_id: str) -> tuple[str, str] | None:
    """Front's resource alias ``alt:<kind>:<value>`` as (kind, value)."""
    if not record_id.startswith("alt:"):
        return None
    kind, _, value = record_id[4:].partition(":")
    return kind, value


def find_contact(state: Any, contact_id: str) -> Any:
    """By id or by the alias ``alt:<source>:<handle>``; deleted and merged contacts are not found."""
    wanted = alias(contact_id)
    if wanted is not None:
        source, handle = wanted
        return next((c for c in state.data.contacts.values() if not c.deleted and (handle, source) in c.handles), None)
    contact = state.data.contacts.get(contact_id)
    return contact if contact is not None and not contact.deleted else None


def contacts_page(state: Any, query: Query) -> Window:
    return sorted_page(
        state,
        "contacts",
        state.data.contacts.values(),
        query.sort_by or "created_at",
        query,
        bound="updated_at",
        low=query.filters.get("updated_after"),
        high=query.filters.get("updated_before"),
    )


CONTACTS = collection(
    "contacts",
    "Contact",
    Renderer.contact,
    listing=Listing(
        sorts=("created_at", "updated_at"),
        filters=(Filter("updated_after", "timestamp"), Filter("updated_before", "timestamp")),
        data_faults=True,
        while_paging="update_contacts",
    ),
    page=contacts_page,
    find=find_contact,
    sizes=sizes(contacts=200),
    generate=generation.contacts,
    deleted=deleted_ids("contacts"),
    cache_encoded=True,
)


def find_account(state: Any, account_id: str) -> Any:
    """By id, or by the aliases ``alt:domain:<domain>`` and ``alt:external_id:<id>`` (a guess at the syntax)."""
    wanted = alias(account_id)
    if wanted is None:
        account = state.data.accounts.get(account_id)
        return account if account is not None and not account.deleted else None
    kind, value = wanted
    for account in state.data.accounts.values():
        if not account.deleted and (
            (kind == "domain" and value in account.domains) or (kind == "external_id" and value == account.external_id)
        ):
            return account
    return None


def accounts_page(state: Any, query: Query) -> Window:
    return sorted_page(state, "accounts", state.data.accounts.values(), query.sort_by or "created_at", query)


ACCOUNTS = collection(
    "accounts",
    "Account",
    Renderer.account,
    listing=Listing(sorts=("created_at", "updated_at"), data_faults=True, while_paging="update_accounts"),
    page=accounts_page,
    find=find_account,
    sizes=sizes(accounts=20),
    generate=generation.accounts,
    deleted=deleted_ids("accounts"),
)

ROWS = (CONTACTS, ACCOUNTS)
