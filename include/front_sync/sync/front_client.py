"""FrontHook with the stores every worker shares: the rate budget and (OAuth connections) the token pair.

Every caller that talks to Front from a task, the CLI or the UI opens the hook here, so an OAuth connection
finds its tokens wherever it runs. The token store connects only when the connection uses OAuth.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import psycopg

from front_sync.config import WAREHOUSE_CONN_ID
from front_sync.hooks.front import FrontHook
from front_sync.warehouse.budget_store import PostgresBudgetStore
from front_sync.warehouse.connection import warehouse_connection
from front_sync.warehouse.oauth_store import PostgresTokenStore


def token_store_conn_id(front: FrontHook, default: str = WAREHOUSE_CONN_ID) -> str:
    """Where an OAuth connection's tokens live: its ``warehouse_conn_id`` extra, else the caller's warehouse."""
    return front.settings.warehouse_conn_id or default


@contextmanager
def open_front_hook(
    front_conn_id: str, warehouse_conn_id: str = WAREHOUSE_CONN_ID, *, shared_budget: bool = False, **hook_kwargs: Any
) -> Iterator[FrontHook]:
    """A FrontHook whose OAuth tokens (and, with ``shared_budget``, rate budget) live in the warehouse."""
    with ExitStack() as stack:
        hook_kwargs.setdefault(
            "budget_store",
            stack.enter_context(PostgresBudgetStore(lambda: warehouse_connection(warehouse_conn_id)))
            if shared_budget
            else None,
        )
        front: FrontHook | None = None

        def connect_tokens() -> psycopg.Connection:  # called at the hook's first token read, once `front` exists
            assert front is not None
            return warehouse_connection(token_store_conn_id(front, warehouse_conn_id))

        tokens = stack.enter_context(PostgresTokenStore(connect_tokens))
        front = stack.enter_context(FrontHook(front_conn_id, token_store=tokens, **hook_kwargs))
        yield front
