"""Issue 23, "Connect Front" in a real headless chromium: Airflow started by `make airflow`'s script with
front_default as an OAuth app of the simulator (no token stored yet); log in, click "Connect Front" on the Front
sync page, approve on the simulator's authorize page, land back on the page showing "Front connected", and the
connection works: a real incremental sync (dag.test()) with the tokens the browser flow stored. No OAuth token
shows in the page, status.json or the api-server's log.
"""

from __future__ import annotations

import json
import time

import psycopg
import pytest

from front_simulator.oauth import OAuthServer

from .conftest import STARTUP_SECONDS, log_in, standalone_airflow

pytestmark = pytest.mark.integration


def oauth_connection(base_url: str) -> str:
    """front_default as the simulator's OAuth app; the redirect URI is this Airflow's callback (the default)."""
    oauth = OAuthServer()
    return json.dumps(
        {
            "conn_type": "front",
            "host": base_url,
            "login": oauth.client_id,
            "password": oauth.client_secret,
            "extra": {
                "auth": "oauth",
                "oauth_url": base_url,
                "allowed_hosts": ["localhost"],
                "rpm": 100_000,
                "share": 1.0,
                "burst_per_second": 0,
            },
        }
    )


@pytest.fixture(scope="module")
def oauth_server(simulator_server, ui_simulator):
    """A fresh OAuth server that asks for a click on its authorize page (as Front does)."""
    server = OAuthServer(auto_approve=False)
    simulator_server.state.oauth = server
    return server


@pytest.fixture(scope="module")
def oauth_airflow(chromium, ui_warehouse, oauth_server, simulator_server, tmp_path_factory):
    """make airflow's script on a free port, front_default an OAuth app, nothing connected yet."""
    with standalone_airflow(
        ui_warehouse,
        oauth_connection(simulator_server.base_url),
        tmp_path_factory.mktemp("airflow-oauth"),
        "front-sync-ui-oauth-",
    ) as airflow:
        airflow.wait_healthy(STARTUP_SECONDS)
        yield airflow


def test_connect_front_in_chromium_lands_back_connected_and_the_sync_works(
    browser, oauth_airflow, oauth_server, ui_warehouse, simulator_server, screenshots, airflow_db
):
    tab = browser.page()
    tab.navigate(oauth_airflow.base_url + "/")
    log_in(tab, oauth_airflow.password)

    tab.navigate(oauth_airflow.base_url + "/front-sync/")
    tab.wait_for(
        "document.getElementById('oauth-status')?.dataset.state === 'none'",
        timeout=60,
        what="the page saying nothing is connected",
    )
    tab.evaluate("document.getElementById('connect-front').click()")
    tab.wait_for("document.getElementById('authorize')", timeout=30, what="the simulator's authorize page")
    assert tab.evaluate("location.pathname") == "/oauth/authorize"
    tab.screenshot(screenshots / "oauth-authorize.png")
    tab.evaluate("document.getElementById('authorize').click()")
    tab.wait_for(
        "document.getElementById('oauth-status')?.dataset.state === 'connected'",
        timeout=60,
        what="the Front sync page after the callback",
    )
    assert tab.evaluate("location.pathname + location.search") == "/front-sync/?oauth=connected"
    status_line = tab.evaluate("document.getElementById('oauth-status').textContent")
    assert status_line.startswith("Front connected.") and "front_default: Front connected (by admin" in status_line
    tab.screenshot(screenshots / "oauth-connected.png")
    print(f"\nscreenshots in {screenshots}")
    stats = oauth_server.stats()
    assert stats["authorized"] == 1 and stats["code_exchanges"] == 1

    tokens = [*oauth_server._access, *oauth_server._refresh]
    page_html = tab.evaluate("document.documentElement.outerHTML")
    status, body = oauth_airflow.request("GET", "/front-sync-oauth/status.json")
    assert status == 200 and body[0]["status"] == "connected"
    for text in (page_html, json.dumps(body), oauth_airflow.log.read_text(errors="replace")):
        assert not [t for t in tokens if t in text]
    with psycopg.connect(ui_warehouse) as conn:
        stored = conn.execute("SELECT access_token, refresh_token FROM front.oauth_tokens").fetchone()
    assert stored and not [t for t in tokens if t.encode() in bytes(stored[0]) + bytes(stored[1])]

    # The connection works: a real sync with the tokens the browser flow stored, then the page shows it.
    from front_sync_testing.dags import parse_dags

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIRFLOW_CONN_FRONT_WAREHOUSE", ui_warehouse)
        mp.setenv("AIRFLOW_CONN_FRONT_DEFAULT", oauth_connection(simulator_server.base_url))
        started = time.monotonic()
        run = parse_dags().dags["front_sync_incremental"].test()
    assert run.state == "success", f"sync with the stored OAuth tokens: {run.state}"
    print(f"sync with OAuth tokens: {time.monotonic() - started:.0f} s")
    assert oauth_server.stats()["oauth_requests"] > 0
    tab.navigate(oauth_airflow.base_url + "/front-sync/")
    tab.wait_for(
        "document.body.dataset.state === 'ready' && "
        "document.getElementById('oauth-status')?.dataset.state === 'connected'",
        timeout=60,
        what="the dashboard with data and the connection",
    )
    tab.close()
