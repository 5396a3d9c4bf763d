"""The real-time benchmark's pure parts (issue 21 "Measure"): the mutation schedule, lag statistics from
webhook_events rows, and the evaluation of the targets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from front_simulator.mutations import MUTATIONS
from front_sync_testing.realtime import figures, plan

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def rows(*lags: float | None) -> list[tuple[datetime, datetime | None]]:
    """(sent_at, applied_at) pairs with these lags in seconds (None = not applied yet)."""
    return [(T0, None if lag is None else T0 + timedelta(seconds=lag)) for lag in lags]


def test_every_planned_kind_is_a_simulator_mutation_that_exists():
    assert set(plan.EVENT_KINDS) <= set(MUTATIONS)
    assert len(set(plan.EVENT_KINDS)) == len(plan.EVENT_KINDS)


def test_the_steady_schedule_spreads_evenly_and_cycles_through_every_kind():
    planned = plan.steady(seconds=40, rate=1.0)
    assert len(planned) == 40
    assert [p.at for p in planned[:3]] == [0.0, 1.0, 2.0]
    assert planned[-1].at == 39.0
    assert {p.action for p in planned} == set(plan.EVENT_KINDS)
    assert [p.action for p in planned[: len(plan.EVENT_KINDS)]] == list(plan.EVENT_KINDS)


def test_a_burst_fits_its_seconds_and_continues_the_cycle():
    planned = plan.burst(500, 10, start=3)
    assert len(planned) == 500
    assert planned[0].action == plan.EVENT_KINDS[3]
    assert planned[-1].at < 10
    assert plan.burst(0, 10) == []


@pytest.mark.parametrize(("seconds", "rate", "count"), [(300, 1.0, 300), (20, 0.5, 10), (0.4, 1.0, 0)])
def test_the_steady_count_is_seconds_times_rate(seconds, rate, count):
    assert len(plan.steady(seconds, rate)) == count


def test_a_rate_of_zero_is_refused():
    with pytest.raises(ValueError, match="rate"):
        plan.steady(10, 0)


def test_lag_statistics_are_nearest_rank_percentiles_and_count_pending_rows_apart():
    stats = figures.lag_stats(rows(*range(1, 21), None, None))
    assert stats == {"applied": 20, "pending": 2, "p50_seconds": 10.0, "p95_seconds": 19.0, "max_seconds": 20.0}


def test_lag_statistics_of_nothing_applied_are_none():
    assert figures.lag_stats(rows(None)) == {
        "applied": 0,
        "pending": 1,
        "p50_seconds": None,
        "p95_seconds": None,
        "max_seconds": None,
    }


def test_a_single_lag_is_every_percentile():
    assert figures.percentile([2.5], 0.95) == figures.percentile([2.5], 0.5) == 2.5


def phase(p50=3.0, p95=12.0, calls=0.4, too_many=0, runs=4, sent=100, applied=100) -> dict:
    return {
        "lag": {"applied": applied, "p50_seconds": p50, "p95_seconds": p95},
        "api_calls_per_webhook": calls,
        "responses_429": too_many,
        "dag_runs": runs,
        "webhooks_sent": sent,
    }


@pytest.mark.parametrize(
    ("name", "figures_of_phase", "failing"),
    [
        ("steady", phase(), []),
        ("steady", phase(p50=10.5), ["lag_p50_seconds"]),
        ("steady", phase(p95=31), ["lag_p95_seconds"]),
        ("steady", phase(too_many=1), ["responses_429"]),
        ("steady", phase(calls=1.01), ["api_calls_per_webhook"]),
        ("steady", phase(runs=50), []),  # the run count is the burst's target only
        ("burst", phase(runs=11), ["dag_runs"]),
        ("burst", phase(applied=99), ["all_applied"]),
        (
            "steady",
            phase(p50=None, p95=None, calls=None, applied=0),
            ["lag_p50_seconds", "lag_p95_seconds", "api_calls_per_webhook", "all_applied"],
        ),
    ],
    ids=["all-pass", "p50", "p95", "429", "calls", "steady-runs-free", "burst-runs", "unapplied", "unmeasured"],
)
def test_phase_targets(name, figures_of_phase, failing):
    checks = figures.phase_targets(name, figures_of_phase)
    assert sorted(n for n, c in checks.items() if not c["pass"]) == sorted(failing)
    assert ("dag_runs" in checks) == (name == "burst")


def test_the_limits_are_issue_21s():
    checks = figures.phase_targets("burst", phase())
    limits = {n: c["limit"] for n, c in checks.items() if n != "all_applied"}
    assert limits == {
        "lag_p50_seconds": 10,
        "lag_p95_seconds": 30,
        "responses_429": 0,
        "api_calls_per_webhook": 1,
        "dag_runs": 10,
    }


def test_calls_per_webhook_needs_applied_webhooks():
    assert figures.calls_per_webhook(30, 60) == 0.5
    assert figures.calls_per_webhook(3, 0) is None
    assert figures.calls_per_webhook(None, 5) is None


def test_fault_targets_count_mismatches_and_every_kind_of_stored_forgery():
    clean = {
        "mismatches": {"total": 0},
        "stored": {"not_genuine": 0, "forged_ids_stored": 0, "stored_more_than_once": 0},
    }
    assert all(c["pass"] for c in figures.fault_targets(clean).values())
    dirty = {"mismatches": {"total": 2}, "stored": {**clean["stored"], "forged_ids_stored": 1}}
    checks = figures.fault_targets(dirty)
    assert checks["mismatches"] == {"value": 2, "limit": 0, "pass": False}
    assert checks["stored_forgeries"]["value"] == 1 and not checks["stored_forgeries"]["pass"]


def test_failed_names_phase_and_target():
    checks = {
        "steady": figures.phase_targets("steady", phase()),
        "burst": figures.phase_targets("burst", phase(runs=12)),
    }
    assert figures.failed(checks) == ["burst.dag_runs"]
