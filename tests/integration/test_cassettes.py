"""Recorded cassettes end to end: a recording run against the simulator leaves no token, email, name or body in
the cassette's bytes; replaying the same DAG runs offline (front_default pointing nowhere, the simulator never
called) into a fresh warehouse gives the recording's warehouse with the PII replaced by the same fakes; and the
committed cassette (tests/cassettes) replays with no simulator at all.

FRONT_SYNC_REFRESH_CASSETTES=1 makes the recording test rewrite the committed cassette and its expected tables.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from front_sync.hooks import cassette
from front_sync_testing.truth import ROOT, SIZES, query, run, wait_past

pytestmark = pytest.mark.integration

COMMITTED = ROOT / "tests" / "cassettes" / "front-small.jsonl"
EXPECTED = COMMITTED.with_suffix(".expected.json")
TINY = {
    **SIZES,
    "contacts": 12,
    "conversations": 6,
    "teammates": 3,
    "inboxes": 2,
    "channels": 2,
    "tags": 4,
    "contact_lists": 2,
    "accounts": 3,
    "links": 2,
    "messages_per_conversation": 2,
    "teams": 1,
}
ENTITY_TABLES = (
    "contacts",
    "contact_lists",
    "tags",
    "inboxes",
    "teammates",
    "channels",
    "teams",
    "accounts",
    "links",
    "custom_fields",
    "conversations",
    "messages",
    "comments",
)
CHILD_TABLES = ("contact_handles", "conversation_tags", "message_recipients", "message_attachments")
NOWHERE = "http://localhost:9"  # nothing listens there: a replay that tried the network would fail


def run_the_dags(dags, simulator=None) -> None:
    """The recorded sequence: initial load, first hourly run, some activity, a second hourly run."""
    assert run(dags["front_sync_backfill"]).state == "success"
    if simulator:
        wait_past(simulator)
    assert run(dags["front_sync_incremental"]).state == "success"
    if simulator:
        simulator.mutate("random_activity", count=8)
        wait_past(simulator)
    assert run(dags["front_sync_incremental"]).state == "success"


def tables(url) -> dict[str, object]:
    """Entity tables as {id: raw}, child tables as their row counts."""
    out: dict[str, object] = {}
    for table in ENTITY_TABLES:
        rows = query(url, f"SELECT raw FROM front.{table}")  # noqa: S608 - names from the list above
        out[table] = {row["raw"]["id"]: row["raw"] for row in rows}  # custom_fields' key is its (scrubbed) name
    for table in CHILD_TABLES:
        out[table] = query(url, f"SELECT count(*) AS n FROM front.{table}")[0]["n"]  # noqa: S608
    return out


def fingerprint(contents: dict[str, object]) -> dict[str, object]:
    """Per entity table, each row's digest (the committed expectation stays small and says which rows differ)."""

    def digest(raw):
        return hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()[:16]

    return {
        t: ({k: digest(v) for k, v in rows.items()} if isinstance(rows, dict) else rows) for t, rows in contents.items()
    }


@pytest.fixture
def second_warehouse(new_database, monkeypatch):
    """A second empty database; front_warehouse points at it from here on."""
    url = new_database()
    return lambda: monkeypatch.setenv("AIRFLOW_CONN_FRONT_WAREHOUSE", url) or url


def clear_state(variables) -> None:
    """Forget the watermarks (Airflow Variables), as a fresh install has none."""
    from airflow.utils.session import create_session

    with create_session() as session:
        session.query(variables).filter(variables.key.like("front_sync.%")).delete(synchronize_session=False)


def replay(dags, path: Path, monkeypatch, connect_url=NOWHERE) -> None:
    from tests.conftest import front_connection_json

    monkeypatch.setenv("AIRFLOW_CONN_FRONT_DEFAULT", front_connection_json(connect_url, token="replay-token"))
    monkeypatch.setenv(cassette.ENV_SWITCH, f"replay:{path}")
    cassette.forget_replays()
    run_the_dags(dags)


def secrets_of(simulator) -> set[str]:
    """Originals that must not survive scrubbing: emails, full names, message and comment bodies."""
    found = {"test-token"}
    for contact in simulator.truth("contacts")["_results"]:
        found |= {h["handle"] for h in contact["handles"] if "@" in h["handle"]} | {contact["name"]}
    for mate in simulator.truth("teammates")["_results"]:
        found |= {mate["email"], f"{mate['first_name']} {mate['last_name']}"}
    for record in simulator.truth("messages")["_results"] + simulator.truth("comments")["_results"]:
        found |= {record["body"]} if record.get("body") and len(record["body"]) > 12 else set()
    return {s for s in found if s and len(s) >= 5}


def test_record_scrubs_and_replay_reproduces_the_warehouse_offline(
    dags, simulator, warehouse_url, second_warehouse, clean_variables, monkeypatch, tmp_path
):
    simulator.reset(seed=21, sizes=TINY)
    recording = tmp_path / "front.jsonl"
    monkeypatch.setenv(cassette.ENV_SWITCH, f"record:{recording}")
    run_the_dags(dags, simulator)
    recorded = tables(warehouse_url)

    data = recording.read_bytes()
    assert 10_000 < len(data) < 400_000
    leaked = [s for s in secrets_of(simulator) if s.encode() in data or json.dumps(s)[1:-1].encode() in data]
    assert not leaked, f"{len(leaked)} originals survive scrubbing, e.g. {leaked[0][:40]!r}"
    assert b"Bearer" not in data and b"uthorization" not in data

    clear_state(clean_variables)
    replayed_url = second_warehouse()
    simulator.reset_stats()
    replay(dags, recording, monkeypatch)
    assert simulator.stats()["totals"]["calls"] == 0  # offline: not one request reached the simulator
    scrubber = cassette.Scrubber("test-token")
    expected = {
        t: ({k: scrubber.scrub(v) for k, v in rows.items()} if isinstance(rows, dict) else rows)
        for t, rows in recorded.items()
    }
    assert tables(replayed_url) == expected
    if os.environ.get("FRONT_SYNC_REFRESH_CASSETTES"):
        COMMITTED.parent.mkdir(exist_ok=True)
        COMMITTED.write_bytes(data)
        EXPECTED.write_text(json.dumps(fingerprint(expected), sort_keys=True, indent=1) + "\n")


def test_committed_cassette_replays_without_the_simulator(dags, warehouse_url, clean_variables, monkeypatch):
    replay(dags, COMMITTED, monkeypatch)
    assert fingerprint(tables(warehouse_url)) == json.loads(EXPECTED.read_text())


def test_a_request_the_cassette_lacks_fails_the_task_loudly(
    dags, warehouse_url, clean_variables, monkeypatch, tmp_path
):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    from tests.conftest import front_connection_json

    monkeypatch.setenv("AIRFLOW_CONN_FRONT_DEFAULT", front_connection_json(NOWHERE))
    monkeypatch.setenv(cassette.ENV_SWITCH, f"replay:{empty}")
    cassette.forget_replays()
    dag_run = run(dags["front_sync_backfill"])
    assert dag_run.state == "failed"
    states = {ti.task_id: ti.state for ti in dag_run.get_task_instances()}
    assert states["backfill_conversations"] == "failed"
