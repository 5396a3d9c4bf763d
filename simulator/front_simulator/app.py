"""FastAPI routes: Front's read endpoints (with Front's query syntax and envelopes) and the control API.

The Front routes are thin: they parse Front's parameters (``limit``, ``page_token``, ``q[...]``, ``sort_by``,
``sort_order``), ask ``SimulatorState`` for a page, and assemble the envelope from pre-encoded records.
Auth, rate limits, statistics and response-level faults live in ``gateway.py``; data-level faults
(bad records, duplicates, mutations while paging) are applied here, where the records are.
"""

from __future__ import annotations

import random
from typing import Any
from urllib.parse import quote, urlencode

import msgspec
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from front_simulator import CONTROL_PREFIX
from front_simulator.faults import BAD_RECORD_VARIANTS, FaultRule, FaultSpecError
from front_simulator.pagination import InvalidPageToken, Window, decode_token, encode_token
from front_simulator.routes import TEMPLATES
from front_simulator.state import CONVERSATION_STATUSES, MutationError, SimulatorState

DEFAULT_LIMIT = 50  # Front documents no default page size; always send ``limit``
MAX_LIMIT = 100
EVENTS_MAX_LIMIT = 15

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode
JSON = "application/json"


class ApiError(Exception):
    """An error answered with Front's ``_error`` envelope."""

    def __init__(
        self, status: int, title: str, message: str | None = None, headers: dict[str, str] | None = None
    ):
        super().__init__(message or title)
        self.status, self.title, self.message, self.headers = status, title, message, headers


def error_body(status: int, title: str, message: str | None = None) -> bytes:
    error: dict[str, Any] = {"status": status, "title": title}
    if message:
        error["message"] = message
    return _encode({"_error": error})


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = payload if isinstance(payload, bytes) else _encode(payload)
    return Response(content=body, status_code=status, media_type=JSON, headers=headers)


# -- parameter parsing -------------------------------------------------------------------------------


def parse_limit(request: Request, maximum: int = MAX_LIMIT, default: int = DEFAULT_LIMIT) -> int:
    """Front's ``limit``: above the maximum it is capped (not refused); below 1 or not an integer: 400."""
    raw = request.query_params.get("limit")
    if raw is None or raw == "":
        return min(default, maximum)
    try:
        value = int(raw)
    except ValueError as exc:
        raise ApiError(400, "Bad request", f"limit must be an integer, got {raw!r}") from exc
    if value < 1:
        raise ApiError(400, "Bad request", "limit must be >= 1")
    return min(value, maximum)


def parse_timestamp(request: Request, name: str) -> float | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError as exc:
        raise ApiError(400, "Bad request", f"{name} must be a timestamp in seconds, got {raw!r}") from exc
    if value != value or value in (float("inf"), float("-inf")):
        raise ApiError(400, "Bad request", f"{name} must be a finite timestamp")
    return value


def parse_order(request: Request, default: str = "desc") -> bool:
    """True for descending."""
    raw = request.query_params.get("sort_order") or default
    if raw not in ("asc", "desc"):
        raise ApiError(400, "Bad request", "sort_order must be asc or desc")
    return raw == "desc"


def parse_sort_by(request: Request, allowed: tuple[str, ...]) -> str | None:
    raw = request.query_params.get("sort_by")
    if raw is None or raw == "":
        return None
    if raw not in allowed:
        raise ApiError(400, "Bad request", f"sort_by must be one of {', '.join(allowed)}")
    return raw


def query_list(request: Request, name: str) -> tuple[str, ...]:
    """Repeated ``q[name]=a&q[name]=b`` (also accepts ``q[name][]=``)."""
    values = request.query_params.getlist(f"q[{name}]") + request.query_params.getlist(f"q[{name}][]")
    return tuple(v for v in values if v)


# -- envelopes ---------------------------------------------------------------------------------------


def page_cursor(state: SimulatorState, request: Request, listing: str) -> Any:
    token = request.query_params.get("page_token")
    if not token:
        return None
    try:
        return decode_token(token, listing, state.generation)
    except InvalidPageToken as exc:
        raise ApiError(400, "Bad request", str(exc)) from exc


