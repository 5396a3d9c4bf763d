"""``front-sync oauth connect|status``: connect a Front app from a terminal (no browser on this machine).

``connect`` prints Front's authorize URL; an admin opens it anywhere, approves, and pastes back the URL the
browser was sent to (its ``state`` is checked) or just the ``code``. The tokens go to the warehouse, encrypted;
nothing secret is printed.
"""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from front_sync.sync import oauth_connect

CLI_USER = "cli"


def code_from(answer: str, expected_state: str) -> str:
    """The code from a pasted redirect URL (its ``state`` must match) or a bare code; ValueError otherwise."""
    answer = answer.strip()
    if "://" not in answer and "code=" not in answer:
        if not answer:
            raise ValueError("no code given")
        return answer
    query = parse_qs(urlsplit(answer).query if "://" in answer else answer.lstrip("?"))
    if "error" in query:
        raise ValueError(f"Front answered {query['error'][0]!r}: the app was not approved")
    if query.get("state", [""])[0] != expected_state:
        raise ValueError("the URL's state is not the one this command started with: run it again")
    if not query.get("code"):
        raise ValueError("the URL has no code")
    return query["code"][0]


def connect(
    conn_id: str, warehouse_conn_id: str, read: Callable[[str], str] = input, write: Callable[[str], None] = print
) -> int:
    """Print the authorize URL, read the answer, exchange it and store the tokens; 0 when connected."""
    user = f"{CLI_USER}:{getpass.getuser()}"
    redirect_uri = oauth_connect.redirect_uri_of(conn_id)
    url, cookie = oauth_connect.start(conn_id, user, redirect_uri)
    state = cookie.split(".", 1)[0]
    write(f"1. As an admin of the Front company, open:\n\n   {url}\n")
    write(f"2. Approve the app. Your browser is sent to {redirect_uri}?code=...&state=...")
    write("   (the page may not load: that is fine). Paste that whole address (or only the code) here.")
    try:
        code = code_from(read("address or code: "), state)
    except ValueError as exc:
        write(f"front-sync: {exc}")
        return 1
    connected = oauth_connect.complete(conn_id, code, user, redirect_uri, warehouse_conn_id)
    write(
        f"Connected {connected.conn_id!r} to Front company {connected.company!r}; the tokens are stored "
        "encrypted in the warehouse and refresh themselves."
    )
    return 0


def status(warehouse_conn_id: str, write: Callable[[str], None] = print) -> int:
    """One line per OAuth connection: status, who connected it and when, refreshes; 3 if one needs a reconnect."""
    rows = oauth_connect.status(warehouse_conn_id)
    if not rows:
        write("No OAuth connection has been connected in this warehouse.")
    for row in rows:
        write(
            f"{row['conn_id']}: {row['status']} (connected {row['connected_at']:%Y-%m-%d %H:%M} UTC by "
            f"{row['connected_by']}, {row['refresh_count']} refreshes, access token expires "
            f"{row['expires_at']:%H:%M:%S} UTC){': ' + row['status_message'] if row['status_message'] else ''}"
        )
    return 3 if any(row["status"] != "connected" for row in rows) else 0


def run(args: argparse.Namespace) -> int:
    if args.oauth_command == "connect":
        return connect(args.conn_id, args.warehouse_conn_id)
    return status(args.warehouse_conn_id)
