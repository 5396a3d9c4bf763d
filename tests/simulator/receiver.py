"""A tiny webhook receiver for the simulator's webhook tests (issue 21): stdlib HTTP server in a thread.

It verifies each request the way Front documents it (base64 HMAC-SHA256 of "<timestamp>:" + raw body with the
app's signing secret), answers the challenge handshake, and records every request it saw; a test scripts its
answers (a status per request, a delay, a wrong echo) and waits on what arrived, never on a fixed sleep.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Front's application-webhook signature, computed independently of the simulator's code."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b":" + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass
class Seen:
    """One request as the receiver got it."""

    headers: dict[str, str]
    body: bytes
    signed: bool  # the signature matched the secret and the raw body
    received_at: float  # wall clock, seconds
    status: int  # what the receiver answered

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def event_id(self) -> str | None:
        return (self.json.get("payload") or {}).get("id")


class Receiver:
    """Listens on 127.0.0.1:<free port>. ``answer(earlier event requests, request) -> status`` scripts the
    answers (default 200 when signed, 401 otherwise); ``challenge`` maps the challenge to the echo it sends."""

    def __init__(self, secret: str = "whsec-test"):
        self.secret = secret
        self.seen: list[Seen] = []
        self.answer: Callable[[int, Seen], int] = lambda n, seen: 200 if seen.signed else 401
        self.challenge: Callable[[str], tuple[str, bytes]] = lambda c: (
            "application/json",
            json.dumps({"challenge": c}).encode(),
        )
        self.delay = 0.0
        self._cond = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/front/webhooks"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.handle(self, body)

        return Handler

    def handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = {k.lower(): v for k, v in handler.headers.items()}
        timestamp = headers.get("x-front-request-timestamp", "")
        signature = headers.get("x-front-signature", "")
        signed = bool(signature) and hmac.compare_digest(signature, expected_signature(self.secret, timestamp, body))
        seen = Seen(headers, body, signed, time.time(), 0)
        if self.delay:
            time.sleep(self.delay)
        content_type, payload = "application/json", b"{}"
        if "x-front-challenge" in headers and signed:
            seen.status = 200
            content_type, payload = self.challenge(headers["x-front-challenge"])
        else:
            with self._cond:
                earlier = sum(1 for s in self.seen if "x-front-challenge" not in s.headers)
                seen.status = self.answer(earlier, seen)
        with self._cond:
            self.seen.append(seen)
            self._cond.notify_all()
        handler.send_response(seen.status)
        handler.send_header("content-type", content_type)
        handler.send_header("content-length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def events(self) -> list[Seen]:
        """Requests that carried an event (not the handshake)."""
        with self._cond:
            return [s for s in self.seen if "x-front-challenge" not in s.headers]

    def wait_for(self, predicate: Callable[[list[Seen]], bool], timeout: float = 10.0) -> list[Seen]:
        """Wait until ``predicate(event requests)`` holds; fails with what arrived otherwise."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                events = [s for s in self.seen if "x-front-challenge" not in s.headers]
                if predicate(events):
                    return events
                left = deadline - time.monotonic()
                assert left > 0, f"receiver: condition not met in {timeout} s; got {len(events)} requests"
                self._cond.wait(left)

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
