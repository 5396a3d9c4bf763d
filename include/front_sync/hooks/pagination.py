"""Front's pagination, followed exactly as given: ``_pagination.next`` until it is null, loops detected.

A short or empty page is not the end; only a null ``next`` is. A next link must be an absolute http(s) URL
of a host that may receive the token, and a page token seen twice is a loop. A saved link Front no longer
accepts (an expired page token: 400 or 404) restarts the listing from its first page, with a log line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from front_sync.hooks import urls
from front_sync.hooks.errors import (
    FrontAPIError,
    FrontBadRequestError,
    FrontNotFound,
    FrontPaginationError,
    FrontUnsafeURLError,
)
from front_sync.hooks.settings import HookSettings

log = logging.getLogger(__name__)

Page = tuple[list[dict[str, Any]], str | None]
Fetch = Callable[..., dict[str, Any]]  # (url_or_path, params=None) -> the page's JSON


def iter_pages_resumable(
    fetch: Fetch,
    settings: HookSettings,
    path: str,
    params: dict[str, Any] | None = None,
    resume_url: str | None = None,
) -> Iterator[Page]:
    """Yield ``(results, next_url)`` per page; with ``resume_url``, start from that stored link instead.

    ``next_url`` is Front's link to the page after this one (None after the last page). A repeated page token
    raises before its page is yielded, so a checkpoint never stores a looping link; a next link that cannot be
    followed raises after its page is yielded (those records are good). A ``resume_url`` Front refuses with 400
    or 404 (its page token expired) starts the listing over from the first page instead of failing every retry.
    """
    body, seen = None, set()
    if resume_url:
        try:
            body = fetch(resume_url)
            seen = {urls.page_token(resume_url)}
        except (FrontBadRequestError, FrontNotFound) as exc:
            log.warning(
                "GET %s: Front refused the saved page link of an unfinished listing (%s: its page token has "
                "probably expired); restarting this listing from its first page",
                urls.loggable_path(path),
                type(exc).__name__,
            )
    if body is None:
        body = fetch(path, {"limit": settings.page_limit, **(params or {})})
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
        check_next_link(settings, path, next_url)
        body = fetch(next_url)


def check_next_link(settings: HookSettings, path: str, next_url: Any) -> None:
    """A next link must be an absolute http(s) URL of an allowed host; anything else fails, naming both."""
    where = f"GET {urls.loggable_path(path)} (connection {settings.conn_id!r})"
    shown = repr(next_url if not isinstance(next_url, str) else urls.loggable_link(next_url))
    if not isinstance(next_url, str) or "://" not in next_url:
        raise FrontPaginationError(
            f"{where}: Front's _pagination.next is not an absolute URL: {shown}; the "
            f"listing cannot go on without guessing a path"
        )
    try:
        urls.check_token_destination(next_url, settings.base_url, settings.allowed_hosts, settings.conn_id)
    except FrontUnsafeURLError as exc:
        raise FrontUnsafeURLError(f"{where}: Front's _pagination.next {shown} is refused. {exc}") from None
