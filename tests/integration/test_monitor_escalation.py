"""A task that keeps failing (a real sync the simulator refuses) escalates once instead of repeating its alert."""

from __future__ import annotations

import pytest

from front_sync_testing.truth import SIZES, query, run

from .test_monitor import alerting  # noqa: F401 - a fixture (slack_sink, smtp_sink: conftest)

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server


def test_the_third_failed_run_escalates_once_then_the_alerts_stop(dags, simulator, warehouse_url, alerting):  # noqa: F811
    slack, mails = alerting
    simulator.reset(seed=51, sizes={**SIZES, "contacts": 10, "conversations": 3})
    simulator.set_faults([{"endpoint": "/tags", "kind": "status", "status": 403}])
    dag = dags["front_sync_incremental"]
    for _ in range(2):
        assert run(dag).state == "failed"
    assert len(slack) == 2 and all("front_sync_incremental.sync_tags" in t for t in slack)
    assert mails == []  # per-failure messages go to Slack only

    assert run(dag).state == "failed"
    assert len(slack) == 3 and len(mails) == 1
    assert "front_sync_incremental.sync_tags failed 3 runs in a row" in slack[2]
    assert "#alert-repeated-failures" in slack[2] and "3 failed runs in a row vs threshold 3" in slack[2]

    assert run(dag).state == "failed"  # the same streak: nothing more
    assert len(slack) == 3 and len(mails) == 1
    assert query(warehouse_url, "SELECT count(*) AS n FROM front.alert_state WHERE cleared_at IS NULL")[0]["n"] == 1

    simulator.clear_faults()
    assert run(dag).state == "success"
    assert dags["front_sync_monitor"].test().state == "success"
    assert "resolved: repeated_failures:front_sync_incremental.sync_tags" in slack[-1]
    # (4 failed tries of few may still open the failure-rate alert, for its own 24 h window)
    assert (
        query(
            warehouse_url,
            "SELECT count(*) AS n FROM front.alert_state WHERE cleared_at IS NULL "
            "AND alert_key LIKE 'repeated_failures:%%'",
        )[0]["n"]
        == 0
    )
