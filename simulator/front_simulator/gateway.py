"""The ASGI layer in front of the routes: Bearer auth, rate limits, statistics and response-level faults.

Pure ASGI (not Starlette middleware) so faults can misbehave below HTTP: reset the TCP connection,
close it half-way through a body, or hang. Control-API paths (``/_simulator``) bypass all of it.
"""

from __future__ import annotations

import asyncio
import math
import socket
import struct
from typing import Any

import msgspec

from front_simulator import CONTROL_PREFIX
from front_simulator.app.oauth import OAUTH_PREFIX
from front_simulator.faults import FaultRule
from front_simulator.ratelimit import Decision
from front_simulator.routes import SEARCH_TEMPLATE, endpoint_template, resource_of
from front_simulator.state import SimulatorState

_encode = msgspec.json.Encoder().encode

HTML_502 = (
    b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1>"
    b"</center><hr><center>nginx</center></body></html>"
)
STATUS_TITLES = {
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
    429: "Too many requests",
}


def rate_headers(decision: Decision) -> list[tuple[bytes, bytes]]:
    return [
        (b"x-ratelimit-limit", str(decision.limit).encode()),
        (b"x-ratelimit-remaining", str(decision.remaining).encode()),
        (b"x-ratelimit-reset", str(math.ceil(decision.reset)).encode()),
    ]


def error_json(status: int, title: str, message: str) -> bytes:
    return _encode({"_error": {"status": status, "title": title, "message": message}})


