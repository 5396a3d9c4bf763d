"""One HTTP attempt of a webhook: the jobs the hub queues and the POST a worker makes for one of them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import requests

from front_simulator.webhooks import envelope as env

RETRIED = ("event", "duplicate")  # what Front sends is retried; an attacker's forged or replayed copy is not


@dataclass
class Registration:
    """An application webhook of the company: where to POST and the app's signing secret."""

    id: str
    url: str
    secret: str
    created_at: float

    def describe(self) -> dict[str, object]:
        return {"id": self.id, "url": self.url, "created_at": self.created_at}  # never the secret


@dataclass(order=True)
class Job:
    """One request to make (and its later retries): ordered by when it is due, then by queue order."""

    due: float  # time.monotonic()
    seq: int
    registration: Registration = field(compare=False)
    event_id: str = field(compare=False)
    body: bytes = field(compare=False)
    kind: str = field(compare=False, default="event")  # event | duplicate | forged | replay
    generation: int = field(compare=False, default=0)
    attempt: int = field(compare=False, default=1)
    timestamp: str | None = field(compare=False, default=None)  # fixed: a replay keeps the captured one
    signature: str | None = field(compare=False, default=None)  # fixed: a replay keeps the captured one
    secret: str | None = field(compare=False, default=None)  # forged "wrong_secret": signs with another secret
    sign_body: bytes | None = field(compare=False, default=None)  # forged "tampered": signs the genuine body
    unsigned: bool = field(compare=False, default=False)  # forged "unsigned": no x-front-signature
    forge_mode: str | None = field(compare=False, default=None)
    copy_of: str | None = field(compare=False, default=None)  # the genuine event a forgery copies


@dataclass
class Attempt:
    """What one POST gave: status (None = no HTTP answer) or error, and when it was sent."""

    sent_at: int  # wall clock, milliseconds
    timestamp: str  # the x-front-request-timestamp sent
    signature: str | None
    status: int | None = None
    error: str | None = None  # timeout | connection
    latency_ms: float = 0.0
    text: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(
    session: requests.Session, url: str, body: bytes, headers: dict[str, str], timeout: float, attempt: Attempt
) -> Attempt:
    """POST and fill in ``attempt``; never raises for network trouble (it is what the log is for)."""
    started = time.monotonic()
    try:
        response = session.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
        attempt.status, attempt.text = response.status_code, response.text[:500]
    except requests.Timeout:
        attempt.error = "timeout"
    except requests.RequestException:
        attempt.error = "connection"
    attempt.latency_ms = round((time.monotonic() - started) * 1000, 3)
    return attempt


def send(session: requests.Session, job: Job, timeout: float) -> Attempt:
    """Sign ``job`` as its kind says (a fresh timestamp unless fixed) and POST it."""
    now = time.time()
    timestamp = job.timestamp or env.timestamp_ms(now)
    if job.unsigned:
        signed = None
    elif job.signature is not None:
        signed = job.signature
    else:
        signed = env.signature(job.secret or job.registration.secret, timestamp, job.sign_body or job.body)
    attempt = Attempt(
        sent_at=int(now * 1000) if job.timestamp else int(timestamp), timestamp=timestamp, signature=signed
    )
    return post(session, job.registration.url, job.body, env.headers(timestamp, signed), timeout, attempt)
