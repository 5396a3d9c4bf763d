"""What FrontHook raises, sorted by what the caller (and Airflow) should do about it.

- ``FrontAPIError`` and subclasses are plain exceptions: uncaught, Airflow's task retry applies.
  ``FrontRetryableError`` (retries spent; ``FrontLooksDownError`` when the circuit breaker is open) is the
  one to expect; ``FrontNotFound`` and ``FrontConversationMerged`` are answers the caller records and moves on.
- ``AirflowFailException`` subclasses (auth, bad request, config, unsafe URL) fail the task at once: no retry
  can fix them.

Messages name the method, the path without its query string and the connection, never the token or a body.
"""

from __future__ import annotations

from airflow.sdk.exceptions import AirflowFailException


class FrontAPIError(RuntimeError):
    """Front answered with an error the task cannot fix by itself; the Airflow task retry may."""


class FrontRetryableError(FrontAPIError):
    """A transient failure outlasted the hook's own retries; the task retry resumes from its checkpoint."""

    def __init__(self, message: str, cause: str = "") -> None:
        super().__init__(message)
        self.cause = cause


class FrontLooksDownError(FrontRetryableError):
    """The circuit breaker is open: too many consecutive failed requests, so the hook stops calling Front."""


class FrontPaginationError(FrontAPIError):
    """Front's `_pagination.next` cannot be followed (not an absolute URL); the message names the listing and link."""


class FrontNotFound(FrontAPIError):
    """404: the resource (typically a conversation's messages after it has gone) does not exist; record it missing."""

    def __init__(self, path: str) -> None:
        super().__init__(f"GET {path} answered 404: not found")
        self.path = path


class FrontConversationMerged(FrontAPIError):
    """301 on a conversation or its sub-resource: ``old_id`` was merged into ``surviving_id`` (not followed)."""

    def __init__(self, old_id: str, surviving_id: str, path: str) -> None:
        super().__init__(f"GET {path} answered 301: conversation {old_id} was merged into {surviving_id}")
        self.old_id = old_id
        self.surviving_id = surviving_id
        self.path = path


class FrontAuthError(AirflowFailException):
    """The token is missing, wrong or lacks a scope: retrying cannot help, so the task fails at once."""


class FrontBadRequestError(AirflowFailException):
    """Front refused the request itself (400 or another 4xx): the same request would fail again."""


class FrontConfigError(AirflowFailException):
    """A connection setting is wrong; the message names the connection and the setting."""


class FrontUnsafeURLError(AirflowFailException):
    """A URL from Front points outside the allow-list; the token is never sent there."""
