"""One logical GET to Front, from the first attempt to its JSON or its exception.

The policy table (``policy.py``) decides what each answer means; this module carries it out: the rate budget
before each send, 429 waits that use no retry attempt, tenacity backoff for transient failures, the circuit
breaker, and the per-run metrics. The session (from FrontHook, built on HttpHook) carries the token.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from front_sync.hooks import urls
from front_sync.hooks.breaker import CircuitBreaker
from front_sync.hooks.budget import RateBudget
from front_sync.hooks.errors import (
    FrontAPIError,
    FrontAuthError,
    FrontBadRequestError,
    FrontConversationMerged,
    FrontNotFound,
    FrontRetryableError,
)
from front_sync.hooks.metrics import RequestMetrics
from front_sync.hooks.policy import (
    Action,
    classify_exception,
    classify_status,
    front_retry_after,
    int_header,
    retry_after_seconds,
)
from front_sync.hooks.scopes import required_scope
from front_sync.hooks.settings import HookSettings

log = logging.getLogger(__name__)

BACKOFF_CEILING = 60.0  # 1, 2, 4, 8, 16 s with the default 5 retries; more retries never wait over a minute
BACKOFF_JITTER = 1.0  # up to 1 s added to each backoff, so a pool of workers does not retry in lock-step


class _TransientFailure(Exception):
    """One attempt failed in a way a retry may fix; tenacity retries it, and it never leaves this module."""

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
    raw_path: str
    resource: str
    search: bool = False
    attempt: int = 0
    rate_limited_for: float = 0.0
    reauthorized: bool = False


class RequestLoop:
    """Sends GETs under one task's settings, budget, breaker and metrics; shared by the task's threads.

    Args:
        settings: the validated connection.
        session: returns the calling thread's ``requests.Session`` (it adds the token).
        budget, breaker, metrics: the task's, shared by every thread.
        sleep: blocks for seconds (backoffs). wall_clock: epoch seconds (HTTP-date Retry-After).
        reauthorize: OAuth only: called with the refused ``Authorization`` header after a 401 (refreshes the
            token unless another worker already did); the request is then sent once more, no attempt used.
    """

    def __init__(
        self,
        settings: HookSettings,
        session: Callable[[], requests.Session],
        budget: RateBudget,
        breaker: CircuitBreaker,
        metrics: RequestMetrics,
        *,
        sleep: Callable[[float], None],
        wall_clock: Callable[[], float],
        reauthorize: Callable[[str | None], None] | None = None,
    ) -> None:
        self.settings = settings
        self.session = session
        self.budget = budget
        self.breaker = breaker
        self.metrics = metrics
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._reauthorize = reauthorize

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """GET an absolute URL and return its JSON object (see FrontHook.request_json for what it raises)."""
        settings = self.settings
        urls.check_token_destination(url, settings.base_url, settings.allowed_hosts, settings.conn_id)
        raw_path = urlsplit(url).path
        request = _Request(
            url, params, urls.loggable_path(url), raw_path, urls.resource_of(raw_path), urls.is_search(raw_path)
        )
        retrying = Retrying(
            retry=retry_if_exception_type(_TransientFailure),
            stop=stop_after_attempt(settings.max_attempts + 1),
            wait=wait_exponential_jitter(max=BACKOFF_CEILING, jitter=BACKOFF_JITTER),
            sleep=self._sleep,
            before_sleep=lambda state: self._before_retry(request, state),
            retry_error_callback=lambda state: self._retries_spent(request, state),
        )
        try:
            return retrying(self._attempt, request)
        except (FrontNotFound, FrontConversationMerged):
            raise
        except (FrontAPIError, FrontAuthError, FrontBadRequestError):
            self.metrics.count("failed_requests")
            raise

    def _attempt(self, request: _Request) -> dict[str, Any]:
        """Send until Front answers something other than 429 (429 waits do not use a retry attempt)."""
        request.attempt += 1
        own_wait = 0.0
        while True:
            if own_wait:
                # This request's own Retry-After, waited outside the budget: reserving a slot that far ahead
                # would queue every other thread behind it, pausing more than Front asked to pause.
                self._sleep(own_wait)
                self.metrics.record_wait(own_wait, held=True)
            self.breaker.before_call()
            slot = self.budget.acquire(request.resource, search=request.search)
            self.metrics.record_wait(slot.waited, slot.held)
            response = self._send(request)
            limit = int_header(response.headers, "x-ratelimit-limit")
            remaining = int_header(response.headers, "x-ratelimit-remaining")
            self.metrics.record_response(response.status_code, len(response.content), limit, remaining)
            if response.status_code != 429:  # on a 429, Retry-After is the authority (see _wait_out_429)
                self.budget.observe(limit, remaining, response.headers.get("x-ratelimit-reset"))
            log.debug(
                "GET %s -> %s (attempt %d, waited %.2f s, quota remaining %s of %s)",
                request.path,
                response.status_code,
                request.attempt,
                slot.waited,
                remaining,
                limit,
            )
            decision = classify_status(response.status_code)
            if decision.action is Action.RETRY:
                self.breaker.record_failure(decision.cause)
                raise _TransientFailure(decision.cause, f"{response.status_code} {_front_error(response)[0]}".strip())
            if decision.action is Action.OK:
                return self._decode(response)
            self.breaker.record_success()  # any other answer means Front is up
            if self._renewed_after_401(request, response):
                continue
            if decision.action is not Action.RATE_LIMITED:
                self._raise_for(decision.action, request, response)
            own_wait = self._wait_out_429(request, response, remaining)

    def _renewed_after_401(self, request: _Request, response: requests.Response) -> bool:
        """OAuth: after the request's first 401, renew the token (single-flight) so the caller sends it again."""
        if self._reauthorize is None or response.status_code != 401 or request.reauthorized:
            return False
        request.reauthorized = True
        self.metrics.count("oauth_401_renewals")
        log.info("GET %s -> 401 with the OAuth access token: renewing it and sending once more", request.path)
        sent = response.request.headers.get("Authorization") if response.request else None
        self._reauthorize(sent.decode("latin-1") if isinstance(sent, bytes) else sent)
        return True

    def _send(self, request: _Request) -> requests.Response:
        """One GET with both timeouts (the session adds the token); transport failures become retryable or fatal."""
        try:
            return self.session().get(
                request.url,
                params=request.params,
                timeout=self.settings.timeout,
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

    def _decode(self, response: requests.Response) -> dict[str, Any]:
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

    def _wait_out_429(self, request: _Request, response: requests.Response, remaining: int | None) -> float:
        """Return how long this request waits (Retry-After, >= 1 s) and hold the others as long as Front says.

        Only what Front asked is paused, for as long as Front said: a plan-limit 429 holds every thread (Front
        refuses them all), a burst 429 (quota remains) holds only this resource; either for Front's exact
        Retry-After (the floored wait when Front gave none), so one unlucky arrival does not stall the pool
        for a second. The refused request alone waits the floored wait (see ``_attempt``).
        """
        settings = self.settings
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
        said = front_retry_after(response.headers, wall_now)
        # Others wait exactly what Front said; a search 429 while quota remains is search's own limit: it holds
        # search, not all conversations.
        self.budget.hold(
            wait if said is None else said, request.resource if burst else None, search=burst and request.search
        )
        log.info(
            "GET %s -> 429 (%s limit%s, attempt %d): waiting %.3f s; no retry attempt used",
            request.path,
            "burst" if burst else "plan",
            f" {response.headers.get('x-front-tier')}" if burst else "",
            request.attempt,
            wait,
        )
        return wait

    def _raise_for(self, action: Action, request: _Request, response: requests.Response) -> None:
        """Turn a final answer (auth, bad request, 404, 301, anything unexpected) into its exception."""
        status = response.status_code
        title, message = _front_error(response)
        conn_id = self.settings.conn_id
        if action is Action.AUTH:
            if status == 401 and self._reauthorize is not None:
                problem = (
                    "did not accept the OAuth access token even after a refresh; reconnect Front on the Front sync page"
                )
            elif status == 401:
                problem = "did not accept the API token; put a valid token in the connection's password"
            else:
                problem = "refused the token: it lacks a scope or access to this resource"
            where = (
                "the app's scopes under Settings > Developers > your app"
                if self._reauthorize is not None
                else "the token under Settings > Developers > API tokens"
            )
            raise FrontAuthError(
                f"Front {problem} (connection {conn_id!r}, GET {request.path} answered {status} {title}). This "
                f"endpoint needs the scope {required_scope(request.raw_path)}; check {where}."
            )
        if action is Action.NOT_FOUND:
            self.metrics.count("not_found")
            log.info("GET %s -> 404: reported to the caller as missing", request.path)
            raise FrontNotFound(request.path)
        if action is Action.MERGED:
            merge = _merge_of(request.raw_path, response.headers.get("location", ""))
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
        log.warning(
            "GET %s failed (%s, attempt %d of %d): retrying in %.1f s",
            request.path,
            getattr(failure, "detail", cause),
            request.attempt,
            self.settings.max_attempts + 1,
            wait,
        )

    def _retries_spent(self, request: _Request, state: RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome else None
        cause = getattr(failure, "cause", "unknown")
        raise FrontRetryableError(
            f"GET {request.path} still failing after {request.attempt} attempts (last: "
            f"{getattr(failure, 'detail', cause)}); Front may be having trouble. The task retry will resume from "
            f"its checkpoint.",
            cause=cause,
        ) from None


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
