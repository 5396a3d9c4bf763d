"""FrontHook: the one way front-sync talks to Front's Core API.

Built on the http provider's ``HttpHook``, as Airflow's API hooks are, through its public surface only: the
connection contract (``get_connection``), ``base_url`` and ``url_from_endpoint``, ``auth_type``,
``default_headers``. It overrides none of HttpHook's private members (a provider upgrade may change those
freely; tests/unit/test_hook_seam.py fails if this module touches one) and builds its sessions itself. Ours on
top: the token as a Bearer header only to allowed hosts, the connection
extras as settings (never as HTTP headers), the request loop (``request_loop.py``: error-policy table, rate
budget, circuit breaker, retries, metrics), pagination (``pagination.py``) and concurrent fetches.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from itertools import islice
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlparse

import requests
from airflow.providers.http.hooks.http import HttpHook

from front_sync.config import FRONT_CONN_ID
from front_sync.hooks import cassette, pagination
from front_sync.hooks.breaker import CircuitBreaker
from front_sync.hooks.budget import BudgetStore, RateBudget
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
from front_sync.hooks.oauth import OAuthBearerAuth, TokenSource, TokenStore, token_source
from front_sync.hooks.request_loop import RequestLoop
from front_sync.hooks.settings import (
    DEFAULT_ALLOWED_HOSTS,
    DEFAULT_BASE_URL,
    MAX_PAGE_LIMIT,
    HookSettings,
    base_url_from,
)
from front_sync.hooks.urls import BearerTokenAuth

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

USER_AGENT = "front-sync/0.1"

T = TypeVar("T")
R = TypeVar("R")


class FrontHook(HttpHook):
    """Reads Front's Core API with the token of an Airflow connection of type ``front``.

    One hook per task run: its circuit breaker and metrics are shared by every thread that uses it (see
    ``map_concurrent``); each thread gets its own HTTP session. Its rate budget is the Front company's: shared
    with every hook of the same budget key on the same ``budget_store``. ``close()`` (or ``with
    FrontHook(...) as front:``) closes the sessions; ``map_concurrent`` closes its workers' sessions itself.

    Args:
        front_conn_id: the connection: password = API token; host = API base URL (default
            https://api2.frontapp.com, https unless the connection's schema says otherwise); extras: the
            rate budget, timeouts, retries, breaker, page size, workers and extra token hosts, all optional,
            listed with their defaults and bounds in ``extras.EXTRAS`` (the Airflow UI shows them as fields).
        clock: monotonic seconds (tests inject a fake one).
        sleep: blocks for the given seconds (tests inject one that does not wait).
        wall_clock: epoch seconds, to read ``x-ratelimit-reset`` and HTTP-date ``Retry-After``.
        session_factory: builds each thread's bare ``requests.Session`` before HttpHook's configuration is
            applied (tests pass one that records requests or mounts a fake transport); the default is a
            plain session, or a recording / replaying one when ``FRONT_SYNC_CASSETTE`` says so (cassette.py).
        budget_store: where the rate budget lives, e.g. ``warehouse.budget_store.PostgresBudgetStore`` so
            every task and worker of the company shares it (the sync tasks pass that one); None: in this
            hook's memory only (scripts, unit tests). The caller closes it.
        token_store: for a connection with extra ``auth: oauth``, where the token pair lives
            (``warehouse.oauth_store.PostgresTokenStore`` on the connection's ``warehouse_conn_id``); an OAuth
            connection without one fails with FrontConfigError. The caller closes it.
        adapter: one transport mounted on every session (for the base URL's scheme).
        kwargs: passed to ``HttpHook``.
    """

    conn_name_attr = "front_conn_id"
    default_conn_name = FRONT_CONN_ID
    conn_type = "front"
    hook_name = "Front API"
    default_host = DEFAULT_BASE_URL
    default_headers = {"Accept": "application/json", "User-Agent": USER_AGENT}

    def __init__(
        self,
        front_conn_id: str = default_conn_name,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
        session_factory: Callable[[], requests.Session] = cassette.session,
        budget_store: BudgetStore | None = None,
        token_store: TokenStore | None = None,
        adapter: requests.adapters.BaseAdapter | None = None,
        **kwargs: Any,
    ) -> None:
        # No shared TCP keep-alive adapter: it would put every thread's session on one connection pool, which
        # closing one session would clear under the others. Each session keeps its own pool, closed with it.
        kwargs.setdefault("tcp_keep_alive", False)
        super().__init__(method="GET", http_conn_id=front_conn_id, auth_type=BearerTokenAuth, **kwargs)
        self.front_conn_id = front_conn_id
        self.metrics = RequestMetrics()
        self._clock = clock
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._session_factory = session_factory
        self._transport = adapter
        self._budget_store = budget_store
        self._token_store = token_store
        self.tokens: TokenSource | None = None  # the OAuth token source (None with a static API token)
        self._setup_lock = threading.Lock()
        self._settings: HookSettings | None = None
        self._budget: RateBudget | None = None
        self._breaker: CircuitBreaker | None = None
        self._loop: RequestLoop | None = None
        self._local = threading.local()
        self._sessions: list[tuple[threading.Thread, requests.Session]] = []

    # -- set-up -------------------------------------------------------------------------------------------

    @property
    def settings(self) -> HookSettings:
        """The validated connection, read on first use (a bad extra raises FrontConfigError naming it)."""
        if self._settings is None:
            with self._setup_lock:
                if self._settings is None:
                    self._set_up()
        assert self._settings is not None
        return self._settings

    def _set_up(self) -> None:
        conn = self.get_connection(self.front_conn_id)
        settings = HookSettings.from_connection(conn, self.front_conn_id)
        self.base_url = base_url_from(conn, self.front_conn_id)
        self._budget = RateBudget(
            settings.requests_per_minute,
            settings.burst_per_second,
            clock=self._clock,
            sleep=self._sleep,
            wall_clock=self._wall_clock,
            store=self._budget_store,
            key=settings.budget_key,
        )
        self._breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_cooldown_seconds, self._clock)
        if settings.oauth:
            self.tokens = token_source(settings, self._token_store, clock=self._clock)
        self._loop = RequestLoop(
            settings,
            self.get_conn,
            self._budget,
            self._breaker,
            self.metrics,
            sleep=self._sleep,
            wall_clock=self._wall_clock,
            reauthorize=self.tokens.after_unauthorized if self.tokens else None,
        )
        self._settings = settings

    @property
    def budget(self) -> RateBudget:
        """The company's rate budget (token bucket plus Front's quota headers), shared by the hook's threads
        and, through its store, by every hook of the same budget key."""
        self.settings  # noqa: B018 - builds the budget on first use
        assert self._budget is not None
        return self._budget

    @property
    def breaker(self) -> CircuitBreaker:
        """The task's circuit breaker, shared by its threads."""
        self.settings  # noqa: B018 - builds the breaker on first use
        assert self._breaker is not None
        return self._breaker

    # -- HttpHook: what we take, and what we refuse --------------------------------------------------------
    # base_url is set by our rule (settings.base_url_from: a bare host means https, where HttpHook's default,
    # http, would send the token in clear; no user info, no trailing slash), so HttpHook's url_from_endpoint
    # never reads the connection itself.

    def _session_auth(self) -> BearerTokenAuth | OAuthBearerAuth:
        """The session's auth, for allowed hosts only: the connection's password as a Bearer token (auth_type),
        or (OAuth) the shared token source's access token, read at each request."""
        settings = self.settings
        if self.tokens is not None:
            return OAuthBearerAuth(self.tokens, settings.base_url, settings.allowed_hosts, settings.conn_id)
        return self.auth_type(settings.token, settings.base_url, settings.allowed_hosts, settings.conn_id)

    def get_conn(
        self, headers: dict[str, Any] | None = None, extra_options: dict[str, Any] | None = None
    ) -> requests.Session:
        """This thread's session (sessions are not thread-safe): auth, transport and default headers.

        The connection is read once per hook, not per session; its extras are settings (rpm, share...), never
        headers or session options, so HttpHook's `headers` / `extra_options` are refused.
        """
        if headers or extra_options:
            raise TypeError(
                "FrontHook.get_conn takes no headers or extra_options: its session is shared by every "
                "request of the hook and configured from the connection's settings"
            )
        self.settings  # noqa: B018 - validate the connection before anything goes out
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._session_factory()
            session.auth = self._session_auth()
            if self._transport is not None:
                session.mount(f"{urlparse(self.base_url).scheme}://", self._transport)
            session.headers.update(self.default_headers)
            self._local.session = session
            with self._setup_lock:
                self._sessions.append((threading.current_thread(), session))
        return session

    def run(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Refused: HttpHook.run would bypass the error policy, the budget and the breaker (use request_json)."""
        raise TypeError(
            "FrontHook.run is refused: it would bypass the error policy, rate budget and breaker; "
            "use request_json or iter_pages"
        )

    def run_with_advanced_retry(self, *args: Any, **kwargs: Any) -> NoReturn:
        """Refused: the hook retries by its own policy table; a second retry layer would multiply the calls."""
        raise TypeError(
            "FrontHook.run_with_advanced_retry is refused: the hook retries by its own policy table; "
            "use request_json or iter_pages"
        )

    # -- closing ------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close every thread's session (their pooled connections); the hook opens new ones if used again."""
        with self._setup_lock:
            sessions, self._sessions = self._sessions, []
        for _, session in sessions:
            session.close()
        self._local = threading.local()

    def __enter__(self) -> FrontHook:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _close_sessions_of_finished_threads(self) -> None:
        with self._setup_lock:
            done = [(t, s) for t, s in self._sessions if not t.is_alive()]
            self._sessions = [(t, s) for t, s in self._sessions if t.is_alive()]
        for _, session in done:
            session.close()

    # -- requests, pages, fan-out -------------------------------------------------------------------------

    def request_json(self, url_or_path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """GET one URL (absolute, or a path under the base URL) and return its JSON, numbers as Decimal.

        Raises FrontNotFound on 404 and FrontConversationMerged on a conversation's 301 (answers the caller
        records), FrontRetryableError once retries or the 429 wait cap are spent (FrontLooksDownError while
        the circuit breaker is open), FrontAuthError / FrontBadRequestError / FrontUnsafeURLError (fatal).
        """
        self.settings  # noqa: B018 - builds the request loop and the base URL on first use
        assert self._loop is not None
        url = url_or_path if "://" in url_or_path else self.url_from_endpoint(url_or_path)
        return self._loop.get_json(url, params)

    def iter_pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Yield each page's ``_results``, following ``_pagination.next`` exactly as given until it is null.

        A short or empty page is not the end; only a null ``next`` is. A page token seen twice raises
        FrontAPIError (a loop). Unpaginated endpoints (no ``_pagination``) yield their one page. Errors are
        those of ``request_json``: on a sub-resource, catch FrontNotFound / FrontConversationMerged.
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
        return pagination.iter_pages_resumable(self.request_json, self.settings, path, params, resume_url)

    def map_concurrent(self, fn: Callable[[T], R], items: Iterable[T], max_workers: int | None = None) -> Iterator[R]:
        """Run ``fn(item)`` for each item in a bounded thread pool; yield each result as soon as it is ready.

        Results come in completion order, not input order: one item waiting out a backoff or a 429 never
        holds back the results of the others, and its worker's slot is refilled from ``items`` at once. So
        ``fn`` should return whatever the caller needs to know which item a result is for. Lazy like
        ``Executor.map``, but at most two items per worker are taken from ``items`` ahead of the consumer, so
        a long id list (or a generator that claims work as it goes) never piles up. Every request of every
        worker draws from this hook's one rate budget and circuit breaker. An exception from ``fn`` stops the
        pool and is raised after the results already completed are yielded; items not started are dropped.
        ``fn`` should catch FrontNotFound / FrontConversationMerged for sub-resources it may record. The workers'
        sessions are closed when the pool ends.
        """
        workers = max_workers or self.settings.max_workers
        if workers < 1:
            raise ValueError("max_workers must be at least 1")
        source = iter(items)
        running: set[Future] = set()
        try:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="front-sync-api") as pool:
                try:
                    running.update(pool.submit(fn, item) for item in islice(source, 2 * workers))
                    while running:
                        done, running = wait(running, return_when=FIRST_COMPLETED)
                        failed = [f for f in done if f.exception() is not None]
                        if failed:
                            yield from (f.result() for f in done if f.exception() is None)
                            failed[0].result()
                        for future in done:
                            yield future.result()
                            running.update(pool.submit(fn, item) for item in islice(source, 1))
                finally:
                    for future in running:
                        future.cancel()
        finally:
            self._close_sessions_of_finished_threads()

    # -- convenience --------------------------------------------------------------------------------------

    def sync_log_figures(self) -> dict[str, Any]:
        """sync_logs' API columns: api_calls, retries, rate_limit_waits, rate_limit_wait_seconds, bytes_received."""
        return self.metrics.sync_log_figures()

    def sync_log_metadata(self) -> dict[str, Any]:
        """Details for sync_logs.metadata: retries by cause, 429 kinds, other waits, quota seen, statuses."""
        return {
            **self.metrics.metadata(),
            "breaker_opened": self._breaker.times_opened if self._breaker else 0,
            "oauth_refreshes": self.tokens.refreshes if self.tokens else 0,
        }

    def get_me(self) -> dict[str, Any]:
        """GET /me: the token's company; a cheap credentials check."""
        return self.request_json("/me")

    def test_connection(self) -> tuple[bool, str]:
        """The Airflow UI's Test button: GET /me through the full policy (HttpHook's would call ``run``).

        The UI tests a copy of the connection under a temporary id: the answer speaks of the form's fields
        ("this connection's API token") instead, and a refused token is a token problem (/me needs no scope).
        """
        try:
            me = self.get_me()
        except FrontAuthError as exc:
            status = "401" if " answered 401" in str(exc) else "403"
            if status == "401":
                return False, (
                    "Front did not accept the API token (GET /me answered 401): paste a valid token "
                    "into this connection's API token field (Front: Settings > Developers > API tokens)."
                )
            return False, (
                "Front refused the API token (GET /me answered 403): the token is revoked or its "
                "company has no API access; create one under Settings > Developers > API tokens and "
                "paste it into this connection's API token field."
            )
        except Exception as exc:  # noqa: BLE001 - the UI shows the message, the error type does not matter
            return False, str(exc).replace(f"connection {self.front_conn_id!r}", "this connection")
        return True, f"Connected to Front company {me.get('name')!r}"
