"""Issue 23 (OAuth for Front apps), over real HTTP against the simulator's OAuth server and a real PostgreSQL:
the connect flow (state checked, code exchanged once, bad state refused), single-flight refresh (eight threads
in two processes at expiry: one refresh), rotation (an old refresh token is never sent again), revocation
(a clear failure, an alert, no retry storm), and that no OAuth token reaches logs, errors or the warehouse.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
import time
import traceback
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
import requests

from front_simulator.oauth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, OAuthServer

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server

CALLBACK = "http://127.0.0.1:9/front-sync-oauth/callback"  # Front redirects the browser here; never fetched


def oauth_connection(base_url: str, **extra) -> str:
    """front_default as an OAuth app of the simulator (login = client id, password = client secret)."""
    return json.dumps(
        {
            "conn_type": "front",
            "host": base_url,
            "login": DEFAULT_CLIENT_ID,
            "password": DEFAULT_CLIENT_SECRET,
            "extra": {
                "auth": "oauth",
                "oauth_url": base_url,
                "oauth_redirect_uri": CALLBACK,
                "allowed_hosts": ["localhost"],
                "rpm": 100_000,
                "share": 1.0,
                "burst_per_second": 0,
                **extra,
            },
        }
    )


@pytest.fixture
def oauth(simulator, simulator_server, warehouse_url, monkeypatch, caplog):
    """A fresh OAuth server in the simulator and front_default as its app; after the test, no issued token
    (access or refresh) may appear in the captured logs."""
    server = OAuthServer()
    simulator_server.state.oauth = server
    monkeypatch.setenv("AIRFLOW_CONN_FRONT_DEFAULT", oauth_connection(simulator_server.base_url))
    caplog.set_level(logging.DEBUG)
    yield server
    leaked = [t for t in issued_tokens(server) if t in caplog.text]
    assert not leaked, f"{len(leaked)} OAuth token(s) in the logs"


def issued_tokens(server: OAuthServer) -> list[str]:
    """Every access and refresh token the simulated server ever issued (for the leak checks)."""
    return [*server._access, *server._refresh, *server._retired]


def full_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)) + repr(exc)


def approve(url: str) -> tuple[str, str]:
    """Follow Front's authorize URL as an admin's browser would: (code, state) from the redirect."""
    answer = requests.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    return query["code"][0], query["state"][0]


def connect(user: str = "admin") -> None:
    from front_sync.sync import oauth_connect

    url, cookie = oauth_connect.start("front_default", user)
    code, state = approve(url)
    oauth_connect.check_state("front_default", state, cookie, user)
    oauth_connect.complete("front_default", code, user)


def expire_now(warehouse_url: str) -> None:
    """The stored access token reaches its expiry (by the database clock every worker uses)."""
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        conn.execute("UPDATE front.oauth_tokens SET expires_at = clock_timestamp() - interval '1 second'")


def token_row(warehouse_url: str) -> dict:
    with psycopg.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT * FROM front.oauth_tokens")
        names = [d.name for d in cur.description]
        return dict(zip(names, cur.fetchone(), strict=True))


def test_connect_checks_state_exchanges_the_code_once_and_stores_tokens_encrypted(oauth, warehouse_url):
    """Issue 23, Connect: state bound to the session and user; the code works once; tokens encrypted at rest."""
    from front_sync.hooks.oauth import FrontOAuthReconnect
    from front_sync.sync import oauth_connect
    from front_sync.sync.front_client import open_front_hook

    url, cookie = oauth_connect.start("front_default", "admin")
    assert "/oauth/authorize?" in url and f"client_id={DEFAULT_CLIENT_ID}" in url and "state=" in url
    code, state = approve(url)
    for bad_state, bad_cookie, user in (
        ("forged", cookie, "admin"),
        (state, None, "admin"),
        (state, cookie, "mallory"),
        (state, cookie.replace(".", "x.", 1), "admin"),
    ):
        with pytest.raises(oauth_connect.OAuthStateError, match="start again|this browser session"):
            oauth_connect.check_state("front_default", bad_state, bad_cookie, user)
    oauth_connect.check_state("front_default", state, cookie, "admin")
    connected = oauth_connect.complete("front_default", code, "admin")
    assert connected.company  # GET /me answered with the new access token
    with pytest.raises(FrontOAuthReconnect, match="invalid_grant") as caught:
        oauth_connect.complete("front_default", code, "admin")  # a code works once
    assert oauth.stats()["code_exchanges"] == 1 and code not in full_text(caught.value)

    row = token_row(warehouse_url)
    stored = bytes(row["access_token"]) + bytes(row["refresh_token"]) + json.dumps(row, default=str).encode()
    assert row["status"] == "connected" and row["connected_by"] == "admin" and row["generation"] == 1
    assert not [t for t in issued_tokens(oauth) if t.encode() in stored]  # ciphertext only
    with open_front_hook("front_default") as front:
        assert list(front.iter_pages("/inboxes")) and front.metrics.by_status == {200: front.metrics.calls}


def test_a_static_token_connection_is_unchanged_and_cannot_be_connected(simulator, warehouse_url):
    """Issue 23: static API tokens keep working without a token store; OAuth connect refuses them clearly."""
    from front_sync.hooks.front import FrontConfigError, FrontHook
    from front_sync.sync import oauth_connect

    with FrontHook() as front:
        assert front.get_me()["name"] and front.tokens is None
    with pytest.raises(FrontConfigError, match='auth to "oauth"'):
        oauth_connect.start("front_default", "admin")


def test_an_oauth_connection_without_token_store_fails_with_the_fix(oauth):
    from front_sync.hooks.front import FrontConfigError, FrontHook

    with pytest.raises(FrontConfigError, match="open_front_hook"), FrontHook() as front:
        front.get_me()


CHILD = textwrap.dedent("""
    import sys, threading
    from front_sync.sync.front_client import open_front_hook
    sys.stdout.write("ready\\n"); sys.stdout.flush()
    sys.stdin.readline()  # the go signal: every thread of both processes starts together
    barrier, results = threading.Barrier(4), []
    def one():
        with open_front_hook("front_default") as front:  # a hook (token source, store connection) per thread
            barrier.wait()
            results.append(front.get_me()["name"] and front.tokens.refreshes)
    threads = [threading.Thread(target=one) for _ in range(4)]
    [t.start() for t in threads]; [t.join() for t in threads]
    print("refreshes", sum(results), "ok", len(results))
