"""The hourly DAG's run parameters behind the page's "Sync now" (issue 22 finding 4): a run limited to one
resource syncs that resource only, and a directory resource listed recently is listed again when forced."""

from __future__ import annotations

import pytest

from front_sync_testing.truth import query, run

pytestmark = pytest.mark.integration


def task_states(dag_run) -> dict[str, str]:
    return {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}


def test_sync_now_on_a_directory_row_lists_it_again_and_nothing_else(dags, simulator, warehouse_url, clean_variables):
    """Issue 22 finding 4: "Sync now" on the tags row ran the whole DAG, whose sync_tags was skipped by
    directory_refresh_minutes: nothing changed for the row clicked."""
    simulator.reset(seed=4, sizes={"contacts": 20, "conversations": 3})
    dag = dags["front_sync_incremental"]
    first = run(dag)
    assert first.state == "success"
    before = query(warehouse_url, "SELECT count(*) AS n FROM front.sync_logs WHERE resource = 'tags'")[0]["n"]
    contacts = query(warehouse_url, "SELECT count(*) AS n FROM front.sync_logs WHERE resource = 'contacts'")[0]["n"]

    plain = run(dag, resources=["tags"])  # listed a moment ago: the refresh interval still skips it
    assert task_states(plain)["sync_tags"] == "skipped"

    forced = run(dag, resources=["tags"], force_directory_refresh=True)
    states = task_states(forced)
    assert forced.state == "success" and states["sync_tags"] == "success"
    assert {states[t] for t in ("sync_contacts", "sync_inboxes", "sync_conversations", "sync_messages")} == {"skipped"}
    rows = query(
        warehouse_url,
        "SELECT resource, sync_type, status, run_id FROM front.sync_logs WHERE run_id = %(run)s",
        {"run": forced.run_id},
    )
    assert [(r["resource"], r["sync_type"], r["status"]) for r in rows] == [("tags", "full", "success")]
    after = query(warehouse_url, "SELECT count(*) AS n FROM front.sync_logs WHERE resource = 'tags'")[0]["n"]
    assert after == before + 1
    assert (
        query(warehouse_url, "SELECT count(*) AS n FROM front.sync_logs WHERE resource = 'contacts'")[0]["n"]
        == contacts
    )


def test_sync_now_on_messages_brings_its_conversations(dags, simulator, warehouse_url, clean_variables):
    simulator.reset(seed=4, sizes={"contacts": 5, "conversations": 3})
    dag_run = run(dags["front_sync_incremental"], resources=["messages"])
    states = task_states(dag_run)
    assert dag_run.state == "success"
    assert (states["sync_conversations"], states["sync_messages"]) == ("success", "success")
    assert states["sync_comments"] == "skipped" and states["sync_contacts"] == "skipped"


def test_an_unknown_conversation_id_fails_the_run_saying_so(dags, simulator, warehouse_url, clean_variables):
    """Issue 22 finding 6: a well-formed id Front does not know ended green, its 404 only in the log."""
    simulator.reset(seed=4, sizes={"contacts": 5, "conversations": 3})
    known = simulator.truth("conversations")["_results"][0]["id"]
    dag = dags["front_sync_messages"]
    dag_run = run(dag, conversation_ids=[known, "cnv_zz404"])
    states = task_states(dag_run)
    assert states["sync_messages"] == "success"  # the known one is synced
    assert dag_run.state == "failed" and states["check_found_in_front"] == "failed"
    assert query(warehouse_url, "SELECT count(*) AS n FROM front.messages")[0]["n"] > 0
    fine = run(dag, conversation_ids=[known])
    assert fine.state == "success" and task_states(fine)["check_found_in_front"] == "success"
