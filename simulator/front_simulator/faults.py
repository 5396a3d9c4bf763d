"""Fault injection rules: what can go wrong, on which endpoint, how often or exactly when.

A rule is a JSON object (see README.md, "Faults"):

    {"endpoint": "/contacts", "kind": "status", "status": 503, "probability": 0.2}
    {"endpoint": "/contacts", "kind": "status", "status": 500, "on_calls": [3]}     # fail the 3rd page
    {"kind": "latency", "distribution": {"type": "uniform", "low": 0.05, "high": 0.3}}  # every endpoint

Selection: ``endpoint`` is an endpoint template or a glob over templates and concrete paths ("*" = all);
``on_calls`` (1-based indices of the requests this rule matched), ``after_calls``, ``probability``,
``times`` (maximum firings) and ``duration_seconds`` (once fired, keep firing for that long: storms).
Kinds that answer instead of the API: status, rate_limit, hang, reset, truncate (applied to the real body).
Kinds that change the data served: bad_records, duplicates, mutate_during_paging. latency adds delay.
"""

from __future__ import annotations

import fnmatch
import math
import random
import threading
from dataclasses import dataclass, field
from typing import Any

RESPONSE_KINDS = ("status", "rate_limit", "hang", "reset", "truncate")
DATA_KINDS = ("bad_records", "duplicates", "mutate_during_paging")
KINDS = RESPONSE_KINDS + DATA_KINDS + ("latency",)
BAD_RECORD_VARIANTS = ("missing_id", "wrong_types", "nul_chars", "huge", "unknown_fields")
# Spec-valid oddities, never picked by "random": an event whose target is only a preview (type, id and links), as
# Front's reference describes targets and as webhooks deliver them.
ODD_RECORD_VARIANTS = ("event_preview",)
DISTRIBUTIONS = ("fixed", "uniform", "exponential", "lognormal")

# The keys a rule may set, in the order ``describe`` reports them (followed by its counters).
_RULE_KEYS = (
    "kind",
    "endpoint",
    "name",
    "probability",
    "on_calls",
    "after_calls",
    "times",
    "duration_seconds",
    "status",
    "retry_after",
    "remaining",
    "seconds",
    "distribution",
    "mode",
    "variant",
    "count",
    "body",
)
_ALLOWED_KEYS = set(_RULE_KEYS)


class FaultSpecError(ValueError):
    """A fault rule that cannot be understood; reported as 400 by the control API."""


@dataclass(slots=True)
class FaultRule:
    kind: str
    endpoint: str = "*"
    name: str | None = None
    probability: float | None = None
    on_calls: tuple[int, ...] | None = None
    after_calls: int = 0
    times: int | None = None
    duration_seconds: float | None = None
    status: int = 503
    retry_after: float = 1.0
    remaining: int | None = None  # rate_limit: x-ratelimit-remaining to report (None = 0)
    seconds: float | None = None
    distribution: dict[str, Any] | None = None
    mode: str = "body"  # truncate: "body" (valid HTTP, cut JSON) or "connection" (close mid-body)
    variant: str = "random"
    count: int = 1
    body: str = "error"  # status: "error" (Front's _error), "html" (a proxy page) or "empty"
    matched: int = 0
    fired: int = 0
    storm_until: float | None = None

    @classmethod
    def parse(cls, spec: dict[str, Any]) -> FaultRule:
        """Validate one JSON rule."""
        if not isinstance(spec, dict):
            raise FaultSpecError("each fault must be a JSON object")
        unknown = set(spec) - _ALLOWED_KEYS
        if unknown:
            raise FaultSpecError(f"unknown fault keys: {', '.join(sorted(unknown))}")
        kind = spec.get("kind")
        if kind not in KINDS:
            raise FaultSpecError(f"kind must be one of {', '.join(KINDS)}")
        rule = cls(kind=kind)
        try:
            rule.endpoint = str(spec.get("endpoint", "*"))
            rule.name = spec.get("name")
            if spec.get("probability") is not None:
                rule.probability = float(spec["probability"])
                if not 0.0 <= rule.probability <= 1.0:
                    raise FaultSpecError("probability must be within [0, 1]")
            if spec.get("on_calls") is not None:
                rule.on_calls = tuple(int(n) for n in spec["on_calls"])
                if any(n < 1 for n in rule.on_calls):
                    raise FaultSpecError("on_calls are 1-based")
            rule.after_calls = int(spec.get("after_calls", 0))
            rule.times = int(spec["times"]) if spec.get("times") is not None else None
            if spec.get("duration_seconds") is not None:
                rule.duration_seconds = float(spec["duration_seconds"])
            rule.status = int(spec.get("status", 503 if kind == "status" else 429))
            rule.retry_after = float(spec.get("retry_after", 1.0))
            rule.remaining = int(spec["remaining"]) if spec.get("remaining") is not None else None
            rule.seconds = float(spec["seconds"]) if spec.get("seconds") is not None else None
            rule.distribution = spec.get("distribution")
            rule.mode = str(spec.get("mode", "body"))
            rule.variant = str(spec.get("variant", "random"))
            rule.count = int(spec.get("count", 1))
            rule.body = str(spec.get("body", "error"))
        except (TypeError, ValueError) as exc:
            if isinstance(exc, FaultSpecError):
                raise
            raise FaultSpecError(f"bad fault value: {exc}") from exc
        if kind == "status" and not 400 <= rule.status <= 599:
            raise FaultSpecError("status must be an HTTP error status (4xx/5xx)")
        if kind == "truncate" and rule.mode not in ("body", "connection"):
            raise FaultSpecError("truncate mode must be 'body' or 'connection'")
        if kind == "bad_records" and rule.variant not in BAD_RECORD_VARIANTS + ODD_RECORD_VARIANTS + ("random",):
            raise FaultSpecError(
                f"variant must be one of {', '.join(BAD_RECORD_VARIANTS + ODD_RECORD_VARIANTS)} or random"
            )
        if rule.body not in ("error", "html", "empty"):
            raise FaultSpecError("body must be 'error', 'html' or 'empty'")
        if kind == "latency" and rule.seconds is None and rule.distribution is None:
            raise FaultSpecError("latency needs 'seconds' or 'distribution'")
        if rule.distribution is not None and rule.distribution.get("type") not in DISTRIBUTIONS:
            raise FaultSpecError(f"distribution type must be one of {', '.join(DISTRIBUTIONS)}")
        if rule.count < 1:
            raise FaultSpecError("count must be >= 1")
        return rule

    def describe(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in (*_RULE_KEYS, "matched", "fired")}
        out["on_calls"] = list(self.on_calls) if self.on_calls is not None else None
        return out

    def matches(self, template: str, path: str) -> bool:
        pattern = self.endpoint
        return (
            pattern in ("*", template, path)
            or fnmatch.fnmatchcase(template, pattern)
            or fnmatch.fnmatchcase(path, pattern)
        )


