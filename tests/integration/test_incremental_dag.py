"""front_sync_incremental end to end: dag.test() against the simulator over HTTP and a real PostgreSQL."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest

from front_sync.sync.watermarks import parse
from front_sync_testing.db import fetch
from front_sync_testing.truth import query

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server

ROOT = Path(__file__).resolve().parents[2]
WATERMARK = "front_sync.watermark.contacts"


@pytest.fixture(scope="module")
def dag(dags):
    return dags["front_sync_incremental"]


def run_dag(dag):
    return dag.test()


def warehouse_contacts(url):
    return {r["id"]: r["raw"] for r in query(url, "SELECT id, raw FROM front.contacts")}


def warehouse_handles(url):
    return {
        (r["contact_id"], r["source"], r["handle"])
        for r in query(url, "SELECT contact_id, source, handle FROM front.contact_handles")
    }


def truth(simulator):
    records = simulator.truth("contacts")["_results"]
    contacts = {r["id"]: r for r in records}
    handles = {(r["id"], h["source"], h["handle"]) for r in records for h in r.get("handles") or []}
    return contacts, handles


def wait_past_changes(simulator, ids):
    """Mutations are stamped strictly increasing and may run a few ms ahead of the wall clock; a run's window
    ends at its trigger time, so wait until the clock has passed the last change before triggering."""
    stamps = [Decimal(str(c["updated_at"])) for c in simulator.truth("contacts")["_results"] if c["id"] in ids]
    while Decimal(time.time()) <= max(stamps):
        time.sleep(0.01)


def last_log(url):
    return query(url, "SELECT * FROM front.sync_logs WHERE resource = 'contacts' ORDER BY id DESC LIMIT 1")[0]


def assert_equals_truth(simulator, url):
    contacts, handles = truth(simulator)
    stored = warehouse_contacts(url)
    assert stored.keys() == contacts.keys()
    assert stored == contacts
    assert warehouse_handles(url) == handles


def test_sync_matches_truth_is_idempotent_and_updates_exactly_what_changed(
    dag, simulator, warehouse_url, clean_variables
):
    simulator.reset(seed=7, sizes={"contacts": 1234})

    assert run_dag(dag).state == "success"
    assert_equals_truth(simulator, warehouse_url)
    log = last_log(warehouse_url)
    assert (log["status"], log["sync_type"], log["fetched"], log["created"]) == ("success", "full", 1234, 1234)
    contacts, _ = truth(simulator)
    newest = max(Decimal(str(c["updated_at"])) for c in contacts.values())
    assert parse(clean_variables.get(WATERMARK), "contacts") == newest
    assert log["watermark_after"] == newest

    before = query(warehouse_url, "SELECT id, row_hash, last_synced_at FROM front.contacts ORDER BY id")
    assert run_dag(dag).state == "success"
    log = last_log(warehouse_url)
    assert log["sync_type"] == "incremental" and log["created"] == log["updated"] == 0
    assert log["unchanged"] == log["fetched"]
    assert query(warehouse_url, "SELECT id, row_hash, last_synced_at FROM front.contacts ORDER BY id") == before

    changed = set(simulator.mutate("update_contacts", count=50)["ids"])
    assert len(changed) == 50
    wait_past_changes(simulator, changed)
    assert run_dag(dag).state == "success"
    log = last_log(warehouse_url)
    assert (log["created"], log["updated"], log["stale"], log["conflicts"], log["dead_lettered"]) == (0, 50, 0, 0, 0)
    assert log["fetched"] == log["updated"] + log["unchanged"]
    assert_equals_truth(simulator, warehouse_url)
    rewritten = {
        r["id"] for r in query(warehouse_url, "SELECT id FROM front.contacts WHERE sync_run_id = %s", (log["run_id"],))
    }
    assert rewritten == changed


def test_failed_load_leaves_watermark_and_alerts_slack(dag, simulator, warehouse_url, clean_variables, slack_sink):
    simulator.reset(seed=3, sizes={"contacts": 300})
    assert run_dag(dag).state == "success"
    mark = clean_variables.get(WATERMARK)
    wait_past_changes(simulator, set(simulator.mutate("update_contacts", count=10)["ids"]))
    fetch(warehouse_url, "ALTER TABLE front.contact_handles RENAME TO contact_handles_moved")

    task = dag.get_task("sync_contacts")
    retries, task.retries = task.retries, 0  # fail now instead of waiting for Airflow's retry delay
    try:
        assert run_dag(dag).state == "failed"
    finally:
        task.retries = retries
    assert clean_variables.get(WATERMARK) == mark
    log = last_log(warehouse_url)
    assert log["status"] == "failed" and "contact_handles" in log["error_message"]
    assert log["watermark_after"] == parse(mark, "contacts")
    assert len(slack_sink) == 1
    alert = slack_sink[0]
    assert "front_sync_incremental.sync_contacts" in alert and "test-token" not in alert

    fetch(warehouse_url, "ALTER TABLE front.contact_handles_moved RENAME TO contact_handles")
    assert run_dag(dag).state == "success"
    log = last_log(warehouse_url)
    assert (log["status"], log["updated"]) == ("success", 10)
    assert_equals_truth(simulator, warehouse_url)


def latest_asset_extra(name):
    """The extra of the newest event of an Asset, from Airflow's metadata DB."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        event = (
            session.query(AssetEvent)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .filter(AssetModel.name == name)
            .order_by(AssetEvent.id.desc())
            .first()
        )
        return None if event is None else dict(event.extra)


def test_asset_events_carry_the_counts_and_the_watermark(dag, simulator, warehouse_url, clean_variables):
    simulator.reset(seed=5, sizes={"contacts": 120})
    run = run_dag(dag)
    assert run.state == "success"

    extra = latest_asset_extra("front_sync.contacts")
    log = last_log(warehouse_url)
    assert extra["run_id"] == run.run_id and extra["sync_type"] == "full"
    assert (extra["fetched"], extra["created"], extra["updated"], extra["deleted"]) == (120, 120, 0, 0)
    assert extra["watermark"] == f"{log['watermark_after']:.3f}"
    conversations = latest_asset_extra("front_sync.conversations")
    assert conversations["run_id"] == run.run_id and conversations["fetched"] >= 0
