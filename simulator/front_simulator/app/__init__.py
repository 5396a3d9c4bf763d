"""The FastAPI application: Front's read endpoints, one pair of routes per row of the resource table, the
search endpoint, and the control API.

Auth, rate limits, statistics and response-level faults live in ``gateway.py``; data-level faults (bad
records, duplicates, mutations while paging) are applied in the list handlers, where the records are.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from front_simulator.app import control, oauth, webhooks
from front_simulator.app.datafaults import apply_record_faults
from front_simulator.app.http import (
    JSON,
    ApiError,
    envelope,
    error_body,
    json_response,
    next_link,
    page_cursor,
    parse_limit,
)
from front_simulator.app.lists import add_routes, resource_routes
from front_simulator.resources import BY_NAME, RESOURCES, SEARCH_TEMPLATE
from front_simulator.resources.search import search_conversations
from front_simulator.state import SimulatorState
from front_simulator.table import QueryError


def create_app(state: SimulatorState) -> FastAPI:
    """The ASGI app for one state (wrap it in ``gateway.Gateway`` to serve it like Front)."""
    app = FastAPI(title="Front Core API simulator", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.sim = state
    add_error_handlers(app)
    routes = resource_routes(state, RESOURCES)
    # Fixed paths before the ones with an id, so /contacts/custom_fields is not taken for /contacts/{id}.
    add_routes(app, [(path, endpoint) for path, endpoint in routes if "{" not in path])
    app.add_api_route(SEARCH_TEMPLATE.replace("{query}", "{query:path}"), search_route(state), methods=["GET"])
    add_routes(app, [(path, endpoint) for path, endpoint in routes if "{" in path])
    app.include_router(control.router)
    app.include_router(oauth.router)
    app.include_router(webhooks.router)
    return app


def add_error_handlers(app: FastAPI) -> None:
    """Every error in Front's ``_error`` envelope."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return Response(
            error_body(exc.status, exc.title, exc.message), exc.status, media_type=JSON, headers=exc.headers
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Method not allowed"}
        return Response(
            error_body(exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail)),
            exc.status_code,
            media_type=JSON,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        return Response(error_body(400, "Bad request", str(exc.errors())[:500]), 400, media_type=JSON)


def search_route(state: SimulatorState):
    """``/conversations/search/{query}``: conversations matching Front's search syntax, with ``_total``."""
    conversations = BY_NAME["conversations"]

    async def search(request: Request, query: str) -> Response:
        limit = parse_limit(request)
        listing = f"search:{query}"
        path = f"/conversations/search/{quote(query, safe='')}"
        with state.lock:
            try:
                window, total = search_conversations(
                    state, query, limit=limit, after=page_cursor(state, request, listing)
                )
            except QueryError as exc:
                raise ApiError(400, "Bad request", str(exc)) from exc
            parts = apply_record_faults(request, state, [state.encode(conversations, c) for c in window.records])
            next_url = next_link(state, request, path, listing, window, limit)
            body = envelope(state, path, parts, next_url=next_url, total=total)
        return json_response(body)

    return search