@dataclass(slots=True)
class Selection:
    """The faults that fire for one request."""

    delay: float = 0.0
    response: FaultRule | None = None
    data: list[FaultRule] = field(default_factory=list)

    def names(self) -> list[str]:
        out = []
        if self.delay:
            out.append("latency")
        if self.response:
            out.append(fault_label(self.response))
        out.extend(fault_label(rule) for rule in self.data)
        return out


def fault_label(rule: FaultRule) -> str:
    """Stats label of a fault: kind plus the detail that matters (status code, variant, mode)."""
    if rule.kind == "status":
        return f"status_{rule.status}"
    if rule.kind == "rate_limit":
        return "rate_limit_429"
    if rule.kind == "bad_records":
        return f"bad_records_{rule.variant}"
    if rule.kind == "truncate":
        return f"truncate_{rule.mode}"
    return rule.kind


class FaultInjector:
    """Holds the active rules and decides, deterministically for a seed and request order, what fires."""

    def __init__(self, seed: int = 0):
        self._lock = threading.Lock()
        self.rules: list[FaultRule] = []
        self.seed = seed
        self.rng = random.Random(f"{seed}:faults")

    def set_rules(self, specs: list[dict[str, Any]], *, append: bool = False) -> list[FaultRule]:
        rules = [FaultRule.parse(spec) for spec in specs]
        with self._lock:
            self.rules = (self.rules + rules) if append else rules
            if not append:
                self.rng = random.Random(f"{self.seed}:faults")
            return list(self.rules)

    def clear(self, seed: int | None = None) -> None:
        with self._lock:
            self.rules = []
            if seed is not None:
                self.seed = seed
            self.rng = random.Random(f"{self.seed}:faults")

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.describe() for rule in self.rules]

    def select(self, template: str, path: str, now: float) -> Selection:
        """Advance the matching rules' counters and return what fires for this request."""
        selection = Selection()
        if not self.rules:
            return selection
        with self._lock:
            for rule in self.rules:
                if not rule.matches(template, path):
                    continue
                rule.matched += 1
                if not self._fires(rule, now):
                    continue
                if rule.kind == "latency":
                    rule.fired += 1
                    selection.delay += self._delay(rule)
                elif rule.kind in RESPONSE_KINDS:
                    if selection.response is None:
                        rule.fired += 1
                        selection.response = rule
                else:
                    rule.fired += 1
                    selection.data.append(rule)
        return selection

    def _fires(self, rule: FaultRule, now: float) -> bool:
        if rule.storm_until is not None and now < rule.storm_until:
            return True
        if rule.times is not None and rule.fired >= rule.times:
            return False
        if rule.matched <= rule.after_calls:
            return False
        if rule.on_calls is not None and rule.matched not in rule.on_calls:
            return False
        if rule.probability is not None and self.rng.random() >= rule.probability:
            return False
        if rule.duration_seconds:
            rule.storm_until = now + rule.duration_seconds
        return True

    def _delay(self, rule: FaultRule) -> float:
        dist = rule.distribution
        if dist is None:
            return float(rule.seconds or 0.0)
        kind = dist.get("type")
        if kind == "fixed":
            return float(dist.get("seconds", rule.seconds or 0.0))
        if kind == "uniform":
            return self.rng.uniform(float(dist.get("low", 0.0)), float(dist.get("high", 1.0)))
        if kind == "exponential":
            return self.rng.expovariate(1.0 / float(dist.get("mean", 0.1)))
        median = float(dist.get("median", 0.1))
        return self.rng.lognormvariate(math.log(median), float(dist.get("sigma", 1.0)))

    def pick(self, population: list[Any], count: int) -> list[Any]:
        """Deterministic choice of records for data faults."""
        with self._lock:
            return self.rng.sample(population, k=min(count, len(population)))

    def random(self) -> float:
        with self._lock:
            return self.rng.random()
