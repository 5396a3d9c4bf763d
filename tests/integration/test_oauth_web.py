"""Issue 23, "Connect Front" in Airflow's own api-server app (plugins/front_sync_oauth.py mounted as the
api-server mounts it): behind Airflow's login and connection-edit permission, a state bound to the session and
user, the code exchanged once, the tokens stored encrypted, and status.json without a token."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
import requests

from .test_oauth import issued_tokens, oauth  # noqa: F401 - the fixture

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api_app(airflow_db):
    from airflow.api_fastapi.app import create_app

    return create_app()


def jwt(username: str, role: str) -> str:
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    return get_auth_manager().generate_jwt(SimpleAuthManagerUser(username=username, role=role))


@pytest.fixture
def client(api_app):
    from fastapi.testclient import TestClient

    return TestClient(api_app, follow_redirects=False)


def start(client, user: str = "admin") -> tuple[str, str, str]:
    """Click "Connect Front" as ``user``; approve at the simulator: (code, state, the state cookie)."""
    client.cookies.set("_token", jwt(user, "ADMIN"))
    answer = client.get("/front-sync-oauth/connect")
    assert answer.status_code == 302, answer.text
    cookie = answer.cookies.get("front_sync_oauth_state")
    assert cookie and "httponly" in answer.headers["set-cookie"].lower()
    front = requests.get(answer.headers["location"], allow_redirects=False, timeout=10)
    query = parse_qs(urlsplit(front.headers["location"]).query)
    return query["code"][0], query["state"][0], cookie


def test_connect_needs_login_and_permission_to_edit_connections(client, oauth, api_app):  # noqa: F811
    assert client.get("/front-sync-oauth/connect").status_code == 401
    client.cookies.set("_token", jwt("viewer", "VIEWER"))
    assert client.get("/front-sync-oauth/connect").status_code == 403
    assert client.get("/front-sync-oauth/callback?code=x&state=y").status_code == 403


def test_connect_front_round_trip_stores_tokens_and_returns_to_the_dashboard(client, oauth, warehouse_url):  # noqa: F811
    code, state, cookie = start(client)
    back = client.get(
        "/front-sync-oauth/callback", params={"code": code, "state": state}, cookies={"front_sync_oauth_state": cookie}
    )
    assert back.status_code == 303 and back.headers["location"] == "/front-sync/?oauth=connected", back.text
    assert oauth.stats()["code_exchanges"] == 1
    status = client.get("/front-sync-oauth/status.json")
    assert status.status_code == 200 and status.json()[0]["status"] == "connected"
    assert status.json()[0]["connected_by"] == "admin"
    assert not [t for t in issued_tokens(oauth) if t in status.text]
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("SELECT count(*) FROM front.oauth_tokens WHERE status = 'connected'").fetchone()[0] == 1
    again = client.get(
        "/front-sync-oauth/callback", params={"code": code, "state": state}, cookies={"front_sync_oauth_state": cookie}
    )
    assert again.status_code == 400 and "invalid_grant" in again.text  # a code works once


@pytest.mark.parametrize("attack", ["forged state", "no cookie", "another user"])
def test_a_callback_outside_the_session_that_started_it_is_refused(client, oauth, warehouse_url, attack):  # noqa: F811
    code, state, cookie = start(client)
    if attack == "forged state":
        state = "forged"
    if attack == "no cookie":
        cookie = ""
    if attack == "another user":
        client.cookies.set("_token", jwt("other-admin", "ADMIN"))
    answer = client.get(
        "/front-sync-oauth/callback", params={"code": code, "state": state}, cookies={"front_sync_oauth_state": cookie}
    )
    assert answer.status_code == 403 and "start again" in answer.text
    assert oauth.stats()["code_exchanges"] == 0  # the code was never exchanged
