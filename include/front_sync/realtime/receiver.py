"""The webhook receiver: a FastAPI app Front posts its application webhooks to.

Each request is checked in this order, cheapest and least trusting first: size (413), content type (415), the
signature over the raw body with every configured secret (401: unsigned or forged), the timestamp window (401: a
replayed old request), then JSON (400) and the company (400: no tenant serves it). The body is parsed only once a
secret has signed it. An accepted event is stored in the tenant's warehouse (idempotent on its id) before the 200;
a warehouse that does not answer in time gives 503, which Front retries. Logs name the reason and the tenant, never
the body or a header's value.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from front_sync.realtime.settings import ReceiverSettings
from front_sync.realtime.signature import MAX_AGE_MS, MAX_FUTURE_MS, within_window
from front_sync.realtime.store import Rejections, WarehouseStore, WarehouseUnavailable
from front_sync.realtime.tenants import Registry, WebhookTenant

log = logging.getLogger(__name__)

STATUS = {
    "unsigned": 401,
    "bad_signature": 401,
    "stale_timestamp": 401,
    "too_large": 413,
    "bad_content_type": 415,
    "bad_json": 400,
    "unknown_company": 400,
}


class Refused(Exception):
    """A request the receiver refuses: the reason (a front.webhook_rejections reason) and the tenant to count it
    for (None when no tenant can be named)."""

    def __init__(self, reason: str, tenant: WebhookTenant | None) -> None:
        super().__init__(reason)
        self.reason, self.tenant = reason, tenant


class Receiver:
    """The request checks and the counters behind the app's routes."""

    def __init__(self, settings: ReceiverSettings, registry: Registry, store: WarehouseStore) -> None:
        self.settings, self.registry, self.store = settings, registry, store
        self.rejections = Rejections()
        self.deliveries: Counter[str] = Counter()
        self._background: asyncio.Task | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        """Read the connections and start the background work, once: from the app's lifespan, or on the first
        request when the app is mounted in Airflow's api-server (which runs no lifespan of a mounted app)."""
        if self._background is None:
            self._background = asyncio.create_task(self.background())
            try:
                await asyncio.to_thread(self.registry.refresh)
            finally:
                self._ready.set()
        await self._ready.wait()

    async def stop(self) -> None:
        """Stop the background work, write the last rejection counts and close the warehouse connections."""
        if self._background is not None:
            self._background.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._background
        await self.rejections.flush(self.store)
        self.store.close()

    def sole_tenant(self) -> WebhookTenant | None:
        """The tenant a request is counted for before its signature names one: the only tenant, if there is one."""
        found = self.registry.tenants
        return found[0] if len(found) == 1 else None

    async def read_body(self, request: Request) -> bytes:
        """The raw body, refused (too_large) past max_bytes: from Content-Length before reading, else as it comes."""
        limit, sole = self.settings.max_bytes, self.sole_tenant()
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            raise Refused("too_large", sole)
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            raise Refused("bad_content_type", sole)
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Refused("too_large", sole)
            chunks.append(chunk)
        return b"".join(chunks)

    def signed_by(self, request: Request, body: bytes) -> tuple[list[WebhookTenant], str]:
        """The tenants whose secret signed the request and its timestamp; refuses unsigned, forged and stale ones."""
        signature = request.headers.get("x-front-signature")
        timestamp = request.headers.get("x-front-request-timestamp")
        if not signature or not timestamp:
            raise Refused("unsigned", self.sole_tenant())
        signers = self.registry.signers(timestamp, body, signature)
        if not signers:
            raise Refused("bad_signature", self.sole_tenant())
        if not within_window(timestamp, int(time.time() * 1000), MAX_AGE_MS, MAX_FUTURE_MS):
            raise Refused("stale_timestamp", signers[0] if len(signers) == 1 else None)
        return signers, timestamp

    async def receive(self, request: Request) -> JSONResponse:
        """POST <path>: verify, answer the challenge or store the event, and answer within Front's 5 s."""
        body = await self.read_body(request)
        signers, timestamp = self.signed_by(request, body)
        attributed = signers[0] if len(signers) == 1 else None
        envelope = _envelope(body, attributed)
        company = envelope["authorization"]["id"]
        challenge = request.headers.get("x-front-challenge")
        if challenge is not None:
            # Signed by our app's secret is enough: the handshake may name a company that is not a tenant.
            log.info("webhook receiver: challenge answered for company %s", company)
            return JSONResponse({"challenge": challenge})
        tenant = next((t for t in signers if t.company_id == company), None)
        if tenant is None:
            log.warning(
                "webhook receiver: company %s has no tenant (add its company_id to a webhook connection)", company
            )
            raise Refused("unknown_company", attributed)
        row = _event_row(envelope, timestamp, tenant)
        try:
            stored = await self.store.store_event(tenant, row)
        except WarehouseUnavailable as exc:
            self.deliveries["unavailable"] += 1
            log.error(
                "webhook receiver: tenant %s's warehouse did not store event %s: %s; answered 503 (Front retries)",
                tenant.label,
                row["event_id"],
                exc,
            )
            return JSONResponse({"error": "warehouse_unavailable"}, status_code=503)
        self.deliveries["stored" if stored else "duplicate"] += 1
        log.info(
            "webhook receiver: tenant %s event %s (%s) %s",
            tenant.label,
            row["event_id"],
            row["event_type"],
            "stored" if stored else "already stored: delivery counted",
        )
        return JSONResponse({"event_id": row["event_id"], "stored": stored})

    def health(self) -> JSONResponse:
        """GET /healthz: the tenants served, connection problems, and the counters (no secret)."""
        body = {
            "status": "ok" if self.registry.tenants else "no_tenants",
            "tenants": [{"tenant": t.label, "company_id": t.company_id} for t in self.registry.tenants],
            "problems": list(self.registry.problems),
            "connections_read_at": self.registry.loaded_at,
            "deliveries": dict(self.deliveries),
            "rejections": dict(self.rejections.total),
            "rejections_without_tenant": dict(self.rejections.unattributed),
        }
        return JSONResponse(body, status_code=200 if self.registry.tenants else 503)

    async def background(self) -> None:
        """Flush refusal counts every flush_seconds and re-read the connections every refresh_seconds."""
        last_refresh = time.monotonic()
        while True:
            await asyncio.sleep(self.settings.flush_seconds)
            try:
                await self.rejections.flush(self.store)
            except Exception:  # noqa: BLE001 - a surprise here must not end the refreshes: log it, go on
                log.exception("webhook receiver: writing rejection counts failed")
            if time.monotonic() - last_refresh >= self.settings.refresh_seconds:
                await asyncio.to_thread(self.registry.refresh)
                last_refresh = time.monotonic()


