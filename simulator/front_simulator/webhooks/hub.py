"""The company's application webhooks: registrations, the queue every event joins, the workers that POST them,
the faults applied on the way and the delivery log a benchmark reads.

Mutations call ``publish`` under the state's lock: it renders the envelope and queues one job per registration,
never touching the network. ``WORKERS`` background threads POST due jobs (5 s timeout), retry failures up to 3
times after ``retry_delays``, and log every attempt. Fault decisions come from an RNG seeded per data seed, in
publish order, so the same seed and mutations drop, duplicate and forge the same events.
"""

from __future__ import annotations

import heapq
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import requests

from front_simulator.ids import make_id
from front_simulator.webhooks import envelope as env
from front_simulator.webhooks.faults import FORGE_MODES, WebhookFaults, WebhookSettings
from front_simulator.webhooks.registry import WebhookError, challenge_request, check_target, refusal
from front_simulator.webhooks.sender import RETRIED, Attempt, Job, Registration, send

WORKERS = 4
LOG_LIMIT = 50_000  # attempts kept in the delivery log (oldest forgotten first)
HISTORY_LIMIT = 10_000  # genuine requests kept for replays


@dataclass
class Sent:
    """A genuine request as an eavesdropper would have captured it (for replays)."""

    at: float  # wall clock, seconds
    registration: Registration
    event_id: str
    body: bytes
    timestamp: str
    signature: str | None


