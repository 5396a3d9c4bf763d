"""The control API of application webhooks, under ``/_simulator/webhooks`` (README "Webhooks").

Registration runs Front's challenge handshake against the receiver, so it happens in a worker thread: the event
loop keeps serving the API (and the receiver may itself call the simulator while answering).
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response

from front_simulator import CONTROL_PREFIX
from front_simulator.app.control import body_of, sim
from front_simulator.app.http import ApiError, json_response
from front_simulator.webhooks import WebhookError, WebhookSpecError

router = APIRouter(prefix=f"{CONTROL_PREFIX}/webhooks")


def _int(request: Request, name: str, default: int | None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ApiError(400, "Bad request", f"{name} must be an integer") from exc


@router.get("")
async def webhooks_list(request: Request) -> Response:
    state = sim(request)
    return json_response({"company_id": state.company_id, "webhooks": state.webhooks.registered()})


@router.post("")
async def webhooks_register(request: Request) -> Response:
    """``{"url", "secret"}``: the handshake must succeed (the receiver echoes the challenge), else 400."""
    hub = sim(request).webhooks
    payload = await body_of(request)
    try:
        registration = await asyncio.to_thread(hub.register, payload.get("url"), payload.get("secret"))
    except WebhookError as exc:
        raise ApiError(400, "Bad request", str(exc)) from exc
    return json_response(registration, status=201)


@router.get("/deliveries")
async def deliveries(request: Request) -> Response:
    """The delivery log: one entry per attempt (and per dropped event); ``?after=<seq>&event_id=&kind=&limit=``."""
    hub = sim(request).webhooks
    entries = hub.deliveries(
        after=_int(request, "after", 0) or 0,
        event_id=request.query_params.get("event_id"),
        kind=request.query_params.get("kind"),
        limit=_int(request, "limit", None),
    )
    return json_response({"deliveries": entries, "last_seq": hub.status()["last_seq"]})


@router.delete("/deliveries")
async def deliveries_clear(request: Request) -> Response:
    sim(request).webhooks.clear_deliveries()
    return json_response({"deliveries": []})


@router.get("/status")
async def status(request: Request) -> Response:
    return json_response(sim(request).webhooks.status())


@router.get("/faults")
async def faults_get(request: Request) -> Response:
    return json_response({"faults": sim(request).webhooks.faults.describe()})


@router.put("/faults")
async def faults_put(request: Request) -> Response:
    """Replace the webhook faults (``{}`` = none): see front_simulator/webhooks/faults.py."""
    payload = await body_of(request)
    try:
        return json_response({"faults": sim(request).webhooks.set_faults(payload)})
    except WebhookSpecError as exc:
        raise ApiError(400, "Bad request", str(exc)) from exc


@router.delete("/faults")
async def faults_delete(request: Request) -> Response:
    return json_response({"faults": sim(request).webhooks.set_faults({})})


@router.get("/settings")
async def settings_get(request: Request) -> Response:
    return json_response(sim(request).webhooks.settings.describe())


@router.put("/settings")
async def settings_put(request: Request) -> Response:
    """``{"timeout_seconds": 5, "retry_delays": [1, 2, 4], "conversation_keys": null}`` (keys not given keep
    their values)."""
    payload = await body_of(request)
    try:
        return json_response(sim(request).webhooks.update_settings(payload))
    except WebhookSpecError as exc:
        raise ApiError(400, "Bad request", str(exc)) from exc


@router.post("/replay")
async def replay(request: Request) -> Response:
    """``{"count": 1, "min_age_seconds": 0, "backdate_seconds": 0}``: re-send earlier genuine requests now."""
    payload = await body_of(request)
    try:
        count = int(payload.get("count", 1))
        min_age = float(payload.get("min_age_seconds", 0))
        backdate = float(payload.get("backdate_seconds", 0))
    except (TypeError, ValueError) as exc:
        raise ApiError(400, "Bad request", f"bad replay value: {exc}") from exc
    if count < 1 or min_age < 0 or backdate < 0:
        raise ApiError(400, "Bad request", "count must be >= 1; min_age_seconds and backdate_seconds >= 0")
    return json_response({"replayed": sim(request).webhooks.replay(count, min_age, backdate)})


@router.delete("/{webhook_id}")
async def webhooks_delete(request: Request, webhook_id: str) -> Response:
    if not sim(request).webhooks.unregister(webhook_id):
        raise ApiError(404, "Not found", f"no webhook {webhook_id!r}")
    return json_response({"deleted": webhook_id})