def next_link(
    state: SimulatorState, request: Request, path: str, listing: str, window: Window, limit: int
) -> str | None:
    """``_pagination.next``: company host, the original filters, ``limit`` and an opaque ``page_token``."""
    if not window.has_more or window.last_key is None:
        return None
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page_token", "limit")]
    params.append(("limit", str(limit)))
    params.append(("page_token", encode_token(listing, state.generation, window.last_key)))
    return f"{state.link_base}{path}?{urlencode(params)}"


def envelope(
    state: SimulatorState,
    path: str,
    parts: list[bytes],
    *,
    next_url: str | None = None,
    paginated: bool = True,
    total: int | None = None,
) -> bytes:
    """Assemble ``{"_pagination", "_links", "_results"}`` from encoded records without re-encoding them."""
    head = b"{"
    if paginated:
        head += b'"_pagination":{"next":' + _encode(next_url) + b"},"
    head += b'"_links":{"self":' + _encode(f"{state.link_base}{path}") + b"},"
    if total is not None:
        head += b'"_total":' + str(total).encode() + b","
    return head + b'"_results":[' + b",".join(parts) + b"]}"


# -- data faults -------------------------------------------------------------------------------------


def data_faults(request: Request, kind: str) -> list[FaultRule]:
    return [rule for rule in request.scope.get("front_faults", ()) if rule.kind == kind]


def corrupt(record: dict[str, Any], variant: str, rng: random.Random) -> dict[str, Any]:
    """Break one record the way real feeds do."""
    if variant == "missing_id":
        record.pop("id", None)
    elif variant == "wrong_types":
        record["id"] = rng.randrange(10**9)
        for key in ("updated_at", "created_at", "emitted_at", "posted_at"):
            if key in record:
                record[key] = str(record[key])
        for key in ("name", "subject", "body"):
            if key in record:
                record[key] = rng.choice((12345, True, ["not", "a", "string"]))
        if "handles" in record:
            record["handles"] = "not-a-list"
    elif variant == "nul_chars":
        for key in ("name", "subject", "body", "description"):
            if isinstance(record.get(key), str):
                record[key] = record[key][:3] + "\u0000" + record[key][3:] + "\x00"
        record.setdefault("name", "nul\u0000name")
    elif variant == "huge":
        key = "body" if "body" in record else "description"
        record[key] = "<p>" + ("x" * 1023 + "\n") * 5 * 1024 + "</p>"  # ~5 MB in one record
    elif variant == "unknown_fields":
        record["x_new_field"] = {"nested": [1, 2, {"deep": None}], "added": "2027-01-01"}
        record["_experimental"] = True
    return record


def apply_record_faults(request: Request, state: SimulatorState, parts: list[bytes]) -> list[bytes]:
    rules = data_faults(request, "bad_records")
    if not rules or not parts:
        return parts
    parts = list(parts)
    for rule in rules:
        for index in state.faults.pick(list(range(len(parts))), rule.count):
            variant = rule.variant
            if variant == "random":
                variant = BAD_RECORD_VARIANTS[int(state.faults.random() * len(BAD_RECORD_VARIANTS))]
            rng = random.Random(index)
            parts[index] = _encode(corrupt(_decode(parts[index]), variant, rng))
    return parts


def rewind_for(request: Request) -> int:
    return sum(rule.count for rule in data_faults(request, "duplicates"))


def mutate_while_paging(
    request: Request, state: SimulatorState, action: str, ids: list[str] | None = None
) -> None:
    for rule in data_faults(request, "mutate_during_paging"):
        try:
            state.mutate(action, {"count": rule.count} if ids is None else {"ids": ids})
        except MutationError:
            pass


# -- the application ---------------------------------------------------------------------------------


