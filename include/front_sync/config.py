"""Names of the configuration surface (Connections, Variables, pool) and the optional front_sync.config Variable."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields

FRONT_CONN_ID = "front_default"
WAREHOUSE_CONN_ID = "front_warehouse"
SLACK_CONN_ID = "slack_alerts"
API_POOL = "front_api"
CONFIG_VARIABLE = "front_sync.config"
WAREHOUSE_SCHEMA = "front"


def watermark_key(resource: str) -> str:
    """The Variable that holds a resource's incremental cursor."""
    return f"front_sync.watermark.{resource}"


class ConfigError(ValueError):
    """A setting is wrong; the message names the setting and what is expected."""


@dataclass(frozen=True)
class SyncConfig:
    """Tunables read from the optional JSON Variable front_sync.config; every key is optional."""

    overlap_seconds: int = 300
    batch_pages: int = 5

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
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(f"Variable {CONFIG_VARIABLE}: unknown setting(s) {unknown}; known: {sorted(known)}")
        for name, value in data.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"Variable {CONFIG_VARIABLE}: setting {name!r} must be a non-negative integer")
        if data.get("batch_pages") == 0:
            raise ConfigError(f"Variable {CONFIG_VARIABLE}: setting 'batch_pages' must be at least 1")
        return cls(**data)
