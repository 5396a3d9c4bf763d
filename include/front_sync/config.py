"""Names of the configuration surface (Connections, Variables, pool, schedules) and the front_sync.config Variable."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

FRONT_CONN_ID = "front_default"
WAREHOUSE_CONN_ID = "front_warehouse"
SLACK_CONN_ID = "slack_alerts"
SMTP_CONN_ID = "smtp_alerts"
API_POOL = "front_api"
CONFIG_VARIABLE = "front_sync.config"
WAREHOUSE_SCHEMA = "front"

# Cron expressions read when the DAG files are parsed (environment, not Variables: no DB access at parse time).
SCHEDULE_ENV = {"incremental": "FRONT_SYNC_INCREMENTAL_SCHEDULE", "full": "FRONT_SYNC_FULL_SCHEDULE",
                "monitor": "FRONT_SYNC_MONITOR_SCHEDULE"}
DEFAULT_SCHEDULES = {"incremental": "0 * * * *", "full": "0 2 * * *", "monitor": "*/15 * * * *"}
CONVERSATION_STRATEGIES = ("events", "list")


def watermark_key(resource: str) -> str:
    """The Variable that holds a resource's incremental cursor."""
    return f"front_sync.watermark.{resource}"


class ConfigError(ValueError):
    """A setting is wrong; the message names the setting and what is expected."""


def schedule(kind: str) -> str:
    """The cron schedule of a DAG kind, from its environment setting or the default; a bad one fails parsing."""
    from croniter import croniter

    name = SCHEDULE_ENV[kind]
    value = os.environ.get(name, "").strip() or DEFAULT_SCHEDULES[kind]
    if not croniter.is_valid(value):
        raise ConfigError(f"Environment setting {name}={value!r} is not a valid cron expression (e.g. '0 * * * *')")
    return value


def _non_negative_int(name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"Variable {CONFIG_VARIABLE}: setting {name!r} must be a non-negative integer")
    return value


def _positive_int(name: str, value: Any) -> int:
    if _non_negative_int(name, value) == 0:
        raise ConfigError(f"Variable {CONFIG_VARIABLE}: setting {name!r} must be at least 1")
    return value


def _strategy(name: str, value: Any) -> str:
    if value not in CONVERSATION_STRATEGIES:
        raise ConfigError(
            f"Variable {CONFIG_VARIABLE}: setting {name!r} must be one of {list(CONVERSATION_STRATEGIES)}")
    return value


def _optional_positive_int(name: str, value: Any) -> int | None:
    return None if value is None else _positive_int(name, value)


def _percent(name: str, value: Any) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 100:
        raise ConfigError(f"Variable {CONFIG_VARIABLE}: setting {name!r} must be a number above 0 and at most 100")
    return float(value)


def _factor(name: str, value: Any) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 1:
        raise ConfigError(f"Variable {CONFIG_VARIABLE}: setting {name!r} must be a number above 1")
    return float(value)


def _url(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"Variable {CONFIG_VARIABLE}: setting {name!r} must be a non-empty string (a URL)")
    return value.strip().rstrip("#")


def _emails(name: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and "@" in v for v in value):
        raise ConfigError(f"Variable {CONFIG_VARIABLE}: setting {name!r} must be a list of email addresses")
    return tuple(value)


def _caps(name: str, value: Any) -> Mapping[str, int]:
    if not isinstance(value, dict):
        raise ConfigError(f"Variable {CONFIG_VARIABLE}: setting {name!r} must be an object of resource -> integer")
    return MappingProxyType({str(k): _positive_int(f"{name}.{k}", v) for k, v in value.items()})


_VALIDATORS = {
    "overlap_seconds": _non_negative_int,
    "batch_pages": _positive_int,
    "conversation_strategy": _strategy,
    "max_results": _caps,
    "directory_refresh_minutes": _non_negative_int,
    "queue_lease_seconds": _positive_int,
    "queue_max_attempts": _positive_int,
    "queue_retry_seconds": _non_negative_int,
    "stale_after_minutes": _positive_int,
    "failure_rate_percent": _percent,
    "failure_rate_hours": _positive_int,
    "slow_run_factor": _factor,
    "slow_run_baseline": _positive_int,
    "slow_run_min_seconds": _non_negative_int,
    "quota_use_percent": _percent,
    "quota_window_minutes": _positive_int,
    "escalate_after_failures": _positive_int,
    "retention_days": _optional_positive_int,
    "runbook_url": _url,
    "alert_emails": _emails,
}


@dataclass(frozen=True)
class SyncConfig:
    """Tunables read from the optional JSON Variable front_sync.config; every key is optional.

    overlap_seconds: how far before the watermark a run reads again; batch_pages: pages per load transaction;
    conversation_strategy: "events" (the Events API) or "list" (GET /conversations newest first, stop at the
    watermark); max_results: a cap of records per resource per run ({"contacts": 5000}); a capped run says so
    and the next one continues. (Parallel fetches are the Front connection's `max_workers` extra.)
    directory_refresh_minutes: the hourly DAG lists the small resources (tags, teammates, inboxes...) only when
    their last complete listing is older than this (0: every run); the nightly full DAG always lists them.
    The pending queue: queue_lease_seconds (a claim lapses after this, so a dead worker's conversations come
    free), queue_max_attempts (tries before a conversation goes to dead_letters), queue_retry_seconds (back-off
    after a failed try, times the tries so far).
    Alerts (front_sync_monitor, docs/runbook.md): stale_after_minutes (no successful sync of a resource for
    this long), failure_rate_percent of task tries failed over failure_rate_hours, a run longer than
    slow_run_factor x the median of the resource's last slow_run_baseline runs (and over slow_run_min_seconds),
    quota_use_percent of Front's rate limit used (lowest remaining seen over quota_window_minutes),
    escalate_after_failures failed runs of a task in a row; runbook_url (links in alerts, e.g. the runbook on
    your Git host), alert_emails (recipients through the smtp_alerts connection).
    retention_days: message bodies and attachment metadata older than this are purged (null: kept forever).
    """

    overlap_seconds: int = 300
    batch_pages: int = 5
    conversation_strategy: str = "events"
    max_results: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    directory_refresh_minutes: int = 360
    queue_lease_seconds: int = 600
    queue_max_attempts: int = 5
    queue_retry_seconds: int = 60
    stale_after_minutes: int = 120
    failure_rate_percent: float = 5.0
    failure_rate_hours: int = 24
    slow_run_factor: float = 2.0
    slow_run_baseline: int = 20
    slow_run_min_seconds: int = 60
    quota_use_percent: float = 80.0
    quota_window_minutes: int = 60
    escalate_after_failures: int = 3
    retention_days: int | None = None
    runbook_url: str = "docs/runbook.md"
    alert_emails: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, text: str | None) -> SyncConfig:
        """Parse the Variable's JSON; unknown keys or wrong types fail fast with the setting's name."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"Variable {CONFIG_VARIABLE} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"Variable {CONFIG_VARIABLE} must be a JSON object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"Variable {CONFIG_VARIABLE}: unknown setting(s) {unknown}; known: {sorted(known)}")
        return cls(**{name: _VALIDATORS[name](name, value) for name, value in data.items()})

    def cap(self, resource: str) -> int | None:
        """The max_results cap of a resource, if any."""
        return self.max_results.get(resource)
