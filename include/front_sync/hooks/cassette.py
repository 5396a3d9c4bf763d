"""Recorded cassettes: record every Front response a run receives, scrubbed, and replay runs offline from them.

The switch is one environment variable, read here only, when FrontHook opens a session (its default
``session_factory``): ``FRONT_SYNC_CASSETTE=record:<file>`` or ``replay:<file>``; unset, sessions are plain.
``FRONT_SYNC_CASSETTE_SCRUB`` (comma-separated keys) replaces the default list of PII keys.

Why a transport adapter and not vcrpy: vcrpy patches every HTTP client of the process (Airflow's own API
calls under ``dag.test``, Slack webhooks) and its cassette lives in a context manager no task lifecycle holds;
an adapter mounted on FrontHook's sessions sees exactly Front's traffic, from every worker thread.

- Recording appends one JSON line per response (thread- and process-safe: a lock and ``flock``). The request's
  headers are never written (the token travels there); the token is also cut out of anything written. Emails
  anywhere and the values of PII keys (names, bodies...) become stable fakes: an HMAC keyed by the token, so
  the same input gives the same fake across the recording (ids, handles and contact matching stay consistent)
  while a fake cannot be reversed without the token.
- Replay serves responses matched on method, path and query (Front's ``page_token`` links included), in
  recorded order per request, whatever the thread order. Window bounds (``q[after]``...) come from the run's
  clock, so they match by name, not value. A request not in the cassette raises CassetteMiss (the task
  fails at once): replay never touches the network. Replay state is per process: run replays under
  ``dag.test()`` / ``airflow dags test``.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import re
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from front_sync.hooks.errors import FrontConfigError

ENV_SWITCH = "FRONT_SYNC_CASSETTE"
ENV_SCRUB = "FRONT_SYNC_CASSETTE_SCRUB"
DEFAULT_SCRUB_KEYS = (
    "name",
    "first_name",
    "last_name",
    "username",
    "display_name",
    "body",
    "text",
    "blurb",
    "subject",
    "description",
    "handle",
    "address",
    "signature",
    "filename",
)
WINDOW_PARAMS = frozenset({"q[after]", "q[before]", "q[updated_after]", "q[updated_before]"})
KEPT_HEADERS = ("content-type", "location", "retry-after")  # never rate-limit stamps: they are clock-bound
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


class CassetteMiss(FrontConfigError):
    """Replay got a request the cassette does not hold (or holds fewer times): fail, never go to the network."""


class Scrubber:
    """Replaces PII by stable fakes and the token by a placeholder, in any JSON value or text."""

    def __init__(self, token: str, keys: tuple[str, ...] = DEFAULT_SCRUB_KEYS) -> None:
        self.token = token
        self.keys = frozenset(keys)
        self._key = hashlib.sha256(b"front-sync-cassette:" + token.encode()).digest()

    def _digest(self, value: str) -> str:
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()[:12]

    def email(self, match: re.Match[str]) -> str:
        return f"user-{self._digest(match.group(0).casefold())}@example.invalid"

    def text(self, value: str) -> str:
        """Emails become fakes (case-folded first, as contact matching folds them); the token is cut out."""
        if self.token:
            value = value.replace(self.token, "<token>")
        return EMAIL.sub(self.email, value)

    def value_of(self, key: str, value: str) -> str:
        """A PII key's string: an email keeps an email's shape, anything else becomes ``<key>-<digest>``."""
        if EMAIL.fullmatch(value.strip()):
            return self.text(value)
        return f"{key}-{self._digest(value)}" if value else value

    def scrub(self, data: Any, key: str | None = None) -> Any:
        """The JSON value with PII keys' strings and every email replaced; structure, ids and numbers kept."""
        if isinstance(data, dict):
            return {k: self.scrub(v, k) for k, v in data.items()}
        if isinstance(data, list):
            return [self.scrub(item, key) for item in data]
        if isinstance(data, str):
            return self.value_of(key, data) if key in self.keys else self.text(data)
        return data


def request_key(method: str, url: str) -> str:
    """Method, path and query as replay matches them (window bounds by name only)."""
    parts = urlsplit(url)
    query = sorted((k, "*" if k in WINDOW_PARAMS else v) for k, v in parse_qsl(parts.query, keep_blank_values=True))
    return json.dumps([method.upper(), parts.path, query])


