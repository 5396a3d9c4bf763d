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
API_POOL = "front_api"
CONFIG_VARIABLE = "front_sync.config"
WAREHOUSE_SCHEMA = "front"

# Cron expressions read when the DAG files are parsed (environment, not Variables: no DB access at parse time).
SCHEDULE_ENV = {"incremental": "FRONT_SYNC_INCREMENTAL_SCHEDULE", "full": "FRONT_SYNC_FULL_SCHEDULE"}
DEFAULT_SCHEDULES = {"incremental": "0 * * * *", "full": "0 2 * * *"}
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


def _caps(name: str, value: Any) -> Mapping[str, int]:
    if not isinstance(value, dict):
        raise ConfigError(f"Variable {CONFIG_VARIABLE}: setting {name!r} must be an object of resource -> integer")
    return MappingProxyType({str(k): _positive_int(f"{name}.{k}", v) for k, v in value.items()})


_VALIDATORS = {
    "overlap_seconds": _non_negative_int,
    "batch_pages": _positive_int,
    "conversation_strategy": _strategy,
    "max_results": _caps,
    "queue_lease_seconds": _positive_int,
    "queue_max_attempts": _positive_int,
    "queue_retry_seconds": _non_negative_int,
}


@dataclass(frozen=True)
class SyncConfig:
    """Tunables read from the optional JSON Variable front_sync.config; every key is optional.

    overlap_seconds: how far before the watermark a run reads again; batch_pages: pages per load transaction;
    conversation_strategy: "events" (the Events API) or "list" (GET /conversations newest first, stop at the
    watermark); max_results: a cap of records per resource per run ({"contacts": 5000}); a capped run says so
    and the next one continues. (Parallel fetches are the Front connection's `max_workers` extra.)
    The pending queue: queue_lease_seconds (a claim lapses after this, so a dead worker's conversations come
    free), queue_max_attempts (tries before a conversation goes to dead_letters), queue_retry_seconds (back-off
    after a failed try, times the tries so far).
    """

    overlap_seconds: int = 300
    batch_pages: int = 5
    conversation_strategy: str = "events"
    max_results: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    queue_lease_seconds: int = 600
    queue_max_attempts: int = 5
    queue_retry_seconds: int = 60

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