class WebhookHub:
    """Application webhooks of one simulated company (``company_id`` names it in every envelope)."""

    def __init__(self, seed: int, company_id: Callable[[], str]):
        self.company_id = company_id
        self.settings = WebhookSettings()
        self.registrations: dict[str, Registration] = {}
        self._cond = threading.Condition()
        self._workers: list[threading.Thread] = []
        self._closed = False
        self._numbers = 0  # registration ids
        self._log_seq = 0
        self._log: deque[dict[str, Any]] = deque(maxlen=LOG_LIMIT)
        self.generation = 0
        self._in_flight = 0
        self.reset(seed)

    # -- lifecycle ------------------------------------------------------------------------------------

    def reset(self, seed: int) -> None:
        """A data reset: faults off, queued requests and the delivery log dropped; registrations stay."""
        with self._cond:
            self.seed = int(seed)
            self.faults = WebhookFaults()
            self.rng = random.Random(f"{seed}:webhooks")
            self.generation += 1
            self._heap: list[Job] = []
            self._held: list[Job] = []
            self._held_since = 0.0
            self._seq = 0
            self._forged = 0
            self._history: deque[Sent] = deque(maxlen=HISTORY_LIMIT)
            self._log.clear()
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        deadline = time.monotonic() + 2.0  # a worker inside a POST finishes it (or its timeout) on its own
        for worker in self._workers:
            worker.join(max(0.0, deadline - time.monotonic()))

    def _start_workers(self) -> None:
        if self._workers:
            return
        for number in range(WORKERS):
            worker = threading.Thread(target=self._work, name=f"front-simulator-webhooks-{number}", daemon=True)
            worker.start()
            self._workers.append(worker)

    # -- registrations ----------------------------------------------------------------------------------

    def register(self, url: Any, secret: Any) -> dict[str, Any]:
        """Save a webhook after Front's handshake (a saved URL gets the new secret); WebhookError if refused."""
        check_target(url, secret)
        challenge, attempt = challenge_request(url, secret, self.company_id())
        reason = refusal(url, challenge, attempt)
        with self._cond:
            self._record(None, url, None, "handshake", 1, attempt, "delivered" if reason is None else "refused")
            if reason is not None:
                raise WebhookError(reason)
            existing = next((r for r in self.registrations.values() if r.url == url), None)
            if existing is not None:
                existing.secret = secret
                return existing.describe()
            self._numbers += 1
            registration = Registration(make_id("whk", self._numbers), url, secret, round(time.time(), 3))
            self.registrations[registration.id] = registration
            self._start_workers()
            return registration.describe()

    def unregister(self, webhook_id: str) -> bool:
        """Delete a webhook: its queued requests and retries are not sent (a request in flight finishes)."""
        with self._cond:
            if self.registrations.pop(webhook_id, None) is None:
                return False
            self._heap = [job for job in self._heap if job.registration.id != webhook_id]
            heapq.heapify(self._heap)
            self._held = [job for job in self._held if job.registration.id != webhook_id]
            return True

    def registered(self) -> list[dict[str, Any]]:
        with self._cond:
            return [r.describe() for r in self.registrations.values()]

    # -- faults and settings -------------------------------------------------------------------------

    def set_faults(self, spec: Any) -> dict[str, Any]:
        faults = WebhookFaults.parse(spec)
        with self._cond:
            self.faults = faults
            self.rng = random.Random(f"{self.seed}:webhooks")
            if self._held and not faults.reorder_window:
                self._release_held()
            self._cond.notify_all()
            return faults.describe()

    def update_settings(self, spec: Any) -> dict[str, Any]:
        with self._cond:
            self.settings.update(spec)
            return self.settings.describe()

    # -- publishing ------------------------------------------------------------------------------------

    def publish(self, render: Callable[[], dict[str, Any]]) -> None:
        """Queue the webhooks of one new event (``render`` gives it as /events lists it); no network here."""
        if not self.registrations:
            return
        event = render()
        body_object = env.envelope(self.company_id(), event, self.settings.conversation_keys)
        body = env.encode(body_object)
        with self._cond:
            for registration in list(self.registrations.values()):
                self._plan(registration, event["id"], body_object, body)
            self._cond.notify_all()

    def _plan(self, registration: Registration, event_id: str, body_object: dict[str, Any], body: bytes) -> None:
        """What this registration gets for one event, faults applied (under the lock)."""
        faults, rng, now = self.faults, self.rng, time.monotonic()
        if faults.drop and rng.random() < faults.drop:
            self._record(registration, registration.url, event_id, "event", 0, None, "dropped")
            return
        delay = rng.uniform(faults.delay_low, faults.delay_high) if faults.delay_high else 0.0
        self._admit(self._job(registration, event_id, body), now + delay)
        if faults.duplicate and rng.random() < faults.duplicate:
            self._admit(self._job(registration, event_id, body, kind="duplicate"), now + delay + rng.uniform(0, 0.5))
        if faults.forge and rng.random() < faults.forge:
            self._admit(self._forgery(registration, event_id, body_object, body), now + delay)
        if faults.replay and rng.random() < faults.replay:
            self._replay(1, faults.replay_min_age_seconds, faults.replay_backdate_seconds)

    def _job(self, registration: Registration, event_id: str, body: bytes, **extra: Any) -> Job:
        self._seq += 1
        return Job(0.0, self._seq, registration, event_id, body, generation=self.generation, **extra)

    def _forgery(self, registration: Registration, event_id: str, body_object: dict[str, Any], body: bytes) -> Job:
        """An attacker's copy naming a made-up event: signed with another secret, tampered after signing, or
        unsigned."""
        mode = self.faults.forge_mode
        if mode == "random":
            mode = self.rng.choice(FORGE_MODES)
        self._forged += 1
        forged_id, forged = env.forged_body(body_object, self._forged)
        job = self._job(registration, forged_id, forged, kind="forged", forge_mode=mode, copy_of=event_id)
        if mode == "wrong_secret":
            job.secret = f"forged-{self.rng.getrandbits(64):x}"
        elif mode == "tampered":
            job.sign_body = body
        else:
            job.unsigned = True
        return job

    def replay(self, count: int, min_age_seconds: float = 0.0, backdate_seconds: float = 0.0) -> list[dict]:
        """Re-send ``count`` earlier genuine requests (README "Webhooks"); returns what was queued."""
        with self._cond:
            replayed = self._replay(count, min_age_seconds, backdate_seconds)
            self._cond.notify_all()
            return replayed

    def _replay(self, count: int, min_age_seconds: float, backdate_seconds: float) -> list[dict[str, Any]]:
        now = time.time()
        candidates = [sent for sent in self._history if now - sent.at >= min_age_seconds]
        out = []
        for sent in self.rng.sample(candidates, k=min(count, len(candidates))):
            timestamp, signature = sent.timestamp, sent.signature
            if backdate_seconds:  # as if captured that much earlier: an old timestamp, validly signed
                timestamp = str(int(sent.timestamp) - int(backdate_seconds * 1000))
                signature = env.signature(sent.registration.secret, timestamp, sent.body)
            job = self._job(
                sent.registration, sent.event_id, sent.body, kind="replay", timestamp=timestamp, signature=signature
            )
            self._admit(job, time.monotonic())
            out.append({"event_id": sent.event_id, "url": sent.registration.url, "request_timestamp": timestamp})
        return out

    def _admit(self, job: Job, due: float) -> None:
        job.due = due
        if not self.faults.reorder_window:
            heapq.heappush(self._heap, job)
            return
        if not self._held:
            self._held_since = time.monotonic()
        self._held.append(job)
        if len(self._held) >= self.faults.reorder_window:
            self._release_held()

    def _release_held(self) -> None:
        """Let the held jobs go in a shuffled order (the reorder fault)."""
        held, self._held = self._held, []
        self.rng.shuffle(held)
        now = time.monotonic()
        for job in held:
            self._seq += 1
            job.seq, job.due = self._seq, max(job.due, now)
            heapq.heappush(self._heap, job)

    # -- sending -----------------------------------------------------------------------------------------

    def _work(self) -> None:
        with requests.Session() as session:
            while (job := self._next_job()) is not None:
                try:
                    attempt = send(session, job, self.settings.timeout_seconds)
                    self._done(job, attempt)
                finally:
                    with self._cond:
                        self._in_flight -= 1
                        self._cond.notify_all()

    def _next_job(self) -> Job | None:
        """The next due job (None once closed); waits while nothing is due or delivery is paused."""
        with self._cond:
            while not self._closed:
                now = time.monotonic()
                hold = self._held_since + self.faults.reorder_max_hold_seconds - now
                if self._held and hold <= 0:
                    self._release_held()
                wait = hold if self._held else None
                if self._heap and not self.faults.paused:
                    if self._heap[0].due <= now:
                        self._in_flight += 1
                        return heapq.heappop(self._heap)
                    wait = min(wait or 3600.0, self._heap[0].due - now)
                self._cond.wait(wait)
            return None

    def _done(self, job: Job, attempt: Attempt) -> None:
        """Log an attempt; schedule the retry of a failed genuine request, or give up after the last."""
        with self._cond:
            if job.generation != self.generation:
                return  # sent for data a reset has replaced
            if job.kind not in RETRIED:
                self._record(
                    job.registration,
                    job.registration.url,
                    job.event_id,
                    job.kind,
                    job.attempt,
                    attempt,
                    "accepted" if attempt.ok else "refused",
                    job,
                )
                return
            self._history.append(
                Sent(
                    attempt.sent_at / 1000,
                    job.registration,
                    job.event_id,
                    job.body,
                    attempt.timestamp,
                    attempt.signature,
                )
            )
            delays = self.settings.retry_delays
            retry = not attempt.ok and job.attempt <= len(delays) and job.registration.id in self.registrations
            outcome = "delivered" if attempt.ok else "retry" if retry else "gave_up"
            self._record(
                job.registration, job.registration.url, job.event_id, job.kind, job.attempt, attempt, outcome, job
            )
            if retry:
                self._seq += 1
                heapq.heappush(
                    self._heap,
                    replace(
                        job, due=time.monotonic() + delays[job.attempt - 1], seq=self._seq, attempt=job.attempt + 1
                    ),
                )
                self._cond.notify_all()

    # -- the delivery log ----------------------------------------------------------------------------------

    def _record(
        self,
        registration: Registration | None,
        url: str,
        event_id: str | None,
        kind: str,
        number: int,
        attempt: Attempt | None,
        outcome: str,
        job: Job | None = None,
    ) -> None:
        self._log_seq += 1
        self._log.append(
            {
                "seq": self._log_seq,
                "webhook_id": registration.id if registration else None,
                "url": url,
                "event_id": event_id,
                "kind": kind,
                "attempt": number,
                "sent_at": attempt.sent_at if attempt else None,
                "request_timestamp": attempt.timestamp if attempt else None,
                "status": attempt.status if attempt else None,
                "error": attempt.error if attempt else None,
                "latency_ms": attempt.latency_ms if attempt else None,
                "outcome": outcome,
                "forge_mode": job.forge_mode if job else None,
                "copy_of": job.copy_of if job else None,
            }
        )

    def deliveries(
        self, after: int = 0, event_id: str | None = None, kind: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Log entries with ``seq > after`` (oldest first), optionally of one event or kind."""
        with self._cond:
            out = [
                entry
                for entry in self._log
                if entry["seq"] > after
                and (event_id is None or entry["event_id"] == event_id)
                and (kind is None or entry["kind"] == kind)
            ]
        return out[:limit] if limit else out

    def clear_deliveries(self) -> None:
        with self._cond:
            self._log.clear()

    def status(self) -> dict[str, Any]:
        """Queue depths: a test waits for ``queued + held + in_flight == 0`` (idle)."""
        with self._cond:
            return {
                "company_id": self.company_id(),
                "registrations": len(self.registrations),
                "queued": len(self._heap),
                "held": len(self._held),
                "in_flight": self._in_flight,
                "paused": self.faults.paused,
                "last_seq": self._log_seq,
            }
