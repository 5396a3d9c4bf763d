"""All four DAGs end to end with dag.test(): backfill, every kind of change, incremental, full, on demand.

The warehouse is compared with the simulator's ground truth table by table (the raw record of every live row).
"""

from __future__ import annotations

import json
from decimal import Decimal

import psycopg
import pytest

from front_simulator.mutations import CONVERSATION_CHANGES
from front_sync_testing.truth import SIZES, assert_matches_truth, live_rows, query, run, wait_past

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server


def test_backfill_then_every_kind_of_change_then_incremental_and_full(dags, simulator, warehouse_url, clean_variables):
    simulator.reset(seed=5, sizes=SIZES)
    # Every kind of change is expected after one hourly run: the small resources are listed in every run here.
    clean_variables.set("front_sync.config", json.dumps({"directory_refresh_minutes": 0}))
    assert run(dags["front_sync_backfill"]).state == "success"
    assert run(dags["front_sync_full"]).state == "success"
    assert_matches_truth(simulator, warehouse_url)
    wait_past(simulator)
    assert run(dags["front_sync_incremental"]).state == "success"  # sets the conversation cursor
    marks = {k: clean_variables.get(f"front_sync.watermark.{k}") for k in ("contacts", "conversations")}
    assert all(marks.values())

    for action in (
        *CONVERSATION_CHANGES,
        "update_contacts",
        "create_contacts",
        "create_accounts",
        "update_accounts",
        "delete_accounts",
        "create_links",
        "rename_teams",
        "update_ticket_statuses",
    ):
        simulator.mutate(action, count=3)
    wait_past(simulator)
    assert run(dags["front_sync_incremental"]).state == "success"
    assert_matches_truth(simulator, warehouse_url)
    merged = simulator.truth("merges")["conversations"]
    assert merged and all(
        r["deleted_at"]
        for r in query(warehouse_url, "SELECT deleted_at FROM front.conversations WHERE id = ANY(%s)", (list(merged),))
    )

    # A tag rename emits no event (as in Front): the tags table follows, conversations keep the tag id.
    renamed = simulator.mutate("rename_tags", count=2)["ids"]
    for action in ("update_links", "delete_links"):  # links change inside conversations without an event too
        simulator.mutate(action, count=2)
    wait_past(simulator)
    assert run(dags["front_sync_incremental"]).state == "success"
    assert_matches_truth(simulator, warehouse_url, {"tags": "tags", "links": "links"})
    names = {
        r["id"]: r["name"]
        for r in query(warehouse_url, "SELECT id, name FROM front.tags WHERE id = ANY(%s)", (renamed,))
    }
    assert names == {t["id"]: t["name"] for t in simulator.truth("tags")["_results"] if t["id"] in renamed}

    gone = simulator.mutate("delete_contacts", count=4)["ids"]
    assert run(dags["front_sync_full"]).state == "success"
    deleted = {r["id"] for r in query(warehouse_url, "SELECT id FROM front.contacts WHERE deleted_at IS NOT NULL")}
    assert deleted == set(gone)
    assert_matches_truth(simulator, warehouse_url, {"contacts": "contacts"})
    for key, before in marks.items():  # a full run never moves a watermark back
        after = clean_variables.get(f"front_sync.watermark.{key}")
        assert Decimal(_value(after)) >= Decimal(_value(before))

    # A row an earlier listing missed (soft-deleted here by hand) comes back with the next full listing.
    back = next(iter(live_rows(warehouse_url, "contacts")))
    with psycopg.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute("SET front_sync.writer = 'on'")  # the sync's own soft delete, not a local edit (migration 022)
        cur.execute("UPDATE front.contacts SET deleted_at = now() WHERE id = %s", (back,))
    assert run(dags["front_sync_full"]).state == "success"
    assert query(warehouse_url, "SELECT deleted_at FROM front.contacts WHERE id = %s", (back,))[0]["deleted_at"] is None
    # Any sighting restores a soft-deleted row: the loader rewrites it (counted as updated) and clears deleted_at.
    log = query(
        warehouse_url,
        "SELECT updated, deleted FROM front.sync_logs WHERE resource = 'contacts' ORDER BY id DESC LIMIT 1",
    )[0]
    assert (log["updated"], log["deleted"]) == (1, 0)

    # A later backfill re-loads conversations but leaves the conversations watermark where it is. Messages of
    # conversations unchanged since their last fetch are not fetched again: a deleted contact's link inside a
    # recipient (a change without an event) converges only with refetch_children.
    mark = clean_variables.get("front_sync.watermark.conversations")
    simulator.reset_stats()
    assert run(dags["front_sync_backfill"], restart=True).state == "success"
    assert clean_variables.get("front_sync.watermark.conversations") == mark
    assert set(simulator.stats()["endpoints"]) == {"/conversations"}  # the listing only
    assert_matches_truth(simulator, warehouse_url, {"conversations": "conversations"})
    assert run(dags["front_sync_backfill"], restart=True, refetch_children=True).state == "success"
    assert_matches_truth(simulator, warehouse_url, {"conversations": "conversations", "messages": "messages"})


