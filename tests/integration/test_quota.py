"""The API quota goes only to what changed (issue 11), end to end with dag.test() against the simulator:
children from the events themselves, nothing refetched for the overlap, backfill re-runs that skip unchanged
conversations, the small resources listed only as often as configured, and the nightly re-listing."""

from __future__ import annotations

import json

import pytest

from front_sync_testing.truth import SIZES, assert_matches_truth, query, run, wait_past

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server

CHILD_ENDPOINTS = ("/conversations/{id}/messages", "/conversations/{id}/comments")
CONVERSATION_TABLES = {"conversations": "conversations", "messages": "messages", "comments": "comments"}


def calls(simulator, *endpoints):
    stats = simulator.stats()["endpoints"]
    return sum(stats.get(e, {}).get("calls", 0) for e in endpoints)


def metadata(url, dag_id, resource):
    return query(
        url,
        "SELECT metadata FROM front.sync_logs WHERE dag_id = %s AND resource = %s ORDER BY id DESC LIMIT 1",
        (dag_id, resource),
    )[0]["metadata"]


def loaded_account(dags, simulator, seed):
    simulator.reset(seed=seed, sizes=SIZES)
    assert run(dags["front_sync_backfill"]).state == "success"
    wait_past(simulator)
    assert run(dags["front_sync_incremental"]).state == "success"


def change_everything_with_children(simulator):
    for action in ("new_inbound", "new_out_reply", "new_conversations", "add_comments", "tag", "archive"):
        simulator.mutate(action, count=4)
    wait_past(simulator)


def test_children_carried_by_events_cost_no_fetch_and_the_overlap_costs_no_second_fetch(
    dags, simulator, warehouse_url, clean_variables
):
    loaded_account(dags, simulator, seed=31)
    change_everything_with_children(simulator)
    simulator.reset_stats()
    assert run(dags["front_sync_incremental"]).state == "success"
    assert calls(simulator, *CHILD_ENDPOINTS) == 0
    assert_matches_truth(simulator, warehouse_url, CONVERSATION_TABLES)
    carried = metadata(warehouse_url, "front_sync_incremental", "conversations")["carried_by_events"]
    assert carried["messages"] >= 12 and carried["comments"] >= 4

    # A second run inside the overlap reads the same events again, and applies none of them twice.
    simulator.reset_stats()
    assert run(dags["front_sync_incremental"]).state == "success"
    assert calls(simulator, "/events") >= 1 and calls(simulator, *CHILD_ENDPOINTS) == 0
    again = metadata(warehouse_url, "front_sync_incremental", "conversations")
    assert again["already_applied_events"] >= 20 and again["queued"] == {"messages": 0, "comments": 0}


def test_event_targets_without_the_whole_record_are_fetched(dags, simulator, warehouse_url, clean_variables):
    loaded_account(dags, simulator, seed=32)
    change_everything_with_children(simulator)
    simulator.set_faults([{"endpoint": "/events", "kind": "bad_records", "variant": "event_preview", "count": 15}])
    simulator.reset_stats()
    assert run(dags["front_sync_incremental"]).state == "success"
    assert calls(simulator, "/conversations/{id}/messages") >= 8  # one per conversation with new messages
    assert_matches_truth(simulator, warehouse_url, CONVERSATION_TABLES)
    carried = metadata(warehouse_url, "front_sync_incremental", "conversations")["carried_by_events"]
    assert carried == {}


def test_a_backfill_rerun_fetches_only_the_children_of_conversations_that_changed_without_a_full_record(
    dags, simulator, warehouse_url, clean_variables
):
    loaded_account(dags, simulator, seed=33)
    change_everything_with_children(simulator)  # all carried in full: the markers move on with the events
    merged = simulator.mutate("merge_conversations", count=1)["ids"]  # a merge is always fetched
    wait_past(simulator)
    assert run(dags["front_sync_incremental"]).state == "success"
    simulator.reset_stats()
    assert run(dags["front_sync_backfill"], restart=True).state == "success"
    assert calls(simulator, *CHILD_ENDPOINTS) == 0, simulator.stats()["endpoints"]
    assert_matches_truth(simulator, warehouse_url, CONVERSATION_TABLES)
    assert merged

    simulator.reset_stats()  # refetch_children forces every fetch
    assert run(dags["front_sync_backfill"], restart=True, refetch_children=True).state == "success"
    live = query(warehouse_url, "SELECT count(*) AS n FROM front.conversations WHERE deleted_at IS NULL")[0]["n"]
    assert calls(simulator, "/conversations/{id}/messages") == live


def test_the_hourly_run_lists_small_resources_only_when_due_and_the_nightly_relisting_converges_silent_changes(
    dags, simulator, warehouse_url, clean_variables
):
    loaded_account(dags, simulator, seed=34)
    assert run(dags["front_sync_full"]).state == "success"
    simulator.reset_stats()
    result = run(dags["front_sync_incremental"])
    states = {ti.task_id: ti.state for ti in result.get_task_instances()}
    assert states["sync_tags"] == "skipped" and states["sync_contacts"] == "success"
    assert calls(simulator, "/tags", "/teammates", "/inboxes") == 0

    # Tags renamed and links changed inside conversations emit no event: the nightly re-listing catches them,
    # fetching no message or comment of conversations whose children did not change; the only children fetched
    # are the rolling verification's slice (issue 19: about 1/verify_days of the conversations, one page each).
    simulator.mutate("rename_tags", count=2)
    simulator.mutate("update_links", count=2)
    wait_past(simulator)
    simulator.reset_stats()
    assert run(dags["front_sync_full"]).state == "success"
    verified = {
        child: metadata(warehouse_url, "front_sync_full", child)["verify"]["due"] for child in ("messages", "comments")
    }
    assert 0 < verified["messages"] < 0.5 * SIZES["conversations"]
    assert calls(simulator, *CHILD_ENDPOINTS) == sum(verified.values())
    assert_matches_truth(simulator, warehouse_url, {"conversations": "conversations", "tags": "tags"})
    assert metadata(warehouse_url, "front_sync_full", "conversations")["complete_listing"] is True

    clean_variables.set("front_sync.config", json.dumps({"directory_refresh_minutes": 0}))
    simulator.reset_stats()
    assert run(dags["front_sync_incremental"]).state == "success"
    assert calls(simulator, "/tags") == 1