""")


def test_eight_threads_in_two_processes_at_expiry_refresh_exactly_once(oauth, warehouse_url):
    """Issue 23, single-flight: at expiry 8 threads in 2 processes all need a token; one refresh serves all."""
    connect()
    expire_now(warehouse_url)
    oauth.reset_stats()
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        for _ in range(2)
    ]
    for child in children:
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
    for child in children:
        child.stdin.write("go\n")
        child.stdin.flush()
    outputs = [child.communicate(timeout=120) for child in children]
    assert all(child.returncode == 0 for child in children), [err[-2000:] for _, err in outputs]
    lines = [out.strip().splitlines()[-1].split() for out, _ in outputs]
    assert sum(int(line[1]) for line in lines) == 1 and sum(int(line[3]) for line in lines) == 8, lines
    stats = oauth.stats()
    assert stats["refreshes"] == 1 and stats["refresh_requests"] == 1 and stats["expired_token_401s"] == 0
    assert token_row(warehouse_url)["generation"] == 2
    for _, err in outputs:
        assert not [t for t in issued_tokens(oauth) if t in err]


def test_rotation_retires_each_refresh_token_and_never_sends_it_again(oauth, warehouse_url):
    """Issue 23, rotation: each refresh stores the new refresh token in the transaction that retires the old;
    over several expiries and a 401 no refresh token is ever presented twice."""
    from front_sync.sync.front_client import open_front_hook

    connect()
    with open_front_hook("front_default") as front:
        front.get_me()
        for _ in range(3):
            expire_now(warehouse_url)
            front.tokens._deadline = 0.0  # this hook's cached deadline passes too (a task running on)
            front.get_me()
        # Front rejects the access token early (its clock, a revoked session): one refresh, sent once more.
        oauth.clock = lambda: time.time() + 10_000
        front.get_me()
        oauth.clock = time.time
        assert front.metrics.oauth_401_renewals == 1 and front.tokens.refreshes == 4
    stats = oauth.stats()
    assert stats["refreshes"] == 4 and stats["refresh_tokens_presented_twice"] == 0 and stats["invalid_grant"] == 0
    with psycopg.connect(warehouse_url) as conn:
        used = conn.execute("SELECT generation, reason FROM front.oauth_refresh_tokens_used ORDER BY 1").fetchall()
    assert used == [(g, "refreshed") for g in (1, 2, 3, 4)] and token_row(warehouse_url)["generation"] == 5


def test_revocation_fails_fast_with_reconnect_alerts_once_and_never_storms(oauth, warehouse_url, slack_sink):
    """Issue 23, revocation: invalid_grant -> "reconnect Front at <page>", one refresh attempt in all, every
    later call fails at once without asking Front, and the monitor alert goes out once."""
    from front_sync.config import SyncConfig
    from front_sync.hooks.oauth import FrontOAuthReconnect
    from front_sync.ops import monitor
    from front_sync.sync.front_client import open_front_hook

    connect()
    oauth.revoke()
    expire_now(warehouse_url)
    oauth.reset_stats()
    failures = []
    for _ in range(3):  # three tasks (or retries) after the revocation
        with open_front_hook("front_default") as front, pytest.raises(FrontOAuthReconnect) as caught:
            list(front.map_concurrent(lambda _: front.get_me(), range(8)))
        failures.append(full_text(caught.value))
    assert oauth.stats()["refresh_requests"] == 1, oauth.stats()  # no storm: one refused refresh in all
    assert all("reconnect Front at http" in text and "/front-sync/" in text for text in failures)
    assert not [t for t in issued_tokens(oauth) if any(t in text for text in failures)]
    row = token_row(warehouse_url)
    assert row["status"] == "reconnect_needed" and "invalid_grant" in row["status_message"]

    with psycopg.connect(warehouse_url) as conn:
        for _ in range(2):
            monitor.run_checks(conn, SyncConfig(), datetime.now(UTC))
    assert len([m for m in slack_sink if "reconnect Front" in m]) == 1, slack_sink
    connect()  # an admin reconnects: the alert's condition clears and syncing works again
    with open_front_hook("front_default") as front:
        assert front.get_me()["name"]
    assert token_row(warehouse_url)["status"] == "connected"


def test_a_changed_client_secret_asks_for_a_reconnect(oauth, warehouse_url, simulator_server, monkeypatch):
    """The key derives from the client secret: a row sealed under another secret is unreadable -> reconnect."""
    from front_sync.hooks.oauth import FrontOAuthReconnect
    from front_sync.sync.front_client import open_front_hook

    connect()
    changed = json.loads(oauth_connection(simulator_server.base_url))
    changed["password"] = "a-rotated-secret"
    monkeypatch.setenv("AIRFLOW_CONN_FRONT_DEFAULT", json.dumps(changed))
    with open_front_hook("front_default") as front, pytest.raises(FrontOAuthReconnect, match="decrypted"):
        front.get_me()


def test_headless_connect_prints_the_url_and_accepts_the_pasted_redirect(oauth, warehouse_url):
    """Issue 23, headless: `front-sync oauth connect` prints the authorize URL and takes back the redirect URL
    (state checked) or the bare code; `front-sync oauth status` shows the state, never a token."""
    script = os.path.join(os.path.dirname(sys.executable), "front-sync")

    def run_connect(answer_for) -> subprocess.CompletedProcess:
        child = subprocess.Popen(
            [script, "oauth", "connect"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        url = ""
        while "/oauth/authorize?" not in url:
            url = child.stdout.readline()
            assert url, child.stderr.read()[-2000:]
        out, err = child.communicate(answer_for(url.strip()) + "\n", timeout=120)
        return subprocess.CompletedProcess(child.args, child.returncode, url + out, err)

    forged = run_connect(lambda url: f"{CALLBACK}?code={approve(url)[0]}&state=forged")
    assert forged.returncode == 1 and "state" in forged.stdout and oauth.stats()["code_exchanges"] == 0

    def redirect(url: str) -> str:
        code, state = approve(url)
        return f"{CALLBACK}?code={code}&state={state}"

    done = run_connect(redirect)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Connected 'front_default'" in done.stdout and oauth.stats()["code_exchanges"] == 1
    status = subprocess.run(
        [script, "oauth", "status"], capture_output=True, text=True, timeout=120, env=os.environ.copy()
    )
    assert status.returncode == 0 and "front_default: connected" in status.stdout, status.stderr[-2000:]
    output = done.stdout + done.stderr + status.stdout + status.stderr
    assert not [t for t in issued_tokens(oauth) if t in output]


def test_oauth_tokens_see_shared_inboxes_only(oauth, simulator, simulator_server, warehouse_url):
    """Issue 23, simulator: like Front, an OAuth access token does not see private inboxes (the static token does);
    the truth for an OAuth viewer leaves them out too."""
    from front_sync.hooks.front import FrontHook, FrontNotFound
    from front_sync.sync.front_client import open_front_hook
    from tests.conftest import front_connection_json

    simulator.reset(seed=4, sizes={"contacts": 0, "inboxes": 12})
    everything = {i["id"]: i["is_private"] for i in simulator.truth("inboxes")["_results"]}
    private = [i for i, is_private in everything.items() if is_private]
    assert private and len(private) < len(everything)  # the seed has both kinds
    connect()
    with open_front_hook("front_default") as front:
        seen = {i["id"] for page in front.iter_pages("/inboxes") for i in page}
        with pytest.raises(FrontNotFound):
            front.request_json(f"/inboxes/{private[0]}")
    assert seen == everything.keys() - set(private)
    assert seen == {i["id"] for i in simulator.truth("inboxes", viewer="oauth")["_results"]}
    os.environ["AIRFLOW_CONN_FRONT_DEFAULT"] = front_connection_json(simulator_server.base_url)  # monkeypatched
    with FrontHook() as front:
        assert {i["id"] for page in front.iter_pages("/inboxes") for i in page} == everything.keys()


def test_the_estimate_and_its_scope_check_work_with_oauth(oauth, simulator):
    """Issue 23: the estimate samples through an OAuth connection like through a static token; a 403 names the
    scope and the app's settings; a revoked app is not mistaken for a missing scope."""
    from decimal import Decimal

    from front_sync.config import SyncConfig
    from front_sync.estimate.cli import run_estimate
    from front_sync.hooks.oauth import FrontOAuthReconnect
    from front_sync.sync.front_client import open_front_hook

    simulator.reset(seed=1, sizes={"contacts": 40, "conversations": 10})
    connect()
    simulator.set_faults([{"endpoint": "/events", "kind": "status", "status": 403}])
    with open_front_hook("front_default") as front:
        result = run_estimate(front, SyncConfig(), Decimal(repr(time.time())))
        assert result.sample.calls > 3 and result.sample.scope_errors == {"/events": "403: needs events:*:read"}
        with pytest.raises(Exception, match="the app's scopes under Settings > Developers"):
            front.request_json("/events")
    oauth.revoke()  # the access token still looks fresh to us: Front's 401, one refresh, invalid_grant
    with open_front_hook("front_default") as front, pytest.raises(FrontOAuthReconnect, match="reconnect Front"):
        run_estimate(front, SyncConfig(), Decimal(repr(time.time())))
    assert oauth.stats()["invalid_grant"] == 1
