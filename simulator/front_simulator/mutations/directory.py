"""Mutations of the small resources: tags, links, teams, ticket statuses. Front emits no events for them;
a sync sees them only by listing them in full."""

from __future__ import annotations

from typing import Any

from front_simulator import words
from front_simulator.data import random_field_values
from front_simulator.data.conversations import new_link
from front_simulator.mutations.common import MutationError, choose


def live_tags(state: Any) -> list[Any]:
    return [t for t in state.data.tags.values() if not t.deleted]


def rename_tags(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    chosen = choose(state, live_tags(state), count, ids, "tags")
    for tag in chosen:
        tag.name = params.get("name") or f"{tag.name.split(' (')[0]} ({state.rng.choice(words.WORDS)})"
        tag.updated_at = state.stamp()
    return {"ids": [t.id for t in chosen]}


def delete_tags(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    """Delete tags: no events; conversations silently lose them; children move to the top level."""
    chosen = choose(state, live_tags(state), count, ids, "tags")
    gone = {t.id for t in chosen}
    for tag in chosen:
        tag.deleted = True
    for tag in state.data.tags.values():
        if tag.parent_id in gone:
            tag.parent_id = None
    for conv in state.data.conversations.values():
        if gone & set(conv.tag_ids):
            conv.tag_ids = [t for t in conv.tag_ids if t not in gone]
    state.renderer.rebuild_tag_children()
    state.touch("conversations")
    return {"ids": sorted(gone)}


def live_links(state: Any) -> list[Any]:
    return [link for link in state.data.links.values() if not link.deleted]


def create_links(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    """New links attached to no conversation (Front's ``POST /links``), with some custom field values."""
    created = []
    for _ in range(count):
        link = new_link(state.data, state.rng)
        link.custom_fields = random_field_values(state.rng, state.data.fields_of("link"), state.data, 0.6)
        state.data.links[link.id] = link
        state.touch("links")
        created.append(link.id)
    return {"ids": created}


def update_links(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    """Rename links (``name`` optional) and set a custom field, as Front's ``PATCH /links/{id}`` can.
    Links carry no timestamp; conversations show the new name without an event or a new ``updated_at``."""
    chosen = choose(state, live_links(state), count, ids, "links")
    fields = state.data.fields_of("link")
    for link in chosen:
        link.name = params.get("name") or f"{link.name.split(' (')[0]} ({state.rng.choice(words.WORDS)})"
        link.custom_fields.update(random_field_values(state.rng, fields, state.data, 0.5))
    return {"ids": [link.id for link in chosen]}


def delete_links(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    """A guess: Front's API cannot delete links. They vanish from ``/links`` (404 by id) and from
    conversations, with no event and no ``updated_at`` change, like deleted tags."""
    chosen = choose(state, live_links(state), count, ids, "links")
    for link in chosen:
        link.deleted = True
    return {"ids": [link.id for link in chosen]}


def rename_teams(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    """Rename teams (``name`` optional; teams carry no timestamp)."""
    chosen = choose(state, list(state.data.teams.values()), count, ids, "teams")
    for team in chosen:
        team.name = params.get("name") or f"{team.name.split(' (')[0]} ({state.rng.choice(words.WORDS)})"
    return {"ids": [t.id for t in chosen]}


def update_ticket_statuses(state: Any, count: int, ids: list[str] | None, params: dict[str, Any]) -> dict:
    """New descriptions (``description`` optional), custom statuses also a new name; ``updated_at`` moves.
    Front's default statuses keep the category's name."""
    if not state.data.statuses:
        raise MutationError("ticket statuses need ticketing (size ticketing=1)")
    chosen = choose(state, state.data.statuses, count, ids, "ticket statuses")
    for status in chosen:
        status.description = params.get("description") or f"Updated {state.rng.choice(words.WORDS)}"
        if status.name.lower() != status.category:
            status.name = f"{status.name.split(' (')[0]} ({state.rng.choice(words.WORDS)})"
        status.updated_at = state.stamp()
    return {"ids": [s.id for s in chosen]}


ACTIONS = (
    rename_tags,
    delete_tags,
    create_links,
    update_links,
    delete_links,
    rename_teams,
    update_ticket_statuses,
)