def _token_of(request: requests.PreparedRequest) -> str:
    auth = request.headers.get("Authorization", "")
    if isinstance(auth, bytes):  # requests accepts header values as bytes too (HTTP's latin-1)
        auth = auth.decode("latin-1")
    return auth.split(" ", 1)[1] if auth.lower().startswith("bearer ") else ""


def _response(request: requests.PreparedRequest, status: int, headers: dict[str, str], content: bytes):
    response = requests.Response()
    response.status_code = status
    response.headers = CaseInsensitiveDict(headers)
    response._content = content
    response.url = request.url or ""  # a request that was sent has its URL
    response.request = request
    response.reason = "recorded"
    response.encoding = "utf-8"
    return response


class RecordingAdapter(requests.adapters.HTTPAdapter):
    """Sends as usual and appends each response, scrubbed, to the cassette file."""

    _lock = threading.Lock()

    def __init__(self, path: Path, scrub_keys: tuple[str, ...]) -> None:
        super().__init__()
        self.path = path
        self.scrub_keys = scrub_keys

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        response = super().send(request, *args, **kwargs)
        scrubber = Scrubber(_token_of(request), self.scrub_keys)
        try:
            body: Any = {"json": scrubber.scrub(json.loads(response.content))}
        except ValueError:
            body = {"text": scrubber.text(response.content.decode("utf-8", "replace"))}
        entry = {
            "key": json.loads(scrubber.text(request_key(request.method or "GET", request.url or ""))),
            "status": response.status_code,
            "headers": {h: scrubber.text(response.headers[h]) for h in KEPT_HEADERS if h in response.headers},
            **body,
        }
        line = json.dumps(entry, separators=(",", ":"), sort_keys=True) + "\n"
        with self._lock, open(self.path, "a", encoding="utf-8") as out:
            fcntl.flock(out, fcntl.LOCK_EX)
            out.write(line)
        return response


class ReplayAdapter(BaseAdapter):
    """Serves recorded responses; shared by every session of the process, so its queues are consumed once."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._queues: dict[str, deque] = defaultdict(deque)
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                entry = json.loads(line)
                self._queues[json.dumps(entry["key"])].append(entry)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        key = request_key(request.method or "GET", request.url or "")
        with self._lock:
            queue = self._queues.get(key)
            entry = queue.popleft() if queue else None
        if entry is None:
            method, path, _ = json.loads(key)
            raise CassetteMiss(
                f"Cassette replay: {method} {path} (with its query) is not in the cassette, or not "
                f"that many times; replay never calls Front. Record the cassette again."
            )
        content = json.dumps(entry["json"]).encode() if "json" in entry else entry["text"].encode()
        return _response(request, entry["status"], entry["headers"], content)

    def close(self) -> None:
        """Nothing to release (shared across sessions)."""


_players: dict[str, ReplayAdapter] = {}
_players_lock = threading.Lock()


def forget_replays() -> None:
    """Drop the loaded cassettes, so the next replay starts from their first response again (tests)."""
    with _players_lock:
        _players.clear()


def _player(path: Path) -> ReplayAdapter:
    with _players_lock:
        if str(path) not in _players:
            if not path.is_file():
                raise FrontConfigError(f"{ENV_SWITCH}: no cassette at {path}")
            _players[str(path)] = ReplayAdapter(path)
        return _players[str(path)]


def session() -> requests.Session:
    """FrontHook's default session factory: a plain session, or one that records or replays (ENV_SWITCH)."""
    made = requests.Session()
    switch = os.environ.get(ENV_SWITCH, "").strip()
    if not switch:
        return made
    mode, _, where = switch.partition(":")
    adapters: dict[str, Callable[[Path], BaseAdapter]] = {
        "record": lambda p: RecordingAdapter(p, _scrub_keys()),
        "replay": _player,
    }
    if mode not in adapters or not where:
        raise FrontConfigError(f"{ENV_SWITCH} must be record:<file> or replay:<file>, got {switch!r}")
    adapter = adapters[mode](Path(where))
    made.mount("http://", adapter)
    made.mount("https://", adapter)
    return made


def _scrub_keys() -> tuple[str, ...]:
    keys = tuple(k.strip() for k in os.environ.get(ENV_SCRUB, "").split(",") if k.strip())
    return keys or DEFAULT_SCRUB_KEYS