def _envelope(body: bytes, tenant: WebhookTenant | None) -> dict[str, Any]:
    """The signed body as Front's envelope {"type", "authorization": {"id"}, "payload"?}; bad_json otherwise."""
    try:
        envelope = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Refused("bad_json", tenant) from None
    authorization = envelope.get("authorization") if isinstance(envelope, dict) else None
    if (
        not isinstance(authorization, dict)
        or not isinstance(authorization.get("id"), str)
        or not isinstance(envelope.get("type"), str)
    ):
        raise Refused("bad_json", tenant)
    return envelope


def _event_row(envelope: dict[str, Any], timestamp: str, tenant: WebhookTenant) -> dict[str, Any]:
    """The front.webhook_events row of an event envelope (its payload is the event preview); bad_json when the
    preview has no event id or a non-numeric emitted_at."""
    payload = envelope.get("payload")
    event_id = payload.get("id") if isinstance(payload, dict) else None
    emitted_at = payload.get("emitted_at") if isinstance(payload, dict) else None
    if (
        not isinstance(event_id, str)
        or not event_id
        or (emitted_at is not None and (not isinstance(emitted_at, int | float) or isinstance(emitted_at, bool)))
    ):
        raise Refused("bad_json", tenant)
    return {
        "event_id": event_id,
        "company_id": tenant.company_id,
        "event_type": envelope["type"],
        "emitted_at": emitted_at,
        "sent_at_ms": int(timestamp),
        "payload": json.dumps(payload),
    }


def create_app(
    settings: ReceiverSettings | None = None, registry: Registry | None = None, store: WarehouseStore | None = None
) -> FastAPI:
    """The receiver's ASGI app: POST settings.path and GET /healthz; reads the connections at start-up."""
    receiver = Receiver(settings or ReceiverSettings.from_env(), registry or Registry(), store or WarehouseStore())

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await receiver.start()
        log.info("webhook receiver: taking Front's webhooks on POST %s", receiver.settings.path)
        try:
            yield
        finally:
            await receiver.stop()
            log.info("webhook receiver: stopped (rejection counts flushed)")

    app = FastAPI(
        title="front-sync webhook receiver", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.receiver = receiver

    @app.post(receiver.settings.path)
    async def webhook(request: Request) -> JSONResponse:
        await receiver.start()
        try:
            return await receiver.receive(request)
        except Refused as refusal:
            receiver.rejections.count(refusal.tenant, refusal.reason)
            status = STATUS[refusal.reason]
            log.warning(
                "webhook receiver: refused (%s, HTTP %d) for tenant %s",
                refusal.reason,
                status,
                refusal.tenant.label if refusal.tenant else "unknown",
            )
            return JSONResponse({"error": refusal.reason}, status_code=status)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        await receiver.start()
        return receiver.health()

    return app
