"""The control API under ``/_simulator``: reset, mutate, faults, rate limit, stats, ground truth.

No token, JSON in and out; the gateway lets these paths through without limits, statistics or faults.
"""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import APIRouter, Request
from fastapi.responses import Response

from front_simulator import CONTROL_PREFIX
from front_simulator.app.http import ApiError, json_response
from front_simulator.faults import FaultSpecError
from front_simulator.resources import TEMPLATES, TRUTH_NAMES
from front_simulator.schema_drift import SchemaDriftError
from front_simulator.state import MutationError, SimulatorState

_decode = msgspec.json.Decoder().decode

router = APIRouter(prefix=CONTROL_PREFIX)


def sim(request: Request) -> SimulatorState:
    return request.app.state.sim


async def body_of(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        payload = _decode(raw)
    except msgspec.DecodeError as exc:
        raise ApiError(400, "Bad request", f"invalid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise ApiError(400, "Bad request", "expected a JSON object")
    return payload


@router.get("/health")
async def health(request: Request) -> Response:
    state = sim(request)
    return json_response({"ok": True, "seed": state.seed, "generation": state.generation})


@router.get("/config")
async def config(request: Request) -> Response:
    state = sim(request)
    return json_response(
        {
            "seed": state.seed,
            "company_id": state.company_id,
            "sizes": state.sizes,
            "link_base": state.link_base,
            "rate_limit": state.limiter.settings(),
            "faults": state.faults.describe(),
            "generation": state.generation,
            "webhooks": {
                "registrations": state.webhooks.registered(),
                "faults": state.webhooks.faults.describe(),
                "settings": state.webhooks.settings.describe(),
            },
        }
    )


@router.post("/expire_page_tokens")
async def expire_page_tokens(request: Request) -> Response:
    """Every page token handed out so far answers 400 from now on; the data stays as it is."""
    return json_response({"ok": True, "generation": sim(request).expire_page_tokens()})


@router.post("/reset")
async def reset(request: Request) -> Response:
    state = sim(request)
    payload = await body_of(request)
    seed = payload.get("seed", state.seed)
    if not isinstance(seed, int):
        raise ApiError(400, "Bad request", "seed must be an integer")
    try:
        state.reset(seed, payload.get("sizes"))
    except ValueError as exc:
        raise ApiError(400, "Bad request", str(exc)) from exc
    data = state.data
    counts = {
        name: len(getattr(data, name))
        for name in ("contacts", "conversations", "messages", "comments", "events", "tags", "accounts", "links")
    }
    return json_response({"seed": state.seed, "sizes": state.sizes, "counts": counts})


@router.post("/mutate")
async def mutate(request: Request) -> Response:
    payload = await body_of(request)
    action = payload.get("action")
    if not isinstance(action, str):
        raise ApiError(400, "Bad request", "action is required")
    try:
        return json_response(sim(request).mutate(action, payload))
    except MutationError as exc:
        raise ApiError(400, "Bad request", str(exc)) from exc


@router.get("/truth/{resource}")
async def truth(request: Request, resource: str) -> Response:
    state = sim(request)
    with state.lock:
        try:
            return json_response(state.truth(resource, request.query_params.get("viewer")))
        except KeyError as exc:
            known = ", ".join(TRUTH_NAMES)
            raise ApiError(404, "Not found", f"unknown resource {resource!r}; known: {known}") from exc


@router.get("/stats")
async def stats(request: Request) -> Response:
    return json_response(sim(request).stats.snapshot())


@router.post("/stats/reset")
async def stats_reset(request: Request) -> Response:
    sim(request).stats.reset()
    return json_response({"ok": True})


@router.get("/faults")
async def faults_get(request: Request) -> Response:
    return json_response({"faults": sim(request).faults.describe()})


@router.put("/faults")
async def faults_put(request: Request) -> Response:
    state = sim(request)
    payload = await body_of(request)
    specs = payload.get("faults")
    if not isinstance(specs, list):
        raise ApiError(400, "Bad request", 'expected {"faults": [...]}')
    try:
        state.faults.set_rules(specs, append=bool(payload.get("append")))
    except FaultSpecError as exc:
        raise ApiError(400, "Bad request", str(exc)) from exc
    return json_response({"faults": state.faults.describe()})


@router.delete("/faults")
async def faults_delete(request: Request) -> Response:
    sim(request).faults.clear()
    return json_response({"faults": []})


@router.get("/rate_limit")
async def rate_limit_get(request: Request) -> Response:
    return json_response(sim(request).limiter.settings())


@router.put("/rate_limit")
async def rate_limit_put(request: Request) -> Response:
    limiter = sim(request).limiter
    payload = await body_of(request)
    try:
        limiter.configure(
            rpm=payload.get("rpm"),
            burst_per_second=payload.get("burst_per_second", 5),
            window_seconds=float(payload.get("window_seconds", 60)),
            search_share=float(payload.get("search_share", 0.4)),
        )
    except (TypeError, ValueError) as exc:
        raise ApiError(400, "Bad request", str(exc)) from exc
    return json_response(limiter.settings())


@router.get("/schema")
async def schema_get(request: Request) -> Response:
    return json_response({"drift": sim(request).schema_drift.describe()})


@router.put("/schema")
async def schema_put(request: Request) -> Response:
    """Add fields to / drop fields from a resource's records as served: {"resource", "add": {path: value},
    "drop": [path]} (front_simulator.schema_drift)."""
    state = sim(request)
    payload = await body_of(request)
    resource = payload.get("resource")
    if resource not in TRUTH_NAMES:
        raise ApiError(400, "Bad request", f"resource must be one of {', '.join(TRUTH_NAMES)}")
    try:
        with state.lock:
            state.schema_drift.set(resource, payload.get("add"), payload.get("drop"))
            state.encoded_cache.clear()
    except SchemaDriftError as exc:
        raise ApiError(400, "Bad request", str(exc)) from exc
    return json_response({"drift": state.schema_drift.describe()})


@router.delete("/schema")
async def schema_delete(request: Request) -> Response:
    state = sim(request)
    with state.lock:
        state.schema_drift.clear()
        state.encoded_cache.clear()
    return json_response({"drift": {}})


@router.get("/routes")
async def routes() -> Response:
    return json_response({"endpoints": list(TEMPLATES)})
