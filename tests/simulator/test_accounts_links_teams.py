"""Accounts, links, teams, custom fields of every scope and ticket statuses: listings, filters, mutations, truth."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from front_simulator.control import SimulatorControlError

from .support import SIZES

CUSTOM_FIELD_ENDPOINTS = [
    ("contact", "/contacts/custom_fields"),
    ("conversation", "/conversations/custom_fields"),
    ("account", "/accounts/custom_fields"),
    ("link", "/links/custom_fields"),
    ("inbox", "/inboxes/custom_fields"),
    ("teammate", "/teammates/custom_fields"),
]


def ids(records):
    return [r["id"] for r in records]


def truth(control, resource):
    return control.truth(resource)["_results"]


# -- accounts ----------------------------------------------------------------------------------------


def test_every_account_exactly_once_across_pages_on_the_company_host(sim, api, control):
    pages = api.pages("/accounts", params={"limit": 37})
    listed = [a for page in pages for a in page["_results"]]
    assert len(listed) == SIZES["accounts"] and len(pages) == -(-SIZES["accounts"] // 37)
    assert sorted(ids(listed)) == sorted(ids(truth(control, "accounts")))
    assert urlsplit(pages[0]["_pagination"]["next"]).hostname == "localhost" != urlsplit(sim.base_url).hostname
    assert len(api.get_json("/accounts", params={"limit": 500})["_results"]) == 100


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("sort_by", ["created_at", "updated_at"])
def test_accounts_sort_orders(api, sort_by, order):
    listed = api.all_results("/accounts", params={"limit": 100, "sort_by": sort_by, "sort_order": order})
    keys = [(a[sort_by], a["id"]) for a in listed]
    assert keys == sorted(keys, reverse=order == "desc")


@pytest.mark.parametrize("params", [{"sort_by": "name"}, {"limit": "0"}, {"page_token": "nope"}])
def test_accounts_bad_parameters_are_400(api, params):
    assert api.get("/accounts", params=params).status_code == 400


def test_update_accounts_moves_updated_at_to_the_end_of_the_updated_order(api, control):
    before = max(a["updated_at"] for a in truth(control, "accounts"))
    changed = control.mutate("update_accounts", count=7)
    assert len(changed["ids"]) == 7 and changed["events"] == []
    newest = api.get_json("/accounts", params={"sort_by": "updated_at", "limit": 7})["_results"]
    assert set(ids(newest)) == set(changed["ids"]) and all(a["updated_at"] > before for a in newest)
    assert api.get_json(f"/accounts/{changed['ids'][0]}") == next(
        a for a in truth(control, "accounts") if a["id"] == changed["ids"][0]
    )


def test_deleted_accounts_vanish_and_leave_short_pages(api, control):
    first = api.get_json("/accounts", params={"limit": 50, "sort_by": "created_at", "sort_order": "asc"})
    victims = ids(first["_results"])[:4]
    assert control.mutate("delete_accounts", ids=victims)["ids"] == victims
    again = api.get_json("/accounts", params={"limit": 50, "sort_by": "created_at", "sort_order": "asc"})
    assert len(again["_results"]) == 46 and again["_pagination"]["next"]
    assert api.get(f"/accounts/{victims[0]}").status_code == 404
    assert set(truth(control, "deleted_accounts")) == set(victims)
    assert not set(victims) & set(ids(truth(control, "accounts")))


def test_create_accounts_and_aliases(api, control):
    created = control.mutate("create_accounts", count=3)["ids"]
    newest = api.get_json("/accounts", params={"limit": 3})["_results"]  # newest created first by default
    assert ids(newest) == list(reversed(created))
    account = next(a for a in truth(control, "accounts") if a["external_id"])
    assert api.get_json(f"/accounts/alt:domain:{account['domains'][0]}")["id"] == account["id"]
    assert api.get_json(f"/accounts/alt:external_id:{account['external_id']}")["id"] == account["id"]


def test_account_custom_fields_use_the_account_scope(control):
    names = {f["name"] for f in truth(control, "account_custom_fields")}
    values = [a["custom_fields"] for a in truth(control, "accounts")]
    assert any(values) and all(set(v) <= names for v in values)
    assert any(a["logo_url"] is None for a in truth(control, "accounts"))


# -- links -------------------------------------------------------------------------------------------


def test_links_include_those_of_conversations_and_filter_by_type(api, control):
    listed = api.all_results("/links", params={"limit": 5})
    assert sorted(ids(listed)) == sorted(ids(truth(control, "links")))
    attached = {link["id"]: link for c in truth(control, "conversations") for link in c["links"]}
    assert attached and set(attached) < set(ids(listed))
    for link in listed:
        if link["id"] in attached:
            assert attached[link["id"]] == link
    kinds = {link["type"] for link in listed}
    some = sorted(kinds)[:2]
    filtered = api.all_results("/links", params={"q[types]": some, "limit": 100})
    assert filtered and {link["type"] for link in filtered} <= set(some)
    assert len(filtered) == sum(1 for link in listed if link["type"] in some)


def test_links_sort_by_id_only(api):
    desc = ids(api.all_results("/links", params={"sort_by": "id", "limit": 100}))
    asc = ids(api.all_results("/links", params={"sort_by": "id", "sort_order": "asc", "limit": 100}))
    assert asc == list(reversed(desc))
    assert api.get("/links", params={"sort_by": "created_at"}).status_code == 400


def test_link_updates_and_deletions_show_in_conversations_without_events(api, control):
    conv = next(c for c in truth(control, "conversations") if c["links"])
    link_id = conv["links"][0]["id"]
    events_before = len(truth(control, "events"))
    control.mutate("update_links", ids=[link_id], name="PB-1 renamed ✨")
    assert api.get_json(f"/links/{link_id}")["name"] == "PB-1 renamed ✨"
    assert api.get_json(f"/conversations/{conv['id']}")["links"][0]["name"] == "PB-1 renamed ✨"
    control.mutate("delete_links", ids=[link_id])
    assert api.get(f"/links/{link_id}").status_code == 404
    assert link_id not in ids(api.all_results("/links", params={"limit": 100}))
    assert link_id not in ids(api.get_json(f"/conversations/{conv['id']}")["links"])
    assert truth(control, "deleted_links") == [link_id] and len(truth(control, "events")) == events_before
    created = control.mutate("create_links", count=2)["ids"]
    assert set(created) <= set(ids(api.all_results("/links", params={"limit": 100})))


# -- custom fields of every scope ----------------------------------------------------------------------


@pytest.mark.parametrize(("scope", "path"), CUSTOM_FIELD_ENDPOINTS, ids=[s for s, _ in CUSTOM_FIELD_ENDPOINTS])
def test_custom_fields_of_each_scope(api, control, scope, path):
    body = api.get_json(path)
    assert "_pagination" not in body and body["_links"]["self"].endswith(path)
    assert body["_results"] == truth(control, f"{scope}_custom_fields") and body["_results"]


@pytest.mark.parametrize(("resource", "fields"), [("inboxes", "inbox"), ("teammates", "teammate")])
def test_inbox_and_teammate_custom_field_values_are_keyed_by_name(control, resource, fields):
    names = {f["name"] for f in truth(control, f"{fields}_custom_fields")}
    values = [r["custom_fields"] for r in truth(control, resource)]
    assert any(values) and all(set(v) <= names for v in values)


def test_custom_fields_truth_keeps_contact_and_conversation_fields_only(api, control):
    both = ids(truth(control, "contact_custom_fields")) + ids(truth(control, "conversation_custom_fields"))
    assert ids(truth(control, "custom_fields")) == both
    assert api.get_json("/custom_fields")["_links"]["self"].endswith("/custom_fields")  # deprecated alias
    assert api.get_json("/custom_fields")["_results"] == truth(control, "contact_custom_fields")


# -- teams ---------------------------------------------------------------------------------------------


def test_teams_list_previews_and_get_adds_inboxes_and_members(api, control):
    teams = api.get_json("/teams")
    assert "_pagination" not in teams and teams["_results"] == truth(control, "teams")
    assert all(set(t) == {"_links", "id", "name"} for t in teams["_results"])
    owned = {i["_links"]["related"]["owner"].rsplit("/", 1)[1] for i in truth(control, "inboxes")}
    team = next(t for t in teams["_results"] if t["id"] in owned)
    full = api.get_json(f"/teams/{team['id']}")
    assert full["name"] == team["name"] and full["members"] and full["inboxes"]
    assert all(i["_links"]["related"]["owner"].endswith(f"/teams/{team['id']}") for i in full["inboxes"])
    assert api.get("/teams/tim_nope").status_code == 404
    control.mutate("rename_teams", ids=[team["id"]], name="Scranton Crew")
    assert api.get_json(f"/teams/{team['id']}")["name"] == "Scranton Crew"


# -- ticket statuses -----------------------------------------------------------------------------------


def test_ticket_statuses_list_get_and_update(api, control):
    assert api.get("/company/statuses/sts_x").status_code == 404
    with pytest.raises(SimulatorControlError, match="ticketing"):
        control.mutate("update_ticket_statuses")
    control.reset(seed=3, sizes={"contacts": 10, "conversations": 10, "ticketing": 1, "custom_ticket_statuses": 3})
    statuses = api.get_json("/company/statuses")["_results"]
    assert [s["name"] for s in statuses[:3]] == ["Open", "Waiting", "Resolved"] and len(statuses) == 6
    assert statuses == truth(control, "statuses")
    assert api.get_json(f"/company/statuses/{statuses[4]['id']}") == statuses[4]
    changed = control.mutate("update_ticket_statuses", ids=[statuses[0]["id"], statuses[4]["id"]])["ids"]
    after = {s["id"]: s for s in api.get_json("/company/statuses")["_results"]}
    assert after[changed[0]]["name"] == "Open" and after[changed[1]]["name"] != statuses[4]["name"]
    assert all(after[i]["updated_at"] > statuses[0]["updated_at"] for i in changed)


# -- sizes and events ------------------------------------------------------------------------------------


def test_new_sizes_are_honoured_and_zero_works(api, control):
    control.reset(
        seed=2,
        sizes={
            "accounts": 0,
            "links": 0,
            "teams": 0,
            "conversations": 0,
            "inboxes": 2,
            "account_custom_fields": 0,
            "inbox_custom_fields": 0,
        },
    )
    assert api.get_json("/accounts")["_results"] == [] and api.get_json("/links")["_results"] == []
    assert api.get_json("/teams")["_results"] == [] and api.get_json("/accounts/custom_fields")["_results"] == []
    assert all(i["custom_fields"] == {} for i in api.get_json("/inboxes")["_results"])


@pytest.mark.parametrize(
    "action",
    [
        "update_accounts",
        "create_accounts",
        "delete_accounts",
        "create_links",
        "update_links",
        "delete_links",
        "rename_teams",
    ],
)
def test_directory_changes_emit_no_event(api, control, action):
    before = api.get_json("/events", params={"limit": 1})["_results"][0]["id"]
    assert control.mutate(action, count=2)["ids"]
    assert api.get_json("/events", params={"limit": 1})["_results"][0]["id"] == before