def _value(text):
    return json.loads(text)["value"]


def test_messages_dag_validates_params_before_any_call(dags, simulator, warehouse_url, clean_variables):
    simulator.reset(seed=6, sizes={**SIZES, "conversations": 10})
    from airflow.sdk.definitions.param import ParamValidationError

    simulator.reset_stats()
    before = simulator.stats()["totals"]["calls"]
    for bad in ({"conversation_ids": ["msg_1"]}, {"conversation_ids": []}, {"conversation_ids": "cnv_1"}):
        with pytest.raises((ParamValidationError, ValueError)):
            run(dags["front_sync_messages"], **bad)
    assert simulator.stats()["totals"]["calls"] == before

    ids = [c["id"] for c in simulator.truth("conversations")["_results"]][:4]
    assert run(dags["front_sync_messages"], conversation_ids=ids).state == "success"
    stored = {r["id"] for r in query(warehouse_url, "SELECT id FROM front.messages")}
    expected = {
        m["id"]
        for m in simulator.truth("messages")["_results"]
        if m["_links"]["related"]["conversation"].rsplit("/", 1)[-1] in ids
    }
    assert stored == expected and expected


def conversation_calls(simulator):
    return simulator.stats()["endpoints"].get("/conversations", {}).get("calls", 0)


def test_failed_backfill_resumes_from_its_checkpoint(
    dags, simulator, simulator_server, warehouse_url, clean_variables, monkeypatch
):
    import json

    import pendulum

    simulator.reset(seed=8, sizes={**SIZES, "conversations": 100})
    clean_variables.set("front_sync.config", json.dumps({"batch_pages": 1}))
    monkeypatch.setenv(
        "AIRFLOW_CONN_FRONT_DEFAULT",
        json.dumps(
            {
                "conn_type": "front",
                "host": simulator_server.base_url,
                "password": "test-token",
                "extra": {
                    "allowed_hosts": ["localhost"],
                    "rpm": 100000,
                    "share": 1.0,
                    "burst_per_second": 0,
                    "page_limit": 20,
                    "max_attempts": 0,
                },
            }
        ),
    )
    dag = dags["front_sync_backfill"]
    task = dag.get_task("backfill_conversations")
    logical_date = pendulum.now("UTC")
    simulator.set_faults([{"endpoint": "/conversations", "kind": "status", "status": 503, "after_calls": 3}])
    simulator.reset_stats()
    retries, task.retries = task.retries, 0
    try:
        assert dag.test(logical_date=logical_date, run_conf={"restart": False}).state == "failed"
    finally:
        task.retries = retries
    assert conversation_calls(simulator) == 4  # three batches committed, the fourth call failed
    assert len(live_rows(warehouse_url, "conversations")) == 60
    simulator.clear_faults()
    simulator.reset_stats()

    # The same scope again, as Airflow's retry would (restart explicit: the module's DAG object is shared).
    assert dag.test(logical_date=logical_date, run_conf={"restart": False}).state == "success"
    assert conversation_calls(simulator) == 2  # pages 4 and 5 only: finished batches not fetched again
    assert_matches_truth(
        simulator, warehouse_url, {"conversations": "conversations", "messages": "messages", "comments": "comments"}
    )
    log = query(
        warehouse_url,
        "SELECT metadata FROM front.sync_logs WHERE resource = 'conversations' "
        "AND status = 'success' ORDER BY id DESC LIMIT 1",
    )[0]
    assert log["metadata"]["resumed"] is True


def test_max_results_caps_a_run_and_the_next_one_continues(dags, simulator, warehouse_url, clean_variables):
    import json

    simulator.reset(seed=9, sizes={"contacts": 250, "conversations": 0})
    clean_variables.set("front_sync.config", json.dumps({"max_results": {"contacts": 100}}))
    dag = dags["front_sync_incremental"]
    assert run(dag).state == "success"
    first = query(
        warehouse_url,
        "SELECT fetched, metadata FROM front.sync_logs WHERE resource = 'contacts' ORDER BY id DESC LIMIT 1",
    )[0]
    assert first["fetched"] == 100 and first["metadata"]["capped"] is True
    for _ in range(3):
        assert run(dag).state == "success"
    assert_matches_truth(simulator, warehouse_url, {"contacts": "contacts"})
