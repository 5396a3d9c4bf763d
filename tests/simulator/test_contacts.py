"""/contacts: auth, filters, sort orders, pagination, limits, company-host links, mutations via control."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests


def ids(records):
    return [r["id"] for r in records]


def test_requires_bearer_token(sim, api):
    missing = requests.get(f"{sim.base_url}/contacts", timeout=5)
    wrong = requests.get(f"{sim.base_url}/contacts", headers={"Authorization": "Bearer nope"}, timeout=5)
    for response in (missing, wrong):
        assert response.status_code == 401
        error = response.json()["_error"]
        assert error["status"] == 401 and error["title"] == "Unauthenticated" and error["message"]


def test_me_identifies_company(api):
    me = api.get_json("/me")
    assert me["id"].startswith("cmp_") and me["name"]


def test_every_contact_exactly_once_across_pages(api, control):
    truth = ids(control.truth("contacts")["_results"])
    pages = api.pages("/contacts", params={"limit": 37})
    seen = [c["id"] for page in pages for c in page["_results"]]
    assert len(pages) == -(-len(truth) // 37)
    assert sorted(seen) == sorted(truth) and len(seen) == len(set(seen))


def test_next_link_uses_company_host_and_carries_limit_filters_and_token(sim, api):
    page = api.get_json(
        "/contacts",
        params={"limit": 10, "sort_by": "updated_at", "sort_order": "asc", "q[updated_after]": "1700000000"},
    )
    nxt = urlsplit(page["_pagination"]["next"])
    assert nxt.hostname == "localhost" != urlsplit(sim.base_url).hostname
    assert nxt.port == sim.port
    query = parse_qs(nxt.query)
    assert query["limit"] == ["10"] and query["page_token"][0]
    assert query["q[updated_after]"] == ["1700000000"] and query["sort_by"] == ["updated_at"]
    assert page["_links"]["self"].startswith(f"http://localhost:{sim.port}/")


@pytest.mark.parametrize("order", ["asc", "desc"], ids=["ascending", "descending"])
@pytest.mark.parametrize("sort_by", ["created_at", "updated_at"], ids=["by-created", "by-updated"])
def test_sort_orders(api, sort_by, order):
    records = api.all_results("/contacts", params={"limit": 100, "sort_by": sort_by, "sort_order": order})
    assert len(records) == 500
    if sort_by == "updated_at":
        keys = [c["updated_at"] for c in records]
        assert keys == sorted(keys, reverse=order == "desc")
    else:
        assert ids(records) != ids(sorted(records, key=lambda c: c["updated_at"]))


def test_updated_after_and_before_are_exclusive(api, control):
    contacts = sorted(control.truth("contacts")["_results"], key=lambda c: c["updated_at"])
    low, high = contacts[100]["updated_at"], contacts[300]["updated_at"]
    records = api.all_results(
        "/contacts",
        params={"limit": 100, "q[updated_after]": low, "q[updated_before]": high, "sort_by": "updated_at"},
    )
    expected = {c["id"] for c in contacts if low < c["updated_at"] < high}
    assert set(ids(records)) == expected
    assert contacts[100]["id"] not in expected and contacts[300]["id"] not in expected


def test_updated_filter_without_updated_sort(api, control):
    contacts = control.truth("contacts")["_results"]
    cut = sorted(c["updated_at"] for c in contacts)[250]
    records = api.all_results("/contacts", params={"limit": 50, "q[updated_after]": cut})
    assert set(ids(records)) == {c["id"] for c in contacts if c["updated_at"] > cut}


def test_timestamps_are_epoch_seconds_with_at_most_three_decimals(control):
    for contact in control.truth("contacts")["_results"]:
        value = contact["updated_at"]
        assert 1_704_067_200 <= value < 1_767_400_000
        assert round(value, 3) == value


@pytest.mark.parametrize(
    ("limit", "expected"), [("500", 100), ("100", 100), ("1", 1)], ids=["capped-at-100", "max", "one"]
)
def test_limit_is_capped_at_100(api, limit, expected):
    assert len(api.get_json("/contacts", params={"limit": limit})["_results"]) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "ten"},
        {"sort_by": "name"},
        {"sort_order": "up"},
        {"q[updated_after]": "yesterday"},
        {"page_token": "garbage!"},
    ],
    ids=["limit-zero", "limit-text", "bad-sort-by", "bad-sort-order", "bad-timestamp", "bad-token"],
)
def test_bad_parameters_are_400_with_error_envelope(api, params):
    response = api.get("/contacts", params=params)
    assert response.status_code == 400
    assert response.json()["_error"]["status"] == 400


def test_update_moves_updated_at_strictly_increasing_and_incremental_filter_finds_them(api, control):
    before = max(c["updated_at"] for c in control.truth("contacts")["_results"])
    changed = control.mutate("update_contacts", count=20)["ids"]
    assert len(changed) == 20 == len(set(changed))
    records = api.all_results(
        "/contacts",
        params={"q[updated_after]": before, "sort_by": "updated_at", "sort_order": "asc", "limit": 7},
    )
    assert set(ids(records)) == set(changed)
    stamps = [c["updated_at"] for c in records]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    again = control.mutate("update_contacts", count=1)["ids"]
    latest = api.get_json(f"/contacts/{again[0]}")
    assert latest["updated_at"] > stamps[-1]


def test_delete_contacts_vanish_without_tombstone(api, control):
    deleted = control.mutate("delete_contacts", count=15)["ids"]
    listed = set(ids(api.all_results("/contacts", params={"limit": 100})))
    assert not listed & set(deleted) and len(listed) == 485
    assert set(ids(control.truth("contacts")["_results"])) == listed
    response = api.get(f"/contacts/{deleted[0]}")
    assert response.status_code == 404 and response.json()["_error"]["status"] == 404


def test_deleted_contacts_leave_short_pages_but_next_continues(api, control):
    first = api.get_json("/contacts", params={"limit": 50, "sort_by": "created_at", "sort_order": "asc"})
    victims = ids(first["_results"])[:10]
    second_page_ids = ids(api.get_json(first["_pagination"]["next"])["_results"])
    control.mutate("delete_contacts", ids=second_page_ids[:5])
    control.mutate("delete_contacts", ids=victims)
    again = api.get_json("/contacts", params={"limit": 50, "sort_by": "created_at", "sort_order": "asc"})
    assert len(again["_results"]) == 40 and again["_pagination"]["next"]
    assert len(api.get_json(again["_pagination"]["next"])["_results"]) == 45


def test_merge_contacts_deletes_the_merged_and_moves_the_survivor(api, control):
    before = max(c["updated_at"] for c in control.truth("contacts")["_results"])
    result = control.mutate("merge_contacts", count=3)
    assert len(result["ids"]) == 3
    live = {c["id"]: c for c in control.truth("contacts")["_results"]}
    for loser, survivor in result["merged"].items():
        assert loser not in live and live[survivor]["updated_at"] > before
    assert control.truth("merges")["contacts"] == result["merged"]


def test_contact_by_id_and_alias(api, control):
    contact = control.truth("contacts")["_results"][3]
    assert api.get_json(f"/contacts/{contact['id']}") == contact
    handle = contact["handles"][0]
    alias = f"alt:{handle['source']}:{handle['handle']}"
    assert api.get_json(f"/contacts/{alias}")["id"] == contact["id"]


def test_contact_shape_matches_api_and_truth(api, control):
    truth = {c["id"]: c for c in control.truth("contacts")["_results"]}
    for record in api.all_results("/contacts", params={"limit": 100}):
        assert record == truth[record["id"]]


def test_stats_count_calls_per_endpoint(api, control):
    control.reset_stats()
    api.get("/contacts")
    api.get("/contacts")
    api.get("/me")
    stats = control.stats()["endpoints"]
    assert stats["/contacts"]["calls"] == 2 and stats["/me"]["calls"] == 1
    assert stats["/contacts"]["statuses"] == {"200": 2}


def test_listings_stay_sorted_through_many_mutations(api, control):
    api.all_results("/contacts", params={"limit": 100, "sort_by": "updated_at"})  # indexes built and cached
    api.all_results("/contacts", params={"limit": 100, "sort_by": "created_at"})
    for action, count in (
        ("update_contacts", 40),
        ("create_contacts", 7),
        ("merge_contacts", 4),
        ("delete_contacts", 9),
        ("update_contacts", 40),
    ):
        control.mutate(action, count=count)
    live = control.truth("contacts")["_results"]
    by_updated = api.all_results("/contacts", params={"limit": 100, "sort_by": "updated_at", "sort_order": "asc"})
    assert ids(by_updated) == ids(sorted(live, key=lambda c: (c["updated_at"], c["id"])))
    by_created = api.all_results("/contacts", params={"limit": 100, "sort_by": "created_at", "sort_order": "desc"})
    assert sorted(ids(by_created)) == sorted(ids(live)) and ids(by_created)[:7] == list(reversed(ids(live)[-7:]))
