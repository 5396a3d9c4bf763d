"""The `integration` marker matches reality: a test that needs PostgreSQL (the postgres_server fixture, directly or
through other fixtures) must carry it, so `-m integration` / `-m "not integration"` select what they say."""

from __future__ import annotations

import pytest

SERVER_FIXTURE = "postgres_server"
MARKER = "integration"


def require_integration_marker(item: pytest.Item) -> None:
    """pytest_runtest_setup: fail, before any fixture starts, a test that reaches postgres_server unmarked."""
    if SERVER_FIXTURE in getattr(item, "fixturenames", ()) and item.get_closest_marker(MARKER) is None:
        pytest.fail(
            f"{item.nodeid} needs PostgreSQL (fixture {SERVER_FIXTURE}, directly or through another "
            f"fixture) but is not marked {MARKER}: add `pytestmark = pytest.mark.{MARKER}` to its module",
            pytrace=False,
        )
