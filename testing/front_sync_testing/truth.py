"""Helpers of the end-to-end tests: the DAGs, warehouse queries, and the comparison with the simulator's truth."""

from __future__ import annotations

import time
from decimal import Decimal

from psycopg import sql

from front_sync_testing import ROOT  # noqa: F401 - the end-to-end tests read it from here
from front_sync_testing.db import fetch

SIZES = {
    "contacts": 300,
    "conversations": 120,
    "teammates": 6,
    "inboxes": 4,
    "channels": 4,
    "tags": 10,
    "contact_lists": 3,
    "messages_per_conversation": 3,
    "comments_per_conversation": 1,
    "ticketing": 1,
}
# A small account for focused end-to-end tests: every resource present, a few of each.
SMALL_ACCOUNT = {
    "contacts": 10,
    "conversations": 4,
    "teammates": 3,
    "inboxes": 2,
    "channels": 2,
    "tags": 4,
    "contact_lists": 1,
    "messages_per_conversation": 2,
    "comments_per_conversation": 1,
}


def small_account(**sizes: int) -> dict[str, int]:
    """SMALL_ACCOUNT with the sizes a test cares about changed (the simulator's --sizes)."""
    unknown = set(sizes) - set(SMALL_ACCOUNT)
    if unknown:
        raise ValueError(f"not a simulator size: {sorted(unknown)}")
    return {**SMALL_ACCOUNT, **sizes}


# warehouse table -> the simulator truth resource(s) it holds
TABLES = {
    "contacts": "contacts",
    "contact_lists": "contact_lists",
    "tags": "tags",
    "inboxes": "inboxes",
    "teammates": "teammates",
    "channels": "channels",
    "teams": "teams",
    "accounts": "accounts",
    "links": "links",
    "conversation_statuses": "statuses",
    "custom_fields": (
        "custom_fields",
        "inbox_custom_fields",
        "teammate_custom_fields",
        "account_custom_fields",
        "link_custom_fields",
    ),
    "conversations": "conversations",
    "messages": "messages",
    "comments": "comments",
}


def query(url, statement, params=()):
    """The rows of one statement on the warehouse, as dicts."""
    return fetch(url, statement, params, dicts=True)


def live_rows(url, table):
    """{id: raw} of a warehouse table's rows not soft-deleted."""
    return dict(
        fetch(url, sql.SQL("SELECT id, raw FROM {} WHERE deleted_at IS NULL").format(sql.Identifier("front", table)))
    )


def assert_matches_truth(simulator, url, tables=TABLES, viewer=None):
    """Each warehouse table's live rows equal the simulator's truth (as ``viewer`` "oauth" sees it, if given)."""
    for table, truth_names in tables.items():
        names = (truth_names,) if isinstance(truth_names, str) else truth_names
        truth = {r["id"]: r for name in names for r in simulator.truth(name, viewer)["_results"]}
        stored = live_rows(url, table)
        missing, extra = truth.keys() - stored.keys(), stored.keys() - truth.keys()
        assert not missing and not extra, f"{table}: {len(missing)} missing, {len(extra)} extra"
        differing = [i for i in truth if truth[i] != stored[i]]
        if differing:
            one = differing[0]
            keys = sorted(k for k in truth[one].keys() | stored[one].keys() if truth[one].get(k) != stored[one].get(k))
            detail = {k: (truth[one].get(k), stored[one].get(k)) for k in keys}
            raise AssertionError(f"{table}: {len(differing)} rows differ; {one}: truth vs stored {detail}")


def wait_past(simulator):
    """Changes are stamped a few ms ahead of the clock at most; a run's window ends at its trigger time."""
    newest = max(Decimal(str(e["emitted_at"])) for e in simulator.truth("events")["_results"])
    contacts = [Decimal(str(c.get("updated_at") or 0)) for c in simulator.truth("contacts")["_results"]]
    newest = max([newest, *contacts])
    while Decimal(time.time()) <= newest:
        time.sleep(0.01)


def run(dag, **conf):
    return dag.test(run_conf=conf or None)
