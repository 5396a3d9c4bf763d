"""The Front routes of every row of the resource table: one generic list handler and one get handler.

A row's ``Listing`` says which parameters a list reads (``limit``/``page_token`` when paginated, ``sort_by``
and ``sort_order`` when it has sorts, its ``q[...]`` filters) and which data faults apply; the row's own
functions choose the records. Child lists (``/conversations/{id}/messages``) resolve their parent first,
so a merged conversation answers 301 on every sub-resource.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from front_simulator.app.datafaults import apply_record_faults, mutate_while_paging, rewind_for
from front_simulator.app.http import (
    ApiError,
    envelope,
    json_response,
    next_link,
    page_cursor,
    parse_limit,
    parse_order,
    parse_sort_by,
    parse_timestamp,
    query_list,
)
from front_simulator.resources import BY_NAME
from front_simulator.state import SimulatorState
from front_simulator.table import Query, QueryError, Resource


def parse_query(request: Request, resource: Resource) -> Query:
    """The list parameters this row reads; 400 for bad values (before anything is looked up)."""
    listing = resource.listing
    query = Query(descending=listing.default_order == "desc")
    if listing.paginated:
        query.limit = parse_limit(request, listing.max_limit, listing.default_limit)
    if listing.sorts:
        query.sort_by = parse_sort_by(request, listing.sorts)
        query.descending = parse_order(request, listing.default_order)
    for spec in listing.filters:
        if spec.kind == "timestamp":
            query.filters[spec.name] = parse_timestamp(request, f"q[{spec.name}]")
            continue
        values = query_list(request, spec.name)
        bad = [v for v in values if spec.choices and v not in spec.choices]
        if bad:
            raise ApiError(400, "Bad request", f"unknown {spec.name}: {', '.join(bad)}")
        query.filters[spec.name] = values
    return query


def resolve(state: SimulatorState, request: Request, resource: Resource, record_id: str, suffix: str = "") -> Any:
    """The record behind ``record_id``: 301 to the survivor for merged ids (same sub-path, query kept), 404."""
    survivor = resource.survivor(state, record_id) if resource.survivor else None
    if survivor is not None:
        host = request.headers.get("host") or request.url.netloc
        location = f"{request.url.scheme}://{host}{resource.get_path.replace('{id}', survivor)}{suffix}"
        if request.url.query:
            location += f"?{request.url.query}"
        message = f"{resource.noun} {record_id} was merged into {survivor}"
        raise ApiError(301, "Moved permanently", message, headers={"location": location})
    if resource.find is not None:
        record = resource.find(state, record_id)
    else:
        record = next((r for r in resource.records(state) if r.id == record_id), None)
    if record is None:
        raise ApiError(404, "Not found", f"{resource.noun} not found")
    return record


def check_enabled(state: SimulatorState, resource: Resource) -> None:
    reason = resource.disabled(state) if resource.disabled else None
    if reason:
        raise ApiError(404, "Not found", reason)


def list_body(state: SimulatorState, request: Request, resource: Resource, path: str, query: Query) -> bytes:
    """The envelope of one list request on ``path`` (the row's path or an alias), under the state's lock."""
    if resource.parent:
        query.parent = resolve(
            state, request, BY_NAME[resource.parent], request.path_params["id"], resource.child_suffix()
        )
        path = path.replace("{id}", query.parent.id)
    if resource.listing.validate is not None:
        resource.listing.validate(state, query)
    if resource.listing.paginated:
        return page_body(state, request, resource, path, query)
    records = resource.visible(
        request.scope.get("front_viewer"), resource.listed(state, query) if resource.listed else resource.records(state)
    )
    if query.sort_by:
        records.sort(key=attrgetter(query.sort_by), reverse=query.descending)
    parts = [state.encode(resource, r) for r in records]
    if resource.listing.data_faults:
        parts = apply_record_faults(request, state, parts)
    return envelope(state, path, parts, paginated=False)


def page_body(state: SimulatorState, request: Request, resource: Resource, path: str, query: Query) -> bytes:
    """One page and its ``_pagination.next`` (same filters, ``limit``, a token for this listing only)."""
    listing = resource.listing
    parent_id = query.parent.id if query.parent is not None else None
    key = ":".join(
        [resource.name, parent_id or "", str(query.sort_by), str(query.descending)]
        + [f"{name}={value}" for name, value in sorted(query.filters.items())]
    )
    if listing.while_paging:
        mutate_while_paging(request, state, listing.while_paging, [parent_id] if parent_id else None)
    query.after = page_cursor(state, request, key)
    query.rewind = rewind_for(request) if listing.data_faults else 0
    window = resource.page(state, query)
    parts = [state.encode(resource, r) for r in window.records]
    if listing.data_faults:
        parts = apply_record_faults(request, state, parts)
    return envelope(state, path, parts, next_url=next_link(state, request, path, key, window, query.limit))


def list_route(state: SimulatorState, resource: Resource, path: str) -> Callable:
    async def endpoint(request: Request) -> Response:
        query = parse_query(request, resource)
        with state.lock:
            check_enabled(state, resource)
            if resource.singleton:
                return json_response(state.encode(resource, next(iter(resource.records(state)))))
            try:
                return json_response(list_body(state, request, resource, path, query))
            except QueryError as exc:
                raise ApiError(400, "Bad request", str(exc)) from exc

    endpoint.__name__ = f"list_{resource.name}"
    return endpoint


def get_route(state: SimulatorState, resource: Resource) -> Callable:
    async def endpoint(request: Request) -> Response:
        with state.lock:
            check_enabled(state, resource)
            record = resolve(state, request, resource, request.path_params["id"])
            if not resource.visible(request.scope.get("front_viewer"), [record]):
                raise ApiError(404, "Not found", f"{resource.noun} not found")
            return json_response(state.encode(resource, record, resource.render_one))

    endpoint.__name__ = f"get_{resource.name}"
    return endpoint


def resource_routes(state: SimulatorState, resources: tuple[Resource, ...]) -> list[tuple[str, Callable]]:
    """(path, endpoint) of every row's list paths (aliases too) and get path."""
    routes = []
    for resource in resources:
        for path in (resource.path, *resource.aliases):
            if path:
                routes.append((path, list_route(state, resource, path)))
        if resource.get_path:
            routes.append((resource.get_path, get_route(state, resource)))
    return routes


def add_routes(app: FastAPI, routes: list[tuple[str, Callable]]) -> None:
    for path, endpoint in routes:
        app.add_api_route(path, endpoint, methods=["GET"])
