"""Webhook faults (README "Webhooks"): what can go wrong between Front and a receiver, from a seeded RNG.

One JSON object replaces the current faults (``{}`` = none):

    {"drop": 0.2, "duplicate": 0.1, "reorder": {"window": 10, "max_hold_seconds": 2},
     "delay": {"seconds": 1} | {"low": 0.5, "high": 3}, "forge": {"probability": 0.1, "mode": "wrong_secret"},
     "replay": {"probability": 0.05, "min_age_seconds": 0, "backdate_seconds": 0}, "paused": false}

``forge`` and ``replay`` also take a bare probability. Settings (not faults): ``timeout_seconds`` (5, Front's
answer deadline), ``retry_delays`` (up to three waits before the retries, seconds) and ``conversation_keys``
(None = the embedded conversation as ``/events`` has it; a list = only those fields, to test partial previews).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

FORGE_MODES = ("wrong_secret", "tampered", "unsigned")
MAX_RETRIES = 3  # Front retries an application webhook up to 3 times
_KEYS = ("drop", "duplicate", "reorder", "delay", "forge", "replay", "paused")


class WebhookSpecError(ValueError):
    """A webhook fault or setting that cannot be understood; 400 from the control API."""


def _probability(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise WebhookSpecError(f"{name} must be a probability within [0, 1]")
    return float(value)


def _seconds(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise WebhookSpecError(f"{name} must be a number of seconds >= 0")
    return float(value)


def _object(name: str, value: Any, allowed: tuple[str, ...], bare: str | None = None) -> dict[str, Any]:
    """A fault's options; a bare number stands for its ``bare`` key (``"forge": 0.1``)."""
    if bare is not None and isinstance(value, int | float) and not isinstance(value, bool):
        return {bare: value}
    if not isinstance(value, dict):
        raise WebhookSpecError(f"{name} must be a JSON object")
    unknown = set(value) - set(allowed)
    if unknown:
        raise WebhookSpecError(f"unknown {name} keys: {', '.join(sorted(unknown))}")
    return value


@dataclass
class WebhookFaults:
    drop: float = 0.0
    duplicate: float = 0.0
    reorder_window: int = 0  # 0 = off
    reorder_max_hold_seconds: float = 2.0
    delay_low: float = 0.0
    delay_high: float = 0.0
    forge: float = 0.0
    forge_mode: str = "wrong_secret"
    replay: float = 0.0
    replay_min_age_seconds: float = 0.0
    replay_backdate_seconds: float = 0.0
    paused: bool = False

    @classmethod
    def parse(cls, spec: Any) -> WebhookFaults:
        """Validate the JSON object of ``PUT /_simulator/webhooks/faults``."""
        if not isinstance(spec, dict):
            raise WebhookSpecError("webhook faults must be a JSON object")
        unknown = set(spec) - set(_KEYS)
        if unknown:
            known = ", ".join(_KEYS)
            raise WebhookSpecError(f"unknown webhook fault keys: {', '.join(sorted(unknown))}; known: {known}")
        faults = cls(
            drop=_probability("drop", spec.get("drop", 0)),
            duplicate=_probability("duplicate", spec.get("duplicate", 0)),
        )
        if "reorder" in spec:
            reorder = _object("reorder", spec["reorder"], ("window", "max_hold_seconds"))
            window = reorder.get("window", 5)
            if not isinstance(window, int) or window < 2:
                raise WebhookSpecError("reorder window must be an integer >= 2")
            faults.reorder_window = window
            faults.reorder_max_hold_seconds = _seconds("reorder max_hold_seconds", reorder.get("max_hold_seconds", 2))
        if "delay" in spec:
            delay = _object("delay", spec["delay"], ("seconds", "low", "high"), bare="seconds")
            low = _seconds("delay low", delay.get("low", delay.get("seconds", 0)))
            high = _seconds("delay high", delay.get("high", delay.get("seconds", low)))
            if high < low:
                raise WebhookSpecError("delay high must be >= low")
            faults.delay_low, faults.delay_high = low, high
        if "forge" in spec:
            forge = _object("forge", spec["forge"], ("probability", "mode"), bare="probability")
            faults.forge = _probability("forge probability", forge.get("probability", 0))
            faults.forge_mode = str(forge.get("mode", "wrong_secret"))
            if faults.forge_mode not in (*FORGE_MODES, "random"):
                raise WebhookSpecError(f"forge mode must be one of {', '.join(FORGE_MODES)} or random")
        if "replay" in spec:
            replay = _object(
                "replay", spec["replay"], ("probability", "min_age_seconds", "backdate_seconds"), bare="probability"
            )
            faults.replay = _probability("replay probability", replay.get("probability", 0))
            faults.replay_min_age_seconds = _seconds("replay min_age_seconds", replay.get("min_age_seconds", 0))
            faults.replay_backdate_seconds = _seconds("replay backdate_seconds", replay.get("backdate_seconds", 0))
        faults.paused = bool(spec.get("paused", False))
        return faults

    def describe(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class WebhookSettings:
    timeout_seconds: float = 5.0
    retry_delays: list[float] = field(default_factory=lambda: [1.0, 2.0, 4.0])
    conversation_keys: list[str] | None = None

    def update(self, spec: Any) -> None:
        """Apply ``PUT /_simulator/webhooks/settings`` (keys not given keep their values)."""
        if not isinstance(spec, dict):
            raise WebhookSpecError("webhook settings must be a JSON object")
        unknown = set(spec) - {"timeout_seconds", "retry_delays", "conversation_keys"}
        if unknown:
            raise WebhookSpecError(f"unknown webhook settings: {', '.join(sorted(unknown))}")
        timeout = _seconds("timeout_seconds", spec.get("timeout_seconds", self.timeout_seconds))
        if timeout <= 0:
            raise WebhookSpecError("timeout_seconds must be > 0")
        delays = spec.get("retry_delays", self.retry_delays)
        if not isinstance(delays, list) or len(delays) > MAX_RETRIES:
            raise WebhookSpecError(f"retry_delays must be a list of at most {MAX_RETRIES} waits (Front retries 3x)")
        keys = spec.get("conversation_keys", self.conversation_keys)
        if keys is not None and (not isinstance(keys, list) or not all(isinstance(k, str) for k in keys)):
            raise WebhookSpecError("conversation_keys must be null or a list of field names")
        self.retry_delays = [_seconds("retry_delays", d) for d in delays]
        self.timeout_seconds, self.conversation_keys = timeout, keys

    def describe(self) -> dict[str, Any]:
        return asdict(self)
