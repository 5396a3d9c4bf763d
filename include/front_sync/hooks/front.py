"""FrontHook: the one way front-sync talks to Front's Core API.

Auth and the host allow-list, pacing under the company's shared budget, the error policy (``policy.py``),
retries with tenacity, a circuit breaker, pagination with loop detection, merges and per-run metrics.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from airflow.sdk import BaseHook
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from front_sync.config import FRONT_CONN_ID
from front_sync.hooks import urls
from front_sync.hooks.breaker import CircuitBreaker
from front_sync.hooks.budget import RateBudget
from front_sync.hooks.errors import (
    FrontAPIError,
    FrontAuthError,
    FrontBadRequestError,
    FrontConfigError,
    FrontConversationMerged,
    FrontLooksDownError,
    FrontNotFound,
    FrontPaginationError,
    FrontRetryableError,
    FrontUnsafeURLError,
)
from front_sync.hooks.metrics import RequestMetrics
from front_sync.hooks.policy import (
    Action,
    classify_exception,
    classify_status,
    front_retry_after,
    retry_after_seconds,
)
from front_sync.hooks.scopes import required_scope
from front_sync.hooks.settings import DEFAULT_ALLOWED_HOSTS, DEFAULT_BASE_URL, MAX_PAGE_LIMIT, HookSettings

__all__ = [
    "DEFAULT_ALLOWED_HOSTS",
    "DEFAULT_BASE_URL",
    "MAX_PAGE_LIMIT",
    "FrontAPIError",
    "FrontAuthError",
    "FrontBadRequestError",
    "FrontConfigError",
    "FrontConversationMerged",
    "FrontHook",
    "FrontLooksDownError",
    "FrontNotFound",
    "FrontPaginationError",
    "FrontRetryableError",
    "FrontUnsafeURLError",
    "RequestMetrics",
]

log = logging.getLogger(__name__)

BACKOFF_CEILING = 60.0  # 1, 2, 4, 8, 16 s with the default 5 retries; more retries never wait over a minute
BACKOFF_JITTER = 1.0  # up to 1 s added to each backoff, so a pool of workers does not retry in lock-step
USER_AGENT = "front-sync/0.1"

T = TypeVar("T")
R = TypeVar("R")


class _TransientFailure(Exception):
    """One attempt failed in a way a retry may fix; tenacity retries it, and it never leaves the hook."""

    def __init__(self, cause: str, detail: str) -> None:
        super().__init__(detail)
        self.cause = cause
        self.detail = detail


@dataclass
class _Request:
    """One logical GET, across its attempts; ``path`` is the loggable path (no query, no search text)."""

    url: str
    params: dict[str, Any] | None
    path: str
    resource: str
    attempt: int = 0
    rate_limited_for: float = 0.0


class FrontHook(BaseHook):
    """Reads Front's Core API with the token of an Airflow connection of type ``front``.

    One hook per task run: its rate budget, circuit breaker and metrics are shared by every thread that
    uses it (see ``map_concurrent``); each thread gets its own HTTP session.

    Args:
        front_conn_id: the connection: password = API token; host = API base URL (default
            https://api2.frontapp.com); extras, all optional: ``rpm`` (plan limit, default 100), ``share``
            (0 < share <= 1 of it this task may use, default 0.8), ``burst_per_second`` (Front's per-resource
            burst limit, default 5, 0 = off), ``page_limit`` (1-100), ``allowed_hosts`` (host patterns that
            may receive the token besides the base host and ``*.frontapp.com``), ``connect_timeout`` (5 s),
            ``read_timeout`` (30 s), ``max_attempts`` (retries of a transient failure, default 5),
            ``max_rate_limit_wait_seconds`` (429 waits per request, default 300), ``breaker_failures``
            (default 10), ``breaker_cooldown_seconds`` (default 60), ``max_workers`` (default 4).
        clock: monotonic seconds (tests inject a fake one).
        sleep: blocks for the given seconds (tests inject one that does not wait).
        wall_clock: epoch seconds, to read ``x-ratelimit-reset`` and HTTP-date ``Retry-After``.
        session_factory: builds each thread's ``requests.Session`` (tests wrap it to record requests).
    """

    conn_name_attr = "front_conn_id"
    default_conn_name = FRONT_CONN_ID
    conn_type = "front"
    hook_name = "Front API"

    def __init__(
        self,
        front_conn_id: str = default_conn_name,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
        session_factory: Callable[[], requests.Session] = requests.Session,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.front_conn_id = front_conn_id
        self.metrics = RequestMetrics()
        self._clock = clock
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._session_factory = session_factory
        self._setup_lock = threading.Lock()
        self._settings: HookSettings | None = None
        self._budget: RateBudget | None = None
        self._breaker: CircuitBreaker | None = None
        self._local = threading.local()
        self._sessions: list[tuple[threading.Thread, requests.Session]] = []

    # -- set-up -------------------------------------------------------------------------------------------

    @property
    def settings(self) -> HookSettings:
        """The validated connection, read on first use (a bad extra raises FrontConfigError naming it)."""
        if self._settings is None:
            with self._setup_lock:
                if self._settings is None:
                    conn = self.get_connection(self.front_conn_id)
                    settings = HookSettings.from_connection(conn, self.front_conn_id)
                    self._budget = RateBudget(
                        settings.requests_per_minute, settings.burst_per_second,
                        clock=self._clock, sleep=self._sleep, wall_clock=self._wall_clock,
                    )
                    self._breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_cooldown_seconds,
                                                   self._clock)
                    self._settings = settings
        return self._settings

    @property
    def budget(self) -> RateBudget:
        """The task's rate budget (token bucket plus Front's quota headers), shared by its threads."""
        self.settings  # noqa: B018 - builds the budget on first use
        assert self._budget is not None
        return self._budget

    @property
    def breaker(self) -> CircuitBreaker:
        """The task's circuit breaker, shared by its threads."""
        self.settings  # noqa: B018 - builds the breaker on first use
        assert self._breaker is not None
        return self._breaker

    def get_conn(self) -> requests.Session:
        """This thread's session (sessions are not thread-safe); the token is added per request, host checked."""
        self.settings  # noqa: B018 - validate the connection before anything goes out
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._session_factory()
            session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})
            self._local.session = session
            with self._setup_lock:
                self._sessions.append((threading.current_thread(), session))
        return session

    def close(self) -> None:
        """Close every thread's session (their pooled connections)."""
        with self._setup_lock:
            sessions, self._sessions = self._sessions, []
        for _, session in sessions:
            session.close()
        self._local = threading.local()

    def _close_sessions_of_finished_threads(self) -> None:
        with self._setup_lock:
            done = [(t, s) for t, s in self._sessions if not t.is_alive()]
            self._sessions = [(t, s) for t, s in self._sessions if t.is_alive()]
        for _, session in done:
            session.close()

    # -- requests -----------------------------------------------------------------------------------------

    def request_json(self, url_or_path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """GET one URL (absolute, or a path under the base URL) and return its JSON, numbers as Decimal.

        Raises FrontNotFound on 404 and FrontConversationMerged on a conversation's 301 (answers the caller
        records), FrontRetryableError once retries or the 429 wait cap are spent (FrontLooksDownError while
        the circuit breaker is open), FrontAuthError / FrontBadRequestError / FrontUnsafeURLError (fatal).
        """
        settings = self.settings
        url = urls.resolve(settings.base_url, url_or_path)
        urls.check_token_destination(url, settings.base_url, settings.allowed_hosts, settings.conn_id)
        raw_path = urlsplit(url).path
        request = _Request(url, params, urls.loggable_path(url), urls.resource_of(raw_path))
        retrying = Retrying(
            retry=retry_if_exception_type(_TransientFailure),
            stop=stop_after_attempt(settings.max_attempts + 1),
            wait=wait_exponential_jitter(max=BACKOFF_CEILING, jitter=BACKOFF_JITTER),
            sleep=self._sleep,
            before_sleep=lambda state: self._before_retry(request, state),
            retry_error_callback=lambda state: self._retries_spent(request, state),
        )
        try:
            return retrying(self._attempt, request, raw_path)
        except (FrontNotFound, FrontConversationMerged):
            raise
        except (FrontAPIError, FrontAuthError, FrontBadRequestError):
            self.metrics.count("failed_requests")
            raise

    def _attempt(self, request: _Request, raw_path: str) -> dict[str, Any]:
        """Send until Front answers something other than 429 (429 waits do not use a retry attempt)."""
        settings = self.settings
        request.attempt += 1
        own_wait = 0.0
        while True:
            self.breaker.before_call()
            slot = self.budget.acquire(request.resource, own_wait)
            self.metrics.record_wait(slot.waited, slot.held)
            response = self._send(request, settings)
            limit = _int_header(response, "x-ratelimit-limit")
            remaining = _int_header(response, "x-ratelimit-remaining")
            self.metrics.record_response(response.status_code, len(response.content), limit, remaining)
            if response.status_code != 429:  # on a 429, Retry-After is the authority (see _wait_out_429)
                self.budget.observe(limit, remaining, response.headers.get("x-ratelimit-reset"))
            log.debug("GET %s -> %s (attempt %d, waited %.2f s, quota remaining %s of %s)", request.path,
                      response.status_code, request.attempt, slot.waited, remaining, limit)
            decision = classify_status(response.status_code)
            if decision.action is Action.RETRY:
                self.breaker.record_failure(decision.cause)
                raise _TransientFailure(decision.cause, f"{response.status_code} {_front_error(response)[0]}".strip())
            if decision.action is Action.OK:
                return self._decode(request, response)
            self.breaker.record_success()  # any other answer means Front is up
            if decision.action is not Action.RATE_LIMITED:
                self._raise_for(decision.action, request, raw_path, response)
            own_wait = self._wait_out_429(request, response, remaining, settings)

    def _send(self, request: _Request, settings: HookSettings) -> requests.Response:
        """One GET with the token and both timeouts; transport failures become retryable or fatal errors."""
        try:
            return self.get_conn().get(
                request.url,
                params=request.params,
                headers={"Authorization": f"Bearer {settings.token}"},
                timeout=settings.timeout,
                allow_redirects=False,  # a 301 is a merge to report, and a redirect must not carry the token
            )
        except requests.RequestException as exc:
            decision = classify_exception(exc)
            # Only the exception's type: its text holds the full URL with the query string.
            detail = type(exc).__name__
            if decision is None or decision.action is not Action.RETRY:
                self.breaker.release_probe()
                self.metrics.record_no_response(decision.cause if decision else "request_error")
                error = FrontBadRequestError if decision else FrontAPIError
                raise error(f"GET {request.path} could not be sent: {detail}") from None
            self.metrics.record_no_response(decision.cause)
            self.breaker.record_failure(decision.cause)
            raise _TransientFailure(decision.cause, detail) from None
        except BaseException:
            self.breaker.release_probe()
            raise

    def _decode(self, request: _Request, response: requests.Response) -> dict[str, Any]:
        """Parse a 2xx body (numbers as Decimal); a truncated or non-JSON body is a transient failure."""
        if not response.content:
            self.breaker.record_success()
            return {}
        try:
            body = json.loads(response.content, parse_float=Decimal)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self.breaker.record_failure("invalid_json")
            raise _TransientFailure("invalid_json", f"{response.status_code} with a body that is not a JSON object")
        self.breaker.record_success()
        return body

    def _wait_out_429(
        self, request: _Request, response: requests.Response, remaining: int | None, settings: HookSettings
    ) -> float:
        """Return how long this request waits (Retry-After, >= 1 s) and hold the others as long as Front says.

        A plan-limit 429 holds every thread for the full wait (Front refuses them all); a burst 429 (quota
        remains) holds only this resource, for Front's exact Retry-After, so one unlucky arrival does not
        stall the pool for a second.
        """
        burst = bool(remaining)  # 429 while quota remains: a per-resource burst limit, not the plan's
        self.metrics.record_429(burst)
        wall_now = self._wall_clock()
        wait = retry_after_seconds(response.headers, wall_now)
        if request.rate_limited_for + wait > settings.max_rate_limit_wait_seconds:
            raise FrontRetryableError(
                f"GET {request.path} is still rate limited after waiting {request.rate_limited_for:.0f} s and "
                f"Front asks for {wait:.0f} s more, over max_rate_limit_wait_seconds="
                f"{settings.max_rate_limit_wait_seconds:g} of connection {settings.conn_id!r}: other integrations "
                f"may be spending the company's quota. The task retry will resume from its checkpoint.",
                cause="rate_limited",
            )
        request.rate_limited_for += wait
        if burst:
            said = front_retry_after(response.headers, wall_now)
            self.budget.hold(wait if said is None else said, request.resource)
        else:
            self.budget.hold(wait)
        log.info("GET %s -> 429 (%s limit%s, attempt %d): waiting %.3f s; no retry attempt used", request.path,
                 "burst" if burst else "plan", f" {response.headers.get('x-front-tier')}" if burst else "",
                 request.attempt, wait)
        return wait

    def _raise_for(self, action: Action, request: _Request, raw_path: str, response: requests.Response) -> None:
        """Turn a final answer (auth, bad request, 404, 301, anything unexpected) into its exception."""
        status = response.status_code
        title, message = _front_error(response)
        conn_id = self.front_conn_id
        if action is Action.AUTH:
            scope = required_scope(raw_path)
            if status == 401:
                problem = "did not accept the API token; put a valid token in the connection's password"
            else:
                problem = "refused the API token: it lacks a scope or access to this resource"
            raise FrontAuthError(
                f"Front {problem} (connection {conn_id!r}, GET {request.path} answered {status} {title}). "
                f"This endpoint needs the scope {scope}; check the token under Settings > Developers > API tokens."
            )
        if action is Action.NOT_FOUND:
            self.metrics.count("not_found")
            log.info("GET %s -> 404: reported to the caller as missing", request.path)
            raise FrontNotFound(request.path)
        if action is Action.MERGED:
            merge = _merge_of(raw_path, response.headers.get("location", ""))
            if merge is not None:
                self.metrics.count("merged")
                log.info("GET %s -> 301: conversation %s was merged into %s", request.path, *merge)
                raise FrontConversationMerged(merge[0], merge[1], request.path)
        if action is Action.BAD_REQUEST:
            raise FrontBadRequestError(
                f"Front refused GET {request.path} (connection {conn_id!r}): {status} {title}: {message}".rstrip(": ")
            )
        raise FrontAPIError(f"GET {request.path} answered an unexpected {status} {title}".rstrip())

    def _before_retry(self, request: _Request, state: RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome else None
        cause = getattr(failure, "cause", "unknown")
        wait = state.next_action.sleep if state.next_action else 0.0
        self.metrics.record_retry(cause, wait)
        log.warning("GET %s failed (%s, attempt %d of %d): retrying in %.1f s", request.path,
                    getattr(failure, "detail", cause), request.attempt, self.settings.max_attempts + 1, wait)

    def _retries_spent(self, request: _Request, state: RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome else None
        cause = getattr(failure, "cause", "unknown")
        raise FrontRetryableError(
            f"GET {request.path} still failing after {request.attempt} attempts (last: "
            f"{getattr(failure, 'detail', cause)}); Front may be having trouble. The task retry will resume from "
            f"its checkpoint.",
            cause=cause,
        ) from None

    # -- pagination and fan-out ---------------------------------------------------------------------------

    def iter_pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Yield each page's ``_results``, following ``_pagination.next`` exactly as given until it is null.

        A short or empty page is not the end; only a null ``next`` is. A page token seen twice raises
        FrontAPIError (a loop). Unpaginated endpoints (no ``_pagination``) yield their one page. Errors are
        those of ``request_json``: on a child resource, catch FrontNotFound / FrontConversationMerged.
        """
        for results, _ in self.iter_pages_resumable(path, params):
            yield results

    def iter_pages_resumable(
        self, path: str, params: dict[str, Any] | None = None, resume_url: str | None = None
    ) -> Iterator[tuple[list[dict[str, Any]], str | None]]:
        """Like ``iter_pages``, but yield ``(results, next_url)`` so a checkpoint can store where to go on.

        ``next_url`` is Front's link to the page after this one (None after the last page). Pass a stored one
        as ``resume_url`` to continue a listing where a killed task stopped (it is host-checked like any link;
        ``path`` and ``params`` are then unused, the link carries them). A repeated page token raises before
        its page is yielded, so a checkpoint never stores a looping link.
        """
        if resume_url:
            body = self.request_json(resume_url)
            seen = {urls.page_token(resume_url)}
        else:
            body = self.request_json(path, {"limit": self.settings.page_limit, **(params or {})})
            seen = set()
        while True:
            next_url = (body.get("_pagination") or {}).get("next") or None
            if next_url is not None:
                token = urls.page_token(next_url) if isinstance(next_url, str) else repr(next_url)
                if token in seen:
                    raise FrontAPIError(
                        f"Pagination loop on GET {urls.loggable_path(path)}: Front returned a page token it had "
                        f"already returned, after {len(seen)} pages"
                    )
                seen.add(token)
            yield body.get("_results", []), next_url
            if next_url is None:
                return
            self._check_next_link(path, next_url)  # after its page is handed out: those records are good
            body = self.request_json(next_url)

    def _check_next_link(self, path: str, next_url: Any) -> None:
        """A next link must be an absolute http(s) URL of an allowed host; anything else fails, naming both."""
        settings = self.settings
        where = f"GET {urls.loggable_path(path)} (connection {settings.conn_id!r})"
        shown = repr(next_url if not isinstance(next_url, str) else urls.loggable_link(next_url))
        if not isinstance(next_url, str) or "://" not in next_url:
            raise FrontPaginationError(f"{where}: Front's _pagination.next is not an absolute URL: {shown}; the "
                                       f"listing cannot go on without guessing a path")
        try:
            urls.check_token_destination(next_url, settings.base_url, settings.allowed_hosts, settings.conn_id)
        except FrontUnsafeURLError as exc:
            raise FrontUnsafeURLError(f"{where}: Front's _pagination.next {shown} is refused. {exc}") from None

    def map_concurrent(self, fn: Callable[[T], R], items: Iterable[T], max_workers: int | None = None) -> Iterator[R]:
        """Run ``fn(item)`` for each item in a bounded thread pool; yield the results in input order.

        Lazy like ``Executor.map``, but it submits at most two items per worker ahead of the consumer, so a
        long id list never piles up results. Every request of every worker draws from this hook's one rate
        budget and circuit breaker. The first exception from ``fn`` (in input order) stops the pool and is
        raised; ``fn`` should catch FrontNotFound / FrontConversationMerged for children it may record.
        """
        workers = max_workers or self.settings.max_workers
        if workers < 1:
            raise ValueError("max_workers must be at least 1")
        pending: deque = deque()
        try:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="front-sync-api") as pool:
                try:
                    for item in items:
                        pending.append(pool.submit(fn, item))
                        if len(pending) >= 2 * workers:
                            yield pending.popleft().result()
                    while pending:
                        yield pending.popleft().result()
                finally:
                    for future in pending:
                        future.cancel()
        finally:
            self._close_sessions_of_finished_threads()

    # -- convenience --------------------------------------------------------------------------------------

    def sync_log_figures(self) -> dict[str, Any]:
        """sync_logs' API columns: api_calls, retries, rate_limit_waits, rate_limit_wait_seconds, bytes_received."""
        return self.metrics.sync_log_figures()

    def sync_log_metadata(self) -> dict[str, Any]:
        """Details for sync_logs.metadata: retries by cause, 429 kinds, other waits, quota seen, statuses."""
        return {**self.metrics.metadata(), "breaker_opened": self._breaker.times_opened if self._breaker else 0}

    def get_me(self) -> dict[str, Any]:
        """GET /me: the token's company; a cheap credentials check."""
        return self.request_json("/me")

    def test_connection(self) -> tuple[bool, str]:
        """Used by the Airflow UI's Test button."""
        try:
            me = self.get_me()
        except Exception as exc:  # noqa: BLE001 - the UI shows the message, the error type does not matter
            return False, str(exc)
        return True, f"Connected to Front company {me.get('name')!r}"


def _int_header(response: requests.Response, name: str) -> int | None:
    try:
        return int(float(response.headers[name]))
    except (KeyError, TypeError, ValueError, OverflowError):
        return None


def _front_error(response: requests.Response) -> tuple[str, str]:
    """Front's ``_error`` title and message (short, never the body itself) for error messages."""
    try:
        error = json.loads(response.content).get("_error") or {}
    except (ValueError, AttributeError):
        return "", ""
    if not isinstance(error, dict):
        return "", ""
    return str(error.get("title") or "")[:100], str(error.get("message") or "")[:300]


def _merge_of(path: str, location: str) -> tuple[str, str] | None:
    """(old id, surviving id) when a conversation path answered 301 to another conversation, else None."""
    old = path.strip("/").split("/")
    new = urlsplit(location).path.strip("/").split("/")
    if len(old) < 2 or old[0] != "conversations" or old[1] == "search":
        return None
    if len(new) < 2 or new[0] != "conversations" or not new[1] or new[1] == old[1]:
        return None
    return old[1], new[1]
