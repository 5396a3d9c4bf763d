"""What an application webhook carries and how it is signed (dev.frontapp.com/docs/application-webhooks).

Envelope: ``{"type", "authorization": {"id": <company id>}, "payload": <event preview>}``. The preview is the
event exactly as ``/events`` lists it, except that a message or comment in ``target``/``source`` is cut down to
its ids and links (a guess at Front's "Event Preview": README "Webhooks"). Signature: base64 of HMAC-SHA256 with
the app's signing secret over ``"<timestamp>:" + raw body``, the timestamp in milliseconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

import msgspec

from front_simulator.ids import make_id

_encode = msgspec.json.Encoder().encode

PREVIEW_KINDS = ("message", "comment")  # what a preview reduces: bodies, recipients and authors stay out
PREVIEW_KEYS = ("_links", "id", "type", "created_at")
FORGED_ID_BASE = 10**12  # forged copies name events far beyond any simulated one


def preview(event: dict[str, Any], conversation_keys: list[str] | None = None) -> dict[str, Any]:
    """The event preview a webhook carries for a rendered ``/events`` record; ``conversation_keys`` (the
    ``conversation_keys`` setting) cuts the embedded conversation down to those fields plus its ids and links."""
    out = dict(event)
    if conversation_keys is not None and isinstance(out.get("conversation"), dict):
        keep = ("_links", "id", *conversation_keys)
        out["conversation"] = {key: value for key, value in out["conversation"].items() if key in keep}
    for side in ("target", "source"):
        part = out.get(side)
        if not isinstance(part, dict) or part.get("_meta", {}).get("type") not in PREVIEW_KINDS:
            continue
        data = part.get("data")
        if isinstance(data, dict):
            out[side] = {**part, "data": {key: data[key] for key in PREVIEW_KEYS if key in data}}
    return out


def envelope(company_id: str, event: dict[str, Any], conversation_keys: list[str] | None = None) -> dict[str, Any]:
    """The JSON object Front POSTs for one event (``type`` is the event's own type: README "Webhooks")."""
    return {"type": event["type"], "authorization": {"id": company_id}, "payload": preview(event, conversation_keys)}


def handshake_body(company_id: str) -> bytes:
    """The body of the challenge request Front sends when a webhook is saved."""
    return _encode({"type": "sync", "authorization": {"id": company_id}})


def forged_body(body: dict[str, Any], number: int) -> tuple[str, bytes]:
    """A copy of an envelope naming an event that does not exist (so a stored forgery is visible): (id, body)."""
    forged_id = make_id("evt", FORGED_ID_BASE + number)
    return forged_id, _encode({**body, "payload": {**body["payload"], "id": forged_id}})


def encode(body: dict[str, Any]) -> bytes:
    return _encode(body)


def timestamp_ms(at: float | None = None) -> str:
    """``x-front-request-timestamp``: milliseconds since the epoch, as a string."""
    return str(int((time.time() if at is None else at) * 1000))


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``x-front-signature``: base64(HMAC-SHA256(secret, "<timestamp>:" + raw body))."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b":" + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def headers(timestamp: str, signed: str | None) -> dict[str, str]:
    """The request headers of a webhook (no ``x-front-signature`` when ``signed`` is None: an unsigned forgery)."""
    out = {"content-type": "application/json", "x-front-request-timestamp": timestamp}
    if signed is not None:
        out["x-front-signature"] = signed
    return out
