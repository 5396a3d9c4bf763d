"""Every endpoint's responses validate against core-api.json; the only differences are the documented ones."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from front_simulator.deviations import DEVIATIONS
from front_simulator.spec_schema import (
    REPO,
    component_validator,
    errors,
    response_validator,
)

MUTATIONS = [
    ("random_activity", 150),
    ("merge_conversations", 3),
    ("move", 3),
    ("tag", 5),
    ("untag", 3),
    ("update_conversation_custom_fields", 4),
    ("trash", 3),
    ("restore", 1),
    ("assign", 3),
    ("unassign", 3),
    ("new_outbound", 2),
    ("add_comments", 5),
    ("merge_contacts", 3),
    ("delete_contacts", 5),
    ("rename_tags", 2),
    ("delete_tags", 2),
    ("update_contacts", 10),
    ("update_accounts", 5),
    ("create_accounts", 2),
    ("delete_accounts", 2),
    ("create_links", 2),
    ("update_links", 3),
    ("delete_links", 1),
    ("rename_teams", 1),
]
UNPAGINATED = (
    "/contact_lists",
    "/tags",
    "/inboxes",
    "/teammates",
    "/channels",
    "/teams",
    "/contacts/custom_fields",
    "/conversations/custom_fields",
    "/accounts/custom_fields",
    "/links/custom_fields",
    "/inboxes/custom_fields",
    "/teammates/custom_fields",
)
PAGINATED = ("/contacts", "/accounts", "/links", "/conversations", "/events", "/conversations/search/re")


def diverse(conversations, limit=24):
    """A few conversations covering the (type, status, recipient role, tags, links) combinations present."""
    by_kind = {}
    for conv in conversations:
        role = conv["recipient"]["role"] if conv["recipient"] else None
        by_kind.setdefault((conv["type"], conv["status"], role, bool(conv["tags"]), bool(conv["links"])), conv)
    return list(by_kind.values())[:limit]


def requests_for(api, control):
    """(spec path, request path) for every endpoint, over a diverse sample of records.

    Every record is validated by ``test_ground_truth_validates_record_by_record``; this test checks
    the envelopes and that the API serves the same shapes.
    """
    conversations = diverse(control.truth("conversations")["_results"])
    tags = control.truth("tags")["_results"]
    yield "/me", "/me"
    for path in UNPAGINATED:
        yield path, path
    for tag in tags:
        yield "/tags/{tag_id}", f"/tags/{tag['id']}"
        if tag["_links"]["related"]["children"]:
            yield "/tags/{tag_id}/children", f"/tags/{tag['id']}/children"
    for inbox in control.truth("inboxes")["_results"]:
        yield "/inboxes/{inbox_id}", f"/inboxes/{inbox['id']}"
    for teammate in control.truth("teammates")["_results"]:
        yield "/teammates/{teammate_id}", f"/teammates/{teammate['id']}"
    for channel in control.truth("channels")["_results"]:
        yield "/channels/{channel_id}", f"/channels/{channel['id']}"
    for team in control.truth("teams")["_results"]:
        yield "/teams/{team_id}", f"/teams/{team['id']}"
    for account in control.truth("accounts")["_results"][:20]:
        yield "/accounts/{account_id}", f"/accounts/{account['id']}"
    for link in control.truth("links")["_results"][:20]:
        yield "/links/{link_id}", f"/links/{link['id']}"
    for contact in control.truth("contacts")["_results"][:40]:
        yield "/contacts/{contact_id}", f"/contacts/{contact['id']}"
    for conv in conversations:
        cid = conv["id"]
        yield "/conversations/{conversation_id}", f"/conversations/{cid}"
        yield "/conversations/{conversation_id}/comments", f"/conversations/{cid}/comments"
        yield "/conversations/{conversation_id}/messages", f"/conversations/{cid}/messages?limit=100"
    for conv in conversations[:10]:
        cid = conv["id"]
        yield "/conversations/{conversation_id}/events", f"/conversations/{cid}/events"
        yield "/conversations/{conversation_id}/inboxes", f"/conversations/{cid}/inboxes"
        yield "/conversations/{conversation_id}/followers", f"/conversations/{cid}/followers"
    for message in control.truth("messages")["_results"][:30]:
        yield "/messages/{message_id}", f"/messages/{message['id']}"
    for comment in control.truth("comments")["_results"][:20]:
        yield "/comments/{comment_id}", f"/comments/{comment['id']}"
    for event in control.truth("events")["_results"][-30:]:
        yield "/events/{event_id}", f"/events/{event['id']}"
    for query in ("is:open", "is:archived is:assigned", f"tag:{tags[0]['id']}" if tags else "paper", "re"):
        yield "/conversations/search/{query}", f"/conversations/search/{quote(query, safe='')}?limit=100"
    yield "/contacts", "/contacts?limit=100"
    yield "/accounts", "/accounts?limit=100&sort_by=updated_at"
    yield "/links", "/links?limit=100"
    yield (
        "/conversations",
        "/conversations?limit=100&q[statuses]=assigned&q[statuses]=unassigned&q[statuses]=archived&q[statuses]=trashed",
    )
    events = control.truth("events")["_results"]
    yield (
        "/events",
        f"/events?limit=15&sort_by=created_at&sort_order=asc&q[after]={events[-40]['emitted_at']}",
    )
    yield "/events", "/events?limit=15&q[before]=1710000000"


@pytest.mark.parametrize("phase", ["seeded", "after-mutations"])
def test_every_endpoint_validates_against_the_spec(api, control, phase):
    if phase == "after-mutations":
        for action, count in MUTATIONS:
            control.mutate(action, count=count)
    validators = {}
    checked = 0
    failures = []
    for spec_path, path in requests_for(api, control):
        validator = validators.get(spec_path) or validators.setdefault(spec_path, response_validator(spec_path))
        url = path
        while url:
            body = api.get_json(url)
            problems = errors(validator, body)
            if problems:
                failures.append(f"{spec_path} {url}: {problems}")
            checked += 1
            url = body.get("_pagination", {}).get("next")
    assert not failures, "\n".join(failures[:10])
    assert checked > 150


def test_unpaginated_lists_have_no_pagination_and_paginated_ones_do(api, control):
    conv = control.truth("conversations")["_results"][0]["id"]
    for path in (*UNPAGINATED, f"/conversations/{conv}/comments"):
        assert "_pagination" not in api.get_json(path), path
    for path in (*PAGINATED, f"/conversations/{conv}/messages"):
        assert "next" in api.get_json(path)["_pagination"], path


def test_ticketing_shapes_validate(api, control):
    control.reset(seed=4, sizes={"contacts": 20, "conversations": 40, "ticketing": 1, "custom_ticket_statuses": 3})
    control.mutate("update_ticket_statuses", count=2)
    statuses = api.get_json("/company/statuses")
    assert not errors(response_validator("/company/statuses"), statuses)
    for status in statuses["_results"]:
        body = api.get_json(f"/company/statuses/{status['id']}")
        assert not errors(response_validator("/company/statuses/{status_id}"), body)
        assert not errors(component_validator("StatusResponse"), body)
    body = api.get_json("/conversations", params={"limit": 100})
    assert any("status_category" in c for c in body["_results"])
    assert not errors(response_validator("/conversations"), body)


TRUTH_SCHEMAS = [
    ("contacts", "ContactResponse"),
    ("contact_lists", "ContactListResponses"),
    ("tags", "TagResponse"),
    ("inboxes", "InboxResponse"),
    ("teammates", "TeammateResponse"),
    ("channels", "ChannelResponse"),
    ("custom_fields", "CustomFieldResponse"),
    ("conversations", "ConversationResponse"),
    ("messages", "MessageResponse"),
    ("comments", "CommentResponse"),
    ("events", "EventResponse"),
    ("me", "IdentityResponse"),
    ("accounts", "AccountResponse"),
    ("links", "LinkResponse"),
    ("teams", "TeamPreviewResponse"),
    *((f"{scope}_custom_fields", "CustomFieldResponse") for scope in ("account", "link", "inbox", "teammate")),
]


@pytest.fixture
def mutated(api, control):
    for action, count in MUTATIONS:
        control.mutate(action, count=count)
    return control


def test_ground_truth_validates_record_by_record(mutated):
    failures = []
    for resource, schema in TRUTH_SCHEMAS:
        validator = component_validator(schema)
        records = mutated.truth(resource)["_results"]
        assert records, resource
        for record in records:
            problems = errors(validator, record, 1)
            if problems:
                failures.append(f"{resource} {record.get('id')}: {problems}")
    assert not failures, "\n".join(failures[:10])


@pytest.mark.parametrize("deviation", DEVIATIONS, ids=[f"{d.schema}.{d.field}" for d in DEVIATIONS])
def test_each_documented_deviation_is_still_needed(mutated, deviation):
    """Without the deviation the strict spec schema rejects some record: the list holds nothing stale."""
    others = tuple(d for d in DEVIATIONS if d is not deviation)
    validator = component_validator(deviation.schema, others)
    resource = {"ContactResponse": "contacts", "MessageResponse": "messages", "EventResponse": "events"}[
        deviation.schema
    ]
    records = mutated.truth(resource)["_results"]
    assert any(errors(validator, record, 1) for record in reversed(records))


def test_readme_lists_every_deviation():
    readme = (REPO / "simulator" / "front_simulator" / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Schema deviations", 1)[1].split("\n## ", 1)[0]
    listed = [line for line in section.splitlines() if line[:2].rstrip(".").isdigit()]
    assert len(listed) == len(DEVIATIONS)
    for deviation in DEVIATIONS:
        assert f"`{deviation.schema}.{deviation.field}`" in section


def test_strict_schemas_reject_an_undeclared_field(control):
    """The conversion is strict: a field the spec does not declare is an error (so nothing else deviates)."""
    contact = dict(control.truth("contacts")["_results"][0])
    validator = component_validator("ContactResponse")
    assert not errors(validator, contact)
    contact["is_spammer"] = None
    assert errors(validator, contact)
