"""The soak's traffic: a thread applying every kind of simulator mutation, and named layers of fault rules."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from typing import Any


def mutation_kinds() -> tuple[str, ...]:
    """Every mutation the simulator knows, in its order (the registry moved between versions)."""
    try:
        from front_simulator.mutations import MUTATIONS
    except ImportError:
        from front_simulator.state import MUTATIONS
    return tuple(MUTATIONS)


class Mutator(threading.Thread):
    """Applies every kind of mutation in rotation, `count` 1-3, every `interval` seconds, until stopped."""

    def __init__(self, url: str, interval: float, seed: int):
        super().__init__(name="mutator", daemon=True)
        from front_simulator.control import SimulatorControl

        self.control = SimulatorControl(url, timeout=30)
        self.actions = mutation_kinds()
        self.interval = interval
        self.rng = random.Random(seed)
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.calls: Counter = Counter()
        self.changed: Counter = Counter()
        self.errors: Counter = Counter()
        self.last_error = ""
        self.deleted_comments: dict[str, dict[str, Any]] = {}  # comment id -> conversation, when (epoch)
        self.started: list[tuple[float, str]] = []  # (epoch a call started, action), for dating drift

    def run(self) -> None:
        index = 0
        while not self.stop_event.wait(self.interval):
            action = self.actions[index % len(self.actions)]
            index += 1
            # Deletions and merges one at a time, so the account keeps tags, contacts and conversations to work on.
            count = 1 if action.startswith(("delete_", "merge_")) else self.rng.randint(1, 3)
            self.apply(action, count)

    def apply(self, action: str, count: int, control=None) -> None:
        """One mutation; another thread passes its own control client (a requests session is not shared)."""
        with self.lock:
            self.started.append((time.time(), action))
        try:
            result = (control or self.control).mutate(action, count=count)
            with self.lock:
                self.calls[action] += 1
                self.changed[action] += len(result.get("ids") or [])
                for conversation_id, comment_id in zip(
                    result.get("ids") or [], result.get("comments") or [], strict=False
                ):
                    if action == "delete_comments":
                        self.deleted_comments[comment_id] = {"conversation": conversation_id, "at": time.time()}
        except Exception as exc:  # noqa: BLE001 - counted and reported, the stream goes on
            with self.lock:
                self.errors[action] += 1
                self.last_error = f"{action}: {exc}"

    def stop(self) -> None:
        self.stop_event.set()
        self.join(timeout=60)

    def started_since(self, since: float, actions: frozenset[str]) -> list[float]:
        with self.lock:
            return [at for at, action in self.started if at >= since and action in actions]

    def report(self) -> dict[str, Any]:
        with self.lock:
            return {
                "calls": sum(self.calls.values()),
                "records_changed": sum(self.changed.values()),
                "by_action": dict(sorted(self.changed.items())),
                "errors": dict(self.errors),
                "last_error": self.last_error,
                "kinds": len(self.calls),
                "kinds_never_applied": sorted(set(self.actions) - set(self.calls)),
            }


class FaultBoard:
    """Named layers of simulator fault rules; the simulator gets their union every time one changes."""

    def __init__(self, control):
        self.control = control
        self.layers: dict[str, list[dict[str, Any]]] = {}
        self.windows: list[dict[str, Any]] = []

    def set(self, layer: str, rules: list[dict[str, Any]], clock: float) -> None:
        self.layers[layer] = rules
        self.windows.append(
            {"layer": layer, "from": round(clock, 1), "to": None, "kinds": sorted({r["kind"] for r in rules})}
        )
        self._push()

    def clear(self, layer: str, clock: float) -> None:
        self.layers.pop(layer, None)
        for window in self.windows:
            if window["layer"] == layer and window["to"] is None:
                window["to"] = round(clock, 1)
        self._push()

    def clear_all(self, clock: float) -> None:
        for layer in list(self.layers):
            self.clear(layer, clock)
        self.control.clear_faults()

    def _push(self) -> None:
        rules = [rule for layer in self.layers.values() for rule in layer]
        if rules:
            self.control.set_faults(rules)
        else:
            self.control.clear_faults()
