"""A small requests-based client for the simulator's control API (``/_simulator``), for tests and the demo.

control = SimulatorControl("http://127.0.0.1:8765")
control.reset(seed=1, sizes={"contacts": 1000})
changed = control.mutate("update_contacts", count=50)["ids"]
contacts = control.truth("contacts")["_results"]
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import requests

from front_simulator import CONTROL_PREFIX


class SimulatorControlError(RuntimeError):
    """The control API refused a request (its ``_error`` message is included)."""


class SimulatorControl:
    """Drive a running simulator: reset, mutate, faults, rate limit, statistics, ground truth."""

    def __init__(self, base_url: str, timeout: float = 60.0, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        response = self.session.request(
            method, f"{self.base_url}{CONTROL_PREFIX}{path}", json=payload, timeout=self.timeout
        )
        if response.status_code >= 400:
            try:
                detail = response.json()["_error"].get("message")
            except (ValueError, KeyError, TypeError):
                detail = response.text[:200]
            raise SimulatorControlError(f"{method} {path}: {response.status_code} {detail}")
        return response.json()

    def reset(self, seed: int = 1, sizes: dict[str, Any] | None = None) -> dict[str, Any]:
        """Regenerate the data for ``seed``/``sizes``; also clears faults, statistics and rate counters."""
        return self._call("POST", "/reset", {"seed": seed, "sizes": sizes or {}})

    def mutate(self, action: str, count: int = 1, **params: Any) -> dict[str, Any]:
        """Apply a mutation (see README "Mutations"); returns ``{"ids": [...], "events": [...], ...}``."""
        return self._call("POST", "/mutate", {"action": action, "count": count, **params})

    def truth(self, resource: str, viewer: str | None = None) -> dict[str, Any]:
        """``{"_results": [...]}``: every current record of ``resource`` exactly as the API renders it (as an
        OAuth access token sees it with ``viewer="oauth"``: no private inboxes)."""
        return self._call("GET", f"/truth/{resource}" + (f"?viewer={viewer}" if viewer else ""))

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "/stats")

    def reset_stats(self) -> None:
        self._call("POST", "/stats/reset")

    def set_faults(self, faults: list[dict[str, Any]], append: bool = False) -> list[dict[str, Any]]:
        return self._call("PUT", "/faults", {"faults": faults, "append": append})["faults"]

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "/faults")["faults"]

    def expire_page_tokens(self) -> None:
        """Every page token handed out so far answers 400 from now on (the data stays)."""
        self._call("POST", "/expire_page_tokens")

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def set_rate_limit(
        self,
        rpm: int | None,
        burst_per_second: float | None = 5.0,
        window_seconds: float = 60.0,
        search_share: float = 0.4,
    ) -> dict[str, Any]:
        """``rpm=None`` turns rate limiting off; ``burst_per_second=None`` turns the burst limit off."""
        return self._call(
            "PUT",
            "/rate_limit",
            {
                "rpm": rpm,
                "burst_per_second": burst_per_second,
                "window_seconds": window_seconds,
                "search_share": search_share,
            },
        )

    def set_schema_drift(
        self, resource: str, add: dict[str, Any] | None = None, drop: list[str] | None = None
    ) -> dict[str, Any]:
        """Serve `resource`'s records with fields added (path -> value) and dropped (paths); see schema_drift.py."""
        return self._call("PUT", "/schema", {"resource": resource, "add": add or {}, "drop": drop or []})["drift"]

    def clear_schema_drift(self) -> None:
        self._call("DELETE", "/schema")

    def config(self) -> dict[str, Any]:
        return self._call("GET", "/config")

    # -- application webhooks (README "Webhooks") --------------------------------------------------------

    def register_webhook(self, url: str, secret: str) -> dict[str, Any]:
        """Register ``url`` with the app's signing secret after Front's challenge handshake (which the receiver
        must echo; else SimulatorControlError says why); ``{"id", "url", "created_at"}``. A saved URL gets the
        new secret."""
        return self._call("POST", "/webhooks", {"url": url, "secret": secret})

    def webhooks(self) -> list[dict[str, Any]]:
        return self._call("GET", "/webhooks")["webhooks"]

    def delete_webhook(self, webhook_id: str) -> None:
        self._call("DELETE", f"/webhooks/{webhook_id}")

    def webhook_deliveries(
        self, after: int = 0, event_id: str | None = None, kind: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """The delivery log, oldest first: one entry per attempt (``seq``, ``webhook_id``, ``url``, ``event_id``,
        ``kind``, ``attempt``, ``sent_at`` ms, ``request_timestamp``, ``status``, ``error``, ``latency_ms``,
        ``outcome``, ``forge_mode``, ``copy_of``) and per dropped event; ``after`` a ``seq`` for the newer ones."""
        query = {k: v for k, v in {"after": after, "event_id": event_id, "kind": kind, "limit": limit}.items() if v}
        return self._call("GET", "/webhooks/deliveries" + (f"?{urlencode(query)}" if query else ""))["deliveries"]

    def clear_webhook_deliveries(self) -> None:
        self._call("DELETE", "/webhooks/deliveries")

    def webhook_status(self) -> dict[str, Any]:
        """``queued``, ``held`` (reorder), ``in_flight``, ``paused``, ``registrations``, ``last_seq``."""
        return self._call("GET", "/webhooks/status")

    def wait_webhooks_idle(self, timeout: float = 30.0, poll: float = 0.02) -> dict[str, Any]:
        """Wait until nothing is queued, held or in flight (every retry done or given up); the status then."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.webhook_status()
            if not (status["queued"] or status["held"] or status["in_flight"]):
                return status
            if time.monotonic() > deadline:
                raise TimeoutError(f"webhooks not idle after {timeout} s: {status}")
            time.sleep(poll)

    def set_webhook_faults(self, **faults: Any) -> dict[str, Any]:
        """Replace the webhook faults: ``drop``, ``duplicate``, ``reorder``, ``delay``, ``forge``, ``replay``,
        ``paused`` (front_simulator/webhooks/faults.py); none given = no faults."""
        return self._call("PUT", "/webhooks/faults", faults)["faults"]

    def webhook_faults(self) -> dict[str, Any]:
        return self._call("GET", "/webhooks/faults")["faults"]

    def clear_webhook_faults(self) -> None:
        self._call("DELETE", "/webhooks/faults")

    def set_webhook_settings(self, **settings: Any) -> dict[str, Any]:
        """``timeout_seconds`` (default 5), ``retry_delays`` (default [1, 2, 4], at most 3) and
        ``conversation_keys`` (default None: the whole conversation snapshot; a list: only those fields)."""
        return self._call("PUT", "/webhooks/settings", settings)

    def replay_webhooks(
        self, count: int = 1, min_age_seconds: float = 0.0, backdate_seconds: float = 0.0
    ) -> list[dict[str, Any]]:
        """Re-send ``count`` earlier genuine requests verbatim now (``backdate_seconds``: as if captured that much
        earlier: the timestamp moved back, validly signed); ``[{"event_id", "url", "request_timestamp"}]``."""
        payload = {"count": count, "min_age_seconds": min_age_seconds, "backdate_seconds": backdate_seconds}
        return self._call("POST", "/webhooks/replay", payload)["replayed"]
