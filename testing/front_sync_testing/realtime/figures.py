"""The real-time benchmark's figures from rows, and the targets of issue 21 (pure, unit-tested)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# Issue 21 "Measure", on the 2-core machine.
LAG_P50_SECONDS = 10.0
LAG_P95_SECONDS = 30.0
BURST_MAX_RUNS = 10
MAX_429S = 0
MAX_CALLS_PER_WEBHOOK = 1.0


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile (`fraction` in [0, 1]) of `values`; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def lag_stats(rows: Iterable[tuple[Any, Any]]) -> dict[str, Any]:
    """Webhook-to-row lag from (sent_at, applied_at) pairs (datetimes): count, p50, p95, max in seconds; a row
    not applied yet (applied_at None) is counted as pending, not as a lag."""
    lags: list[float] = []
    pending = 0
    for sent_at, applied_at in rows:
        if applied_at is None:
            pending += 1
            continue
        lags.append((applied_at - sent_at).total_seconds())
    rounded = {k: (None if v is None else round(v, 3)) for k, v in _summary(lags).items()}
    return {"applied": len(lags), "pending": pending, **rounded}


def _summary(lags: list[float]) -> dict[str, float | None]:
    return {
        "p50_seconds": percentile(lags, 0.50),
        "p95_seconds": percentile(lags, 0.95),
        "max_seconds": max(lags) if lags else None,
    }


@dataclass(frozen=True)
class Target:
    """One target: the figure's path in a phase's figures, its limit (value <= limit passes)."""

    name: str
    path: tuple[str, ...]
    limit: float


TARGETS = (
    Target("lag_p50_seconds", ("lag", "p50_seconds"), LAG_P50_SECONDS),
    Target("lag_p95_seconds", ("lag", "p95_seconds"), LAG_P95_SECONDS),
    Target("responses_429", ("responses_429",), MAX_429S),
    Target("api_calls_per_webhook", ("api_calls_per_webhook",), MAX_CALLS_PER_WEBHOOK),
)
BURST_TARGETS = (Target("dag_runs", ("dag_runs",), BURST_MAX_RUNS),)


def _lookup(figures: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = figures
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def evaluate(figures: dict[str, Any], targets: Iterable[Target]) -> dict[str, dict[str, Any]]:
    """Each target with its value, limit and pass; a figure that could not be measured (None) fails."""
    result = {}
    for target in targets:
        value = _lookup(figures, target.path)
        passed = value is not None and value <= target.limit
        result[target.name] = {"value": value, "limit": target.limit, "pass": passed}
    return result


def phase_targets(phase: str, figures: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The targets of a measured phase: every phase has the lag, 429 and calls targets; the burst its run count
    too. Webhooks sent but never applied also fail (`all_applied`): a lag over the applied ones alone hides them."""
    targets = (*TARGETS, *(BURST_TARGETS if phase == "burst" else ()))
    result = evaluate(figures, targets)
    sent, applied = figures.get("webhooks_sent"), _lookup(figures, ("lag", "applied"))
    result["all_applied"] = {"value": applied, "limit": sent, "pass": sent is not None and applied == sent}
    return result


def calls_per_webhook(api_calls: int | None, applied: int) -> float | None:
    """API calls per applied webhook; None when nothing was applied (no ratio to report)."""
    if api_calls is None or applied == 0:
        return None
    return round(api_calls / applied, 4)


def failed(targets: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """`phase.target` of every failed target, across phases."""
    return [f"{phase}.{name}" for phase, checks in targets.items() for name, c in checks.items() if not c["pass"]]


def fault_targets(figures: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The faults phase's targets: the warehouse equals the truth after the hourly run, and nothing forged or
    replayed was stored (a non-genuine event id, a forged id, or an event stored twice)."""
    stored = figures["stored"]
    forgeries = stored["not_genuine"] + stored["forged_ids_stored"] + stored["stored_more_than_once"]
    return {
        "mismatches": {
            "value": figures["mismatches"]["total"],
            "limit": 0,
            "pass": figures["mismatches"]["total"] == 0,
        },
        "stored_forgeries": {"value": forgeries, "limit": 0, "pass": forgeries == 0},
    }
