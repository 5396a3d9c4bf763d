"""Schema drift end to end: the simulator adds and drops fields, front_sync_full notes them in
front.schema_drift and reports each new one once on Slack, with field names and example paths, never values."""

from __future__ import annotations

import pytest

from front_sync_testing.truth import query, run

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server

SECRET = "s3cret-value-7781"


def drift_rows(url):
    return {
        (r["resource"], r["kind"], r["field_path"]): r
        for r in query(url, "SELECT * FROM front.schema_drift ORDER BY resource, kind, field_path")
    }


def test_added_and_dropped_fields_are_noted_counted_and_reported_once(
    dags, simulator, warehouse_url, clean_variables, slack_sink
):
    dag = dags["front_sync_full"]
    simulator.reset(seed=2, sizes={"contacts": 150})
    assert run(dag).state == "success"
    assert drift_rows(warehouse_url) == {}  # the simulator's shapes are what the resource table reads
    assert slack_sink == []

    simulator.set_schema_drift(
        "contacts", add={"loyalty_tier": SECRET, "handles[].verified": SECRET}, drop=["description"]
    )
    assert run(dag).state == "success"
    rows = drift_rows(warehouse_url)
    assert set(rows) == {
        ("contacts", "unmapped", "loyalty_tier"),
        ("contacts", "unmapped", "handles[].verified"),
        ("contacts", "missing", "description"),
    }
    assert rows[("contacts", "unmapped", "loyalty_tier")]["records"] == 150
    assert rows[("contacts", "unmapped", "handles[].verified")]["example_path"] == "handles[0].verified"
    assert all(r["reported_at"] is not None for r in rows.values())
    assert len(slack_sink) == 1
    alert = slack_sink[0]
    for path in ("loyalty_tier", "handles[].verified", "handles[0].verified", "description"):
        assert f"`{path}`" in alert
    assert SECRET not in alert
    assert SECRET not in str(rows)

    assert run(dag).state == "success"  # the same drift again: counted, not reported again
    again = drift_rows(warehouse_url)
    assert again[("contacts", "unmapped", "loyalty_tier")]["records"] == 300
    assert (
        again[("contacts", "unmapped", "loyalty_tier")]["first_seen_at"]
        == rows[("contacts", "unmapped", "loyalty_tier")]["first_seen_at"]
    )
    assert len(slack_sink) == 1

    simulator.set_schema_drift("tags", add={"color_hex": SECRET})
    assert run(dag).state == "success"
    assert len(slack_sink) == 2 and "tags: new field `color_hex`" in slack_sink[1]
    assert "loyalty_tier" not in slack_sink[1]
    simulator.clear_schema_drift()