class Gateway:
    """Wraps the FastAPI app; one instance per server."""

    def __init__(self, app: Any, state: SimulatorState, token: str):
        self.app = app
        self.state = state
        self.token = token
        self.expected_auth = f"Bearer {token}".encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(CONTROL_PREFIX) or path.startswith(OAUTH_PREFIX + "/"):
            await self.app(scope, receive, send)  # the OAuth endpoints authenticate the client themselves
            return
        state = self.state
        template = endpoint_template(path)
        auth = next((v for k, v in scope["headers"] if k == b"authorization"), None)
        refused = self.refusal(auth)
        if refused is not None:
            await self.reply(send, 401, error_json(401, "Unauthenticated", refused), [])
            state.stats.record(template, 401)
            return
        if auth is not None and auth.strip() != self.expected_auth:
            scope = dict(scope)
            scope["front_viewer"] = "oauth"  # OAuth tokens see shared inboxes only
        decision = state.limiter.check(resource_of(path), is_search=template == SEARCH_TEMPLATE)
        headers = rate_headers(decision)
        if decision.refused:
            await self.refuse(send, decision, headers)
            state.stats.record(template, 429, limited="rate" if decision.refused == "rate" else "burst")
            return
        selection = state.faults.select(template, path, state.clock())
        if selection.delay:
            await asyncio.sleep(selection.delay)
        fault = selection.response
        label = ",".join(selection.names()) or None
        if fault is not None and fault.kind != "truncate":
            # Counted before it is served: a reset client may ask for statistics before we resume.
            status = {"status": fault.status, "rate_limit": 429, "hang": 504}.get(fault.kind, 0)
            state.stats.record(template, status, fault=label)
            await self.respond_with_fault(fault, scope, receive, send, headers, decision)
            return
        if selection.data:
            scope = dict(scope)
            scope["front_faults"] = selection.data
        status_box: list[int] = []
        recorded: list[bool] = []

        def record() -> None:
            if not recorded:
                recorded.append(True)
                state.stats.record(template, status_box[0] if status_box else 0, fault=label)

        try:
            if fault is not None:  # truncate: run the real handler, then cut its body
                await self.app(scope, receive, self.truncating_send(send, headers, fault, status_box, receive, record))
            else:
                await self.app(scope, receive, self.header_send(send, headers, status_box))
        finally:
            record()

    def refusal(self, auth: bytes | None) -> str | None:
        """Why a request's Authorization is refused (Front's 401 message), or None: the static API token or a
        live OAuth access token."""
        if auth is None:
            return "JSON Web Token error: no Bearer token"
        value = auth.strip()
        if value == self.expected_auth:
            return None
        if value[:7].lower() == b"bearer ":
            problem = self.state.oauth.check_access(value[7:].strip().decode("latin-1"))
            if problem is None:
                return None
            if problem in ("expired", "revoked"):
                return f"JSON Web Token error: the OAuth access token is {problem}"
        return "JSON Web Token error: invalid token"

    # -- plain responses ----------------------------------------------------------------------------

    @staticmethod
    async def reply(
        send: Any,
        status: int,
        body: bytes,
        headers: list[tuple[bytes, bytes]],
        content_type: bytes = b"application/json",
    ) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                    *headers,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def refuse(self, send: Any, decision: Decision, headers: list[tuple[bytes, bytes]]) -> None:
        wait_ms = max(1, round(decision.retry_after * 1000))
        scope_name = {"rate": "your company", "burst": "tier-2 route", "search": "search route"}[
            decision.refused or "rate"
        ]
        message = f"Rate limit exceeded for {scope_name}. Please retry in {wait_ms} milliseconds."
        extra = [(b"retry-after", _format_seconds(decision.retry_after).encode())]
        if decision.tier:
            extra.append((b"x-front-tier", decision.tier.encode()))
        await self.reply(send, 429, error_json(429, "Too many requests", message), headers + extra)

    def header_send(self, send: Any, headers: list[tuple[bytes, bytes]], status_box: list[int]) -> Any:
        async def wrapped(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status_box.append(message["status"])
                message = dict(message)
                message["headers"] = list(message.get("headers", [])) + headers
            await send(message)

        return wrapped

    # -- faults -------------------------------------------------------------------------------------

    async def respond_with_fault(
        self,
        fault: FaultRule,
        scope: dict[str, Any],
        receive: Any,
        send: Any,
        headers: list[tuple[bytes, bytes]],
        decision: Decision,
    ) -> None:
        """Serve a response-level fault (status, rate_limit, hang or reset) instead of the API."""
        if fault.kind == "status":
            status = fault.status
            if fault.body == "html":
                await self.reply(
                    send, status, HTML_502 if status == 502 else b"<html>error</html>", headers, b"text/html"
                )
            elif fault.body == "empty":
                await self.reply(send, status, b"", headers)
            else:
                title = STATUS_TITLES.get(status, "Error")
                await self.reply(send, status, error_json(status, title, f"Simulated {status}"), headers)
            return
        if fault.kind == "rate_limit":
            remaining = fault.remaining if fault.remaining is not None else 0
            limited = Decision(
                decision.limit,
                remaining,
                decision.reset,
                "burst" if remaining else "rate",
                fault.retry_after,
                "tier-2" if remaining else None,
            )
            await self.refuse(send, limited, rate_headers(limited))
            return
        if fault.kind == "hang":
            if await wait_for_disconnect(receive, fault.seconds if fault.seconds is not None else 30.0):
                return  # the client gave up first: nothing left to answer
            await self.reply(send, 504, error_json(504, "Gateway timeout", "Simulated hang"), headers)
            return
        if fault.kind == "reset":
            abort_connection(receive)
            await asyncio.sleep(0.005)  # let the loop see the connection lost before the app returns

    def truncating_send(
        self,
        send: Any,
        headers: list[tuple[bytes, bytes]],
        fault: FaultRule,
        status_box: list[int],
        receive: Any,
        record: Any,
    ) -> Any:
        """Buffer the real response, then send half of its body (``body``) or drop the connection."""
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def wrapped(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                status_box.append(message["status"])
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            cut = body[: max(1, len(body) // 2)]
            out_headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            if fault.mode == "body":
                out_headers.append((b"content-length", str(len(cut)).encode()))
                await send(
                    {
                        "type": "http.response.start",
                        "status": start["status"],
                        "headers": out_headers + headers,
                    }
                )
                await send({"type": "http.response.body", "body": cut})
                return
            out_headers.append((b"content-length", str(len(body)).encode()))
            await send({"type": "http.response.start", "status": start["status"], "headers": out_headers + headers})
            await send({"type": "http.response.body", "body": cut, "more_body": True})
            await asyncio.sleep(0.01)
            record()
            abort_connection(receive)
            await asyncio.sleep(0.005)

        return wrapped


async def wait_for_disconnect(receive: Any, seconds: float) -> bool:
    """Sleep up to ``seconds``; True as soon as the client closes the connection."""

    async def watch() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(watch(), timeout=seconds)
    except TimeoutError:
        return False
    return True


def abort_connection(receive: Any) -> None:
    """Reset the TCP connection under this request (RST, not FIN) via uvicorn's transport."""
    owner = getattr(receive, "__self__", None)
    transport = getattr(owner, "transport", None)
    if transport is None:
        raise ConnectionResetError("simulated connection reset")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()


def _format_seconds(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text or "0"
