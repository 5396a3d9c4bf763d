"""Where the token may go, and what of a URL may be logged: the hook's URL rules in one place."""

from __future__ import annotations

import fnmatch
import re
from urllib.parse import parse_qs, urlsplit

from front_sync.hooks.errors import FrontUnsafeURLError

# A search query is user text (e-mail addresses, names): keep it out of logs and error messages.
_SEARCH_QUERY = re.compile(r"^(/conversations/search/)[^/]+")


def resolve(base_url: str, url_or_path: str) -> str:
    """An absolute URL: Front's links as given, or a path under the base URL."""
    if "://" in url_or_path:
        return url_or_path
    return f"{base_url}{url_or_path if url_or_path.startswith('/') else '/' + url_or_path}"


def check_token_destination(
    url: str, base_url: str, allowed_hosts: tuple[str, ...], conn_id: str
) -> None:
    """Raise unless ``url`` may receive the token: the base host or an allowed host, and no scheme downgrade.

    Also refuses URLs whose host could be read two ways (user info, backslashes), so the host checked here
    is the host requests connects to.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    base = urlsplit(base_url)
    problem = None
    if parts.scheme not in ("http", "https"):
        problem = f"scheme {parts.scheme!r} is not http(s)"
    elif "@" in parts.netloc or "\\" in url:
        problem = "the URL carries user info or backslashes"
    elif base.scheme == "https" and parts.scheme != "https":
        problem = "it would downgrade https to http"
    elif not (host == (base.hostname or "").lower() or any(fnmatch.fnmatchcase(host, p) for p in allowed_hosts)):
        problem = (
            f"host {host!r} is neither the base host {base.hostname!r} nor in allowed_hosts {list(allowed_hosts)}"
        )
    if problem:
        raise FrontUnsafeURLError(f"Refusing to send the token of connection {conn_id!r}: {problem}.")


def loggable_path(url: str) -> str:
    """The path of ``url`` without query string or search text: safe for logs and error messages."""
    return _SEARCH_QUERY.sub(r"\1{query}", urlsplit(url).path) or "/"


def loggable_link(url: str) -> str:
    """A link as it may appear in an error: scheme, host and path; no user info, query string or search text."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}" if parts.scheme else ""
    return f"{origin}{parts.path and loggable_path(url)}"[:300]


def page_token(url: str) -> str:
    """The ``page_token`` a next link carries (the whole URL when it has none), for loop detection."""
    tokens = parse_qs(urlsplit(url).query).get("page_token")
    return tokens[0] if tokens else url


def resource_of(path: str) -> str:
    """Front's burst limits are per resource type: the first path segment (contacts, conversations...)."""
    return path.strip("/").split("/", 1)[0] or "/"