def create_app(state: SimulatorState) -> FastAPI:
    """The ASGI app for one state (wrap it in ``gateway.Gateway`` to serve it like Front)."""
    app = FastAPI(title="Front Core API simulator", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.sim = state

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

    def not_found(what: str) -> ApiError:
        return ApiError(404, "Not found", f"{what} not found")

    def simple_list(path: str, records: list[dict[str, Any]]) -> Response:
        return json_response(envelope(state, path, [_encode(r) for r in records], paginated=False))

    # -- identity and small, unpaginated resources --------------------------------------------------

    @app.get("/me")
    async def me() -> Response:
        with state.lock:
            return json_response(state.renderer.me())

    @app.get("/contact_lists")
    async def contact_lists() -> Response:
        with state.lock:
            return simple_list(
                "/contact_lists", [state.renderer.contact_list(c) for c in state.data.contact_lists.values()]
            )

    @app.get("/teammates")
    async def teammates() -> Response:
        with state.lock:
            return simple_list(
                "/teammates", [state.renderer.teammate(t) for t in state.data.teammates.values()]
            )

    @app.get("/teammates/{teammate_id}")
    async def teammate(teammate_id: str) -> Response:
        with state.lock:
            found = state.data.teammates.get(teammate_id)
            if found is None:
                raise not_found("Teammate")
            return json_response(state.renderer.teammate(found))

    @app.get("/inboxes")
    async def inboxes() -> Response:
        with state.lock:
            return simple_list("/inboxes", [state.renderer.inbox(i) for i in state.data.inboxes.values()])

    @app.get("/inboxes/{inbox_id}")
    async def inbox(inbox_id: str) -> Response:
        with state.lock:
            found = state.data.inboxes.get(inbox_id)
            if found is None:
                raise not_found("Inbox")
            return json_response(state.renderer.inbox(found))

    @app.get("/channels")
    async def channels() -> Response:
        with state.lock:
            return simple_list("/channels", [state.renderer.channel(c) for c in state.data.channels.values()])

    @app.get("/channels/{channel_id}")
    async def channel(channel_id: str) -> Response:
        with state.lock:
            found = state.data.channels.get(channel_id)
            if found is None:
                raise not_found("Channel")
            return json_response(state.renderer.channel(found))

    def custom_fields(scope: str, path: str) -> Response:
        with state.lock:
            return simple_list(
                path,
                [
                    state.renderer.custom_field(f)
                    for f in state.data.custom_fields.values()
                    if f.scope == scope
                ],
            )

    @app.get("/contacts/custom_fields")
    async def contact_custom_fields() -> Response:
        return custom_fields("contact", "/contacts/custom_fields")

    @app.get("/custom_fields")
    async def deprecated_custom_fields() -> Response:
        return custom_fields("contact", "/custom_fields")  # deprecated alias of /contacts/custom_fields

    @app.get("/conversations/custom_fields")
    async def conversation_custom_fields() -> Response:
        return custom_fields("conversation", "/conversations/custom_fields")

    @app.get("/company/statuses")
    async def ticket_statuses() -> Response:
        with state.lock:
            if not state.data.statuses:
                raise ApiError(404, "Not found", "Ticketing is not enabled for this company")
            return simple_list("/company/statuses", [state.renderer.status(s) for s in state.data.statuses])

    # -- tags -------------------------------------------------------------------------------------------

    @app.get("/tags")
    async def tags(request: Request) -> Response:
        sort_by = parse_sort_by(request, ("id",))
        descending = parse_order(request, "asc")
        with state.lock:
            live = state.live_tags()
            if sort_by == "id":
                live.sort(key=lambda t: t.id, reverse=descending)
            return simple_list("/tags", [state.renderer.tag(t) for t in live])

    @app.get("/tags/{tag_id}")
    async def tag(tag_id: str) -> Response:
        with state.lock:
            found = state.data.tags.get(tag_id)
            if found is None or found.deleted:
                raise not_found("Tag")
            return json_response(state.renderer.tag(found))

    @app.get("/tags/{tag_id}/children")
    async def tag_children(tag_id: str) -> Response:
        with state.lock:
            found = state.data.tags.get(tag_id)
            if found is None or found.deleted:
                raise not_found("Tag")
            children = [state.data.tags[c] for c in state.renderer.tag_children.get(tag_id, [])]
            return simple_list(f"/tags/{tag_id}/children", [state.renderer.tag(t) for t in children])

    # -- contacts ---------------------------------------------------------------------------------------

    @app.get("/contacts")
    async def contacts(request: Request) -> Response:
        limit = parse_limit(request)
        sort_by = parse_sort_by(request, ("created_at", "updated_at"))
        descending = parse_order(request, "desc")
        updated_after = parse_timestamp(request, "q[updated_after]")
        updated_before = parse_timestamp(request, "q[updated_before]")
        listing = f"contacts:{sort_by or 'default'}:{descending}"
        with state.lock:
            mutate_while_paging(request, state, "update_contacts")
            window = state.list_contacts(
                sort_by=sort_by,
                descending=descending,
                updated_after=updated_after,
                updated_before=updated_before,
                limit=limit,
                after=page_cursor(state, request, listing),
                rewind=rewind_for(request),
            )
            parts = [state.contact_bytes(c) for c in window.records]
            parts = apply_record_faults(request, state, parts)
            body = envelope(
                state,
                "/contacts",
                parts,
                next_url=next_link(state, request, "/contacts", listing, window, limit),
            )
        return json_response(body)

    @app.get("/contacts/{contact_id}")
    async def contact(contact_id: str) -> Response:
        with state.lock:
            found = state.find_contact(contact_id)
            if found is None:
                raise not_found("Contact")
            return json_response(state.contact_bytes(found))

    # -- conversations ------------------------------------------------------------------------------------

    def live_conversation(conversation_id: str, request: Request, suffix: str = ""):
        conv, survivor = state.resolve_conversation(conversation_id)
        if survivor is not None:
            host = request.headers.get("host") or request.url.netloc
            location = f"{request.url.scheme}://{host}/conversations/{survivor}{suffix}"
            if request.url.query:
                location += f"?{request.url.query}"
            raise ApiError(
                301,
                "Moved permanently",
                f"Conversation {conversation_id} was merged into {survivor}",
                headers={"location": location},
            )
        if conv is None:
            raise not_found("Conversation")
        return conv

    @app.get("/conversations")
    async def conversations(request: Request) -> Response:
        limit = parse_limit(request)
        parse_sort_by(request, ("date",))
        descending = parse_order(request, "desc")
        statuses = query_list(request, "statuses")
        bad = [s for s in statuses if s not in CONVERSATION_STATUSES]
        if bad:
            raise ApiError(400, "Bad request", f"unknown statuses: {', '.join(bad)}")
        categories = query_list(request, "status_categories")
        status_ids = query_list(request, "status_ids")
        if (categories or status_ids) and not state.data.statuses:
            raise ApiError(
                400, "Bad request", "status_categories and status_ids need ticketing to be enabled"
            )
        if sum(bool(x) for x in (statuses, categories, status_ids)) > 1:
            raise ApiError(400, "Bad request", "use only one of statuses, status_categories or status_ids")
        listing = f"conversations:{','.join(sorted(statuses + categories + status_ids))}:{descending}"
        with state.lock:
            mutate_while_paging(request, state, "new_inbound")
            window = state.list_conversations(
                statuses=statuses,
                categories=categories,
                status_ids=status_ids,
                descending=descending,
                limit=limit,
                after=page_cursor(state, request, listing),
                rewind=rewind_for(request),
            )
            parts = apply_record_faults(
                request, state, [_encode(state.renderer.conversation(c)) for c in window.records]
            )
            body = envelope(
                state,
                "/conversations",
                parts,
                next_url=next_link(state, request, "/conversations", listing, window, limit),
            )
        return json_response(body)

    @app.get("/conversations/search/{query:path}")
    async def search(request: Request, query: str) -> Response:
        limit = parse_limit(request)
        listing = f"search:{query}"
        path = f"/conversations/search/{quote(query, safe='')}"
        with state.lock:
            try:
                window, total = state.search_conversations(
                    query, limit=limit, after=page_cursor(state, request, listing)
                )
            except MutationError as exc:
                raise ApiError(400, "Bad request", str(exc)) from exc
            parts = apply_record_faults(
                request, state, [_encode(state.renderer.conversation(c)) for c in window.records]
            )
            body = envelope(
                state,
                path,
                parts,
                next_url=next_link(state, request, path, listing, window, limit),
                total=total,
            )
        return json_response(body)

    @app.get("/conversations/{conversation_id}")
    async def conversation(request: Request, conversation_id: str) -> Response:
        with state.lock:
            conv = live_conversation(conversation_id, request)
            return json_response(state.renderer.conversation(conv))

    @app.get("/conversations/{conversation_id}/messages")
    async def conversation_messages(request: Request, conversation_id: str) -> Response:
        limit = parse_limit(request)
        parse_sort_by(request, ("created_at",))
        descending = parse_order(request, "desc")
        with state.lock:
            conv = live_conversation(conversation_id, request, "/messages")
            listing = f"messages:{conv.id}:{descending}"
            mutate_while_paging(request, state, "new_inbound", [conv.id])
            window = state.list_messages(
                conv,
                descending=descending,
                limit=limit,
                after=page_cursor(state, request, listing),
                rewind=rewind_for(request),
            )
            parts = apply_record_faults(
                request, state, [_encode(state.renderer.message(m)) for m in window.records]
            )
            path = f"/conversations/{conv.id}/messages"
            body = envelope(
                state, path, parts, next_url=next_link(state, request, path, listing, window, limit)
            )
        return json_response(body)

    @app.get("/conversations/{conversation_id}/comments")
    async def conversation_comments(request: Request, conversation_id: str) -> Response:
        with state.lock:
            conv = live_conversation(conversation_id, request, "/comments")
            parts = apply_record_faults(
                request, state, [_encode(state.renderer.comment(c)) for c in state.list_comments(conv)]
            )
            return json_response(
                envelope(state, f"/conversations/{conv.id}/comments", parts, paginated=False)
            )

    @app.get("/conversations/{conversation_id}/inboxes")
    async def conversation_inboxes(request: Request, conversation_id: str) -> Response:
        with state.lock:
            conv = live_conversation(conversation_id, request, "/inboxes")
            inboxes = [state.renderer.inbox(state.data.inboxes[conv.inbox_id])] if conv.inbox_id else []
            return simple_list(f"/conversations/{conv.id}/inboxes", inboxes)

    @app.get("/conversations/{conversation_id}/followers")
    async def conversation_followers(request: Request, conversation_id: str) -> Response:
        with state.lock:
            conv = live_conversation(conversation_id, request, "/followers")
            followers = [state.renderer.teammate_by_id(conv.assignee_id)] if conv.assignee_id else []
            return simple_list(f"/conversations/{conv.id}/followers", followers)

    @app.get("/conversations/{conversation_id}/events")
    async def conversation_events(request: Request, conversation_id: str) -> Response:
        limit = parse_limit(request, EVENTS_MAX_LIMIT, EVENTS_MAX_LIMIT)
        with state.lock:
            conv = live_conversation(conversation_id, request, "/events")
            events = [e for e in reversed(state.data.events) if e.conversation_id == conv.id]
            listing = f"conversation_events:{conv.id}"
            cursor = page_cursor(state, request, listing)
            if cursor is not None:
                events = [e for e in events if (e.emitted_at, e.num) < tuple(cursor)]
            page = events[:limit]
            window = Window(page, (page[-1].emitted_at, page[-1].num) if page else None, len(events) > limit)
            path = f"/conversations/{conv.id}/events"
            body = envelope(
                state,
                path,
                [_encode(state.renderer.event(e)) for e in page],
                next_url=next_link(state, request, path, listing, window, limit),
            )
        return json_response(body)

    @app.get("/messages/{message_id}")
    async def message(message_id: str) -> Response:
        with state.lock:
            found = state.data.messages.get(message_id)
            if found is None:
                raise not_found("Message")
            return json_response(state.renderer.message(found))

    @app.get("/comments/{comment_id}")
    async def comment(comment_id: str) -> Response:
        with state.lock:
            found = state.data.comments.get(comment_id)
            if found is None:
                raise not_found("Comment")
            return json_response(state.renderer.comment(found))

    # -- events -----------------------------------------------------------------------------------------

    @app.get("/events")
    async def events(request: Request) -> Response:
        limit = parse_limit(request, EVENTS_MAX_LIMIT, EVENTS_MAX_LIMIT)
        parse_sort_by(request, ("created_at",))
        descending = parse_order(request, "desc")
        after_ts = parse_timestamp(request, "q[after]")
        before_ts = parse_timestamp(request, "q[before]")
        types = query_list(request, "types")
        inboxes = query_list(request, "inboxes")
        listing = f"events:{descending}"
        with state.lock:
            mutate_while_paging(request, state, "random_activity")
            window = state.list_events(
                after_ts=after_ts,
                before_ts=before_ts,
                types=types,
                inboxes=inboxes,
                descending=descending,
                limit=limit,
                after=page_cursor(state, request, listing),
                rewind=rewind_for(request),
            )
            parts = apply_record_faults(
                request, state, [_encode(state.renderer.event(e)) for e in window.records]
            )
            body = envelope(
                state, "/events", parts, next_url=next_link(state, request, "/events", listing, window, limit)
            )
        return json_response(body)

    @app.get("/events/{event_id}")
    async def event(event_id: str) -> Response:
        with state.lock:
            found = state.find_event(event_id)
            if found is None:
                raise not_found("Event")
            return json_response(state.renderer.event(found))

    add_control_routes(app, state)
    return app


def add_control_routes(app: FastAPI, state: SimulatorState) -> None:
    """The control API under ``/_simulator``: reset, mutate, faults, rate limit, stats, ground truth."""
    prefix = CONTROL_PREFIX

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

    @app.get(f"{prefix}/health")
    async def health() -> Response:
        return json_response({"ok": True, "seed": state.seed, "generation": state.generation})

    @app.get(f"{prefix}/config")
    async def config() -> Response:
        return json_response(
            {
                "seed": state.seed,
                "sizes": state.sizes,
                "link_base": state.link_base,
                "rate_limit": state.limiter.settings(),
                "faults": state.faults.describe(),
                "generation": state.generation,
            }
        )

    @app.post(f"{prefix}/reset")
    async def reset(request: Request) -> Response:
        payload = await body_of(request)
        seed = payload.get("seed", state.seed)
        if not isinstance(seed, int):
            raise ApiError(400, "Bad request", "seed must be an integer")
        try:
            state.reset(seed, payload.get("sizes"))
        except ValueError as exc:
            raise ApiError(400, "Bad request", str(exc)) from exc
        counts = {
            "contacts": len(state.data.contacts),
            "conversations": len(state.data.conversations),
            "messages": len(state.data.messages),
            "comments": len(state.data.comments),
            "events": len(state.data.events),
            "tags": len(state.data.tags),
        }
        return json_response({"seed": state.seed, "sizes": state.sizes, "counts": counts})

    @app.post(f"{prefix}/mutate")
    async def mutate(request: Request) -> Response:
        payload = await body_of(request)
        action = payload.get("action")
        if not isinstance(action, str):
            raise ApiError(400, "Bad request", "action is required")
        try:
            return json_response(state.mutate(action, payload))
        except MutationError as exc:
            raise ApiError(400, "Bad request", str(exc)) from exc

    @app.get(f"{prefix}/truth/{{resource}}")
    async def truth(resource: str) -> Response:
        with state.lock:
            try:
                return json_response(state.truth(resource))
            except KeyError as exc:
                raise ApiError(
                    404,
                    "Not found",
                    f"unknown resource {resource!r}; known: {', '.join(state.TRUTH_RESOURCES)}",
                ) from exc

    @app.get(f"{prefix}/stats")
    async def stats() -> Response:
        return json_response(state.stats.snapshot())

    @app.post(f"{prefix}/stats/reset")
    async def stats_reset() -> Response:
        state.stats.reset()
        return json_response({"ok": True})

    @app.get(f"{prefix}/faults")
    async def faults_get() -> Response:
        return json_response({"faults": state.faults.describe()})

    @app.put(f"{prefix}/faults")
    async def faults_put(request: Request) -> Response:
        payload = await body_of(request)
        specs = payload.get("faults")
        if not isinstance(specs, list):
            raise ApiError(400, "Bad request", 'expected {"faults": [...]}')
        try:
            state.faults.set_rules(specs, append=bool(payload.get("append")))
        except FaultSpecError as exc:
            raise ApiError(400, "Bad request", str(exc)) from exc
        return json_response({"faults": state.faults.describe()})

    @app.delete(f"{prefix}/faults")
    async def faults_delete() -> Response:
        state.faults.clear()
        return json_response({"faults": []})

    @app.get(f"{prefix}/rate_limit")
    async def rate_limit_get() -> Response:
        return json_response(state.limiter.settings())

    @app.put(f"{prefix}/rate_limit")
    async def rate_limit_put(request: Request) -> Response:
        payload = await body_of(request)
        try:
            state.limiter.configure(
                rpm=payload.get("rpm"),
                burst_per_second=payload.get("burst_per_second", 5),
                window_seconds=float(payload.get("window_seconds", 60)),
                search_share=float(payload.get("search_share", 0.4)),
            )
        except (TypeError, ValueError) as exc:
            raise ApiError(400, "Bad request", str(exc)) from exc
        return json_response(state.limiter.settings())

    @app.get(f"{prefix}/routes")
    async def routes() -> Response:
        return json_response({"endpoints": list(TEMPLATES)})
