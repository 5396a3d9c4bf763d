"""The receiver's settings, from the environment (the service has no Airflow Variables: it never calls Airflow)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from front_sync.config import ConfigError

ENV = {
    "host": "FRONT_SYNC_WEBHOOK_HOST",
    "port": "FRONT_SYNC_WEBHOOK_PORT",
    "path": "FRONT_SYNC_WEBHOOK_PATH",
    "max_bytes": "FRONT_SYNC_WEBHOOK_MAX_BYTES",
    "refresh_seconds": "FRONT_SYNC_WEBHOOK_REFRESH_SECONDS",
}


@dataclass(frozen=True)
class ReceiverSettings:
    """host/port: where the service listens; path: the URL path Front posts to; max_bytes: the largest body taken
    (413 above); refresh_seconds: how often the tenants' connections are read again (a rotated secret is picked
    up within this); flush_seconds: how often refusal counts are written to the warehouses."""

    host: str = "127.0.0.1"
    port: int = 8090
    path: str = "/webhooks/front"
    max_bytes: int = 256 * 1024
    refresh_seconds: float = 60.0
    flush_seconds: float = 5.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> ReceiverSettings:
        """The settings, each from its FRONT_SYNC_WEBHOOK_* variable when set; a bad value names the variable."""
        values: dict[str, Any] = {}
        for name, variable in ENV.items():
            text = environ.get(variable, "").strip()
            if not text:
                continue
            values[name] = _parsed(name, variable, text)
        return cls(**values)


def _parsed(name: str, variable: str, text: str) -> object:
    if name == "host":
        return text
    if name == "path":
        if not text.startswith("/"):
            raise ConfigError(f"Environment setting {variable}={text!r} must be a URL path starting with /")
        return text
    try:
        value = float(text) if name == "refresh_seconds" else int(text)
    except ValueError:
        value = 0
    if value <= 0 or (name == "port" and value > 65535):
        raise ConfigError(
            f"Environment setting {variable}={text!r} must be a positive number"
            + (" (a TCP port)" if name == "port" else "")
        )
    return value
