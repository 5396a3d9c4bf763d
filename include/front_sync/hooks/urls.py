"""Where the token may go, and what of a URL may be logged: the hook's URL rules in one place."""

from __future__ import annotations

import fnmatch
import re
from urllib.parse import parse_qs, urlsplit

from requests import PreparedRequest
from requests.auth import AuthBase

from front_sync.hooks.errors import FrontUnsafeURLError

# A search query is user text (e-mail addresses, names): keep it out of logs and error messages.
_SEARCH_QUERY = re.compile(r"^(/conversations/search/)[^/]+")


def check_token_destination(url: str, base_url: str, allowed_hosts: tuple[str, ...], conn_id: str) -> None:
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
        problem = f"host {host!r} is neither the base host {base.hostname!r} nor in allowed_hosts {list(allowed_hosts)}"
    if problem:
        raise FrontUnsafeURLError(f"Refusing to send the token of connection {conn_id!r}: {problem}.")


class BearerTokenAuth(AuthBase):
    """The session's auth: ``Authorization: Bearer <token>``, added only to a URL the token may go to.

    The check sits where the header is added, so no request of the session, whatever built it, can carry the
    token to another host; the hook also checks every URL (and next link) before it spends budget on it.
    """

    def __init__(self, token: str, base_url: str, allowed_hosts: tuple[str, ...], conn_id: str) -> None:
        self._token = token
        self.base_url = base_url
        self.allowed_hosts = allowed_hosts
        self.conn_id = conn_id

    def token(self) -> str:
        """The token to send (OAuthBearerAuth: the current access token)."""
        return self._token

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        check_token_destination(request.url or "", self.base_url, self.allowed_hosts, self.conn_id)
        request.headers["Authorization"] = f"Bearer {self.token()}"
        return request

    def __repr__(self) -> str:  # never the token
        return f"{type(self).__name__}(conn_id={self.conn_id!r})"


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


def is_search(path: str) -> bool:
    """Whether a path is Front's conversation search, which has its own limit (40 % of the plan)."""
    return path.strip("/").split("/")[:2] == ["conversations", "search"]
