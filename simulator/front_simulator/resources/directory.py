"""Rows of the directory family: the company, ticket statuses, teammates, teams, inboxes, channels, contact
lists, custom field definitions of every scope, tags. All small and unpaginated, as at Front."""

from __future__ import annotations

from typing import Any

from front_simulator.data import directory
from front_simulator.render import Renderer
from front_simulator.resources.common import collection, deleted_ids, simple
from front_simulator.table import Listing, Query, Resource, sizes

ME = Resource(name="me", render=Renderer.me, records=lambda state: [state.data.company], path="/me", singleton=True)


def ticketing_off(state: Any) -> str | None:
    return None if state.data.statuses else "Ticketing is not enabled for this company"


STATUSES = Resource(
    name="statuses",
    render=Renderer.status,
    records=lambda state: state.data.statuses,
    path="/company/statuses",
    get_path="/company/statuses/{id}",
    noun="Ticket status",
    sizes=sizes(ticketing=0, custom_ticket_statuses=1),
    generate=directory.ticket_statuses,
    disabled=ticketing_off,
)

TEAMMATES = collection(
    "teammates", "Teammate", Renderer.teammate, sizes=sizes(teammates=8), generate=directory.teammates
)
TEAMS = collection(  # the list shows previews; GET /teams/{id} adds the team's inboxes and members
    "teams", "Team", Renderer.team_preview, render_one=Renderer.team, sizes=sizes(teams=3), generate=directory.teams
)
INBOXES = collection(  # one random stream generates inboxes and channels; OAuth tokens see shared inboxes only
    "inboxes",
    "Inbox",
    Renderer.inbox,
    sizes=sizes(inboxes=4),
    generate=directory.inboxes_and_channels,
    hidden_from_oauth=lambda inbox: inbox.is_private,
)
CHANNELS = collection("channels", "Channel", Renderer.channel, sizes=sizes(channels=12))
CONTACT_LISTS = simple(
    "contact_lists", "Contact list", directory.contact_lists, sizes=sizes(contact_lists=5), get=False
)


def custom_fields(scope: str, endpoint: str, default: int, aliases: tuple[str, ...] = ()) -> Resource:
    """The definitions of one scope's custom fields (``GET /<endpoint>/custom_fields``)."""
    return Resource(
        name=f"{scope}_custom_fields",
        render=Renderer.custom_field,
        records=lambda state: state.data.fields_of(scope),
        path=f"/{endpoint}/custom_fields",
        aliases=aliases,
        sizes=sizes(**{f"{scope}_custom_fields": default}),
        generate=directory.custom_field_step(scope),
    )


CUSTOM_FIELD_SCOPES = (  # generation order: the field ids of the first two scopes predate the others
    custom_fields("contact", "contacts", 6, aliases=("/custom_fields",)),  # /custom_fields: deprecated alias
    custom_fields("conversation", "conversations", 5),
    custom_fields("account", "accounts", 4),
    custom_fields("link", "links", 2),
    custom_fields("inbox", "inboxes", 2),
    custom_fields("teammate", "teammates", 2),
)

CUSTOM_FIELDS = Resource(  # truth only: contact and conversation fields, as the name always meant
    name="custom_fields",
    render=Renderer.custom_field,
    records=lambda state: [f for f in state.data.custom_fields.values() if f.scope in ("contact", "conversation")],
)

TAGS = collection(
    "tags",
    "Tag",
    Renderer.tag,
    listing=Listing(paginated=False, sorts=("id",), default_order="asc"),  # not paginated (listOfTags)
    sizes=sizes(tags=20),
    generate=directory.tags,
    deleted=deleted_ids("tags"),
)


def tag_children(state: Any, query: Query) -> list[Any]:
    return [state.data.tags[c] for c in state.renderer.tag_children.get(query.parent.id, [])]


TAG_CHILDREN = Resource(
    name="tag_children",
    render=Renderer.tag,
    path="/tags/{id}/children",
    parent="tags",
    listed=tag_children,
)

ROWS = (
    ME,
    STATUSES,
    TEAMMATES,
    TEAMS,
    INBOXES,
    CHANNELS,
    CONTACT_LISTS,
    *CUSTOM_FIELD_SCOPES,
    CUSTOM_FIELDS,
    TAGS,
    TAG_CHILDREN,
)
