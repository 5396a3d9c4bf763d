"""Front's application-webhook signature: base64(HMAC-SHA256(signing secret, "<timestamp>:" + raw body)), checked
in constant time over the raw bytes, and the request timestamp's window (replay protection)."""

from __future__ import annotations

import base64
import hashlib
import hmac

# Front advises refusing requests older than 5 minutes; a little future skew covers clocks that disagree.
MAX_AGE_MS = 5 * 60 * 1000
MAX_FUTURE_MS = 60 * 1000


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The x-front-signature value Front sends for this timestamp (ms, as the header's text) and raw body."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b":" + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_by(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """Whether `signature` is this secret's signature of the request (constant-time comparison)."""
    return hmac.compare_digest(sign(secret, timestamp, body).encode(), signature.strip().encode("ascii", "replace"))


def within_window(
    timestamp: str, now_ms: int, max_age_ms: int = MAX_AGE_MS, max_future_ms: int = MAX_FUTURE_MS
) -> bool:
    """Whether the request timestamp (ms since the epoch, as text) is at most max_age_ms old and at most
    max_future_ms ahead of now; a timestamp that is not an integer is outside every window."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    return -max_future_ms <= now_ms - sent <= max_age_ms
