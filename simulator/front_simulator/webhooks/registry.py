"""Registering an application webhook: Front's signed challenge handshake, which the receiver must echo."""

from __future__ import annotations

import json
import secrets

import requests

from front_simulator.webhooks import envelope as env
from front_simulator.webhooks.sender import Attempt, post

HANDSHAKE_TIMEOUT = 10.0  # Front waits about 10 s for the echo (3rd-party restatement: NOTES.md)


class WebhookError(ValueError):
    """A registration Front would refuse (bad URL or secret, no echo of the challenge); 400 from the control API."""


def check_target(url: object, secret: object) -> None:
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise WebhookError("url must be an http:// or https:// URL")
    if not isinstance(secret, str) or not secret:
        raise WebhookError("secret (the app's signing secret) must be a non-empty string")


def challenge_request(url: str, secret: str, company_id: str) -> tuple[str, Attempt]:
    """Send the signed ``x-front-challenge`` request; returns the challenge and what came back."""
    challenge = secrets.token_urlsafe(24)
    body = env.handshake_body(company_id)
    timestamp = env.timestamp_ms()
    signed = env.signature(secret, timestamp, body)
    headers = {**env.headers(timestamp, signed), "x-front-challenge": challenge}
    with requests.Session() as session:
        attempt = post(
            session,
            url,
            body,
            headers,
            HANDSHAKE_TIMEOUT,
            Attempt(sent_at=int(timestamp), timestamp=timestamp, signature=signed),
        )
    return challenge, attempt


def echoed(text: str, challenge: str) -> bool:
    """Front accepts the challenge back as JSON ``{"challenge": ...}``, as plain text or as ``challenge=<value>``."""
    stripped = text.strip()
    if stripped in (challenge, f"challenge={challenge}"):
        return True
    try:
        return json.loads(stripped).get("challenge") == challenge
    except (ValueError, AttributeError):
        return False


def refusal(url: str, challenge: str, attempt: Attempt) -> str | None:
    """Why the handshake failed, in words an operator can act on; None when it succeeded."""
    if attempt.error == "timeout":
        return f"webhook handshake with {url}: no answer to the challenge within {HANDSHAKE_TIMEOUT:g} s"
    if attempt.error:
        return f"webhook handshake with {url}: could not reach it (connection failed)"
    if not attempt.ok:
        return (
            f"webhook handshake with {url}: answered {attempt.status}; expected 200 echoing the challenge "
            "(check the signing secret)"
        )
    if not echoed(attempt.text, challenge):
        return (
            f"webhook handshake with {url}: answered {attempt.status} without echoing the challenge "
            '(send back {"challenge": <x-front-challenge>} or the plain value)'
        )
    return None
