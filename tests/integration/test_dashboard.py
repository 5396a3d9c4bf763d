"""The Front sync page (plugins/front_sync_plugin.py) inside Airflow's own api-server app, on a real warehouse.

The app is Airflow's (create_app: the plugin mounted as the api-server mounts it, with its auth manager), so the
401s and 200s here are Airflow's authentication, not a stand-in.
"""

from __future__ import annotations

import json

import pytest

from front_sync.ops import dashboard
from front_sync.warehouse import migrations

pytestmark = pytest.mark.integration

SECRET_BODY = "Hello Jane, your invoice 4242 is attached"
SECRET_EMAIL = "jane.doe@example.com"


@pytest.fixture(scope="module")
def api_app(airflow_db):
    """Airflow's api-server app with this repository's plugins folder loaded."""
    from airflow.api_fastapi.app import create_app

    return create_app()


@pytest.fixture(scope="module")
def token(api_app):
    """A JWT for the simple auth manager's admin, as the UI's login would set it in the _token cookie."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    return get_auth_manager().generate_jwt(SimpleAuthManagerUser(username="admin", role="ADMIN"))


@pytest.fixture(scope="module")
def viewer_token(api_app):
    """A JWT for a read-only user."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    return get_auth_manager().generate_jwt(SimpleAuthManagerUser(username="viewer", role="VIEWER"))


@pytest.fixture
def client(api_app):
    from fastapi.testclient import TestClient

    return TestClient(api_app)


@pytest.fixture
def no_incremental_runs(airflow_db):
    """The page reads the newest front_sync_incremental run from Airflow's metadata DB, which every test of the
    session shares: another test's run would stand for this warehouse's (seen: a green row the suite's order made)."""
    from airflow.models import DagRun, TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        for model in (TaskInstance, DagRun):
            session.query(model).filter(model.dag_id == "front_sync_incremental").delete(synchronize_session=False)


@pytest.fixture
def seeded(warehouse, clean_variables, no_incremental_runs):
    """A migrated warehouse with sync_logs of several ages and outcomes, dead letters, conflicts and a queue."""
    migrations.migrate(warehouse)
    with warehouse.cursor() as cur:
        cur.execute("""
            INSERT INTO front.sync_logs (run_id, dag_id, task_id, try_number, resource, sync_type, status,
                started_at, completed_at, fetched, created, updated, unchanged, api_calls, error_message, metadata)
            VALUES
            ('r1', 'front_sync_incremental', 'sync_contacts', 1, 'contacts', 'incremental', 'success',
             now() - interval '30 min', now() - interval '29 min', 12, 10, 2, 0, 4, NULL,
             '{"quota_remaining_min": 77, "quota_limit": 100}'),
            ('r1', 'front_sync_incremental', 'sync_tags', 1, 'tags', 'full', 'success',
             now() - interval '91 min', now() - interval '90 min', 3, 0, 0, 3, 1, NULL,
             '{"quota_remaining_min": 55, "quota_limit": 100}'),
            ('r0', 'front_sync_full', 'sync_inboxes', 1, 'inboxes', 'full', 'success',
             now() - interval '3 hours', now() - interval '3 hours', 2, 2, 0, 0, 1, NULL, '{}'),
            ('r2', 'front_sync_incremental', 'sync_messages', 2, 'messages', 'incremental', 'failed',
             now() - interval '5 min', now() - interval '4 min', 0, 0, 0, 0, 9,
             'FrontRetryableError: GET /conversations/x/messages 503 for jane.doe@example.com token=abc123', '{}'),
            ('old', 'front_sync_incremental', 'sync_contacts', 1, 'contacts', 'incremental', 'success',
             now() - interval '20 days', now() - interval '20 days', 1, 1, 0, 0, 1, NULL, '{}')
        """)
        cur.execute(
            """INSERT INTO front.dead_letters (resource, record_id, payload, error, sync_run_id)
                       VALUES ('messages', 'msg_1', %s, 'bad record', 'r2'),
                              ('messages', 'msg_2', '{}', 'bad record', 'r2')""",
            (json.dumps({"body": SECRET_BODY, "from": SECRET_EMAIL}),),
        )
        cur.execute(
            """INSERT INTO front.sync_conflicts (resource, record_id, stored_row, incoming_row, incoming_hash,
                       sync_run_id) VALUES ('contacts', 'crd_1', %s, '{}', 'h', 'r1')""",
            (json.dumps({"name": SECRET_EMAIL}),),
        )
        cur.execute("""INSERT INTO front.sync_pending (resource, conversation_id, enqueued_by, priority)
                       SELECT 'messages', 'cnv_' || i, 'r1', i % 2 FROM generate_series(1, 5) AS i""")
        cur.execute("""INSERT INTO front.tags (id, raw, row_hash, sync_run_id)
                       VALUES ('tag_1', '{}', 'h1', 'r1'), ('tag_2', '{}', 'h2', 'r1')""")
        cur.execute("UPDATE front.tags SET deleted_at = now() WHERE id = 'tag_2'")
    warehouse.commit()
    return warehouse


def by_resource(data):
    return {r["resource"]: r for r in data["resources"]}


@pytest.mark.parametrize(
    "path", ["/front-sync/", "/front-sync/data.json", "/front-sync/assets/dashboard.js"], ids=["page", "data", "asset"]
)
def test_unauthenticated_requests_are_refused(client, path):
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer not-a-jwt"}).status_code == 403
    assert client.get(path, cookies={"_token": "not-a-jwt"}).status_code in (401, 403)


def test_page_and_assets_with_the_ui_session_cookie(client, token):
    page = client.get("/front-sync/", cookies={"_token": token})
    assert page.status_code == 200
    assert "<h1>Front sync</h1>" in page.text
    assert "frame-ancestors 'self'" in page.headers["content-security-policy"]
    assert "http" not in page.text.split("<body", 1)[1]  # nothing loaded from another origin
    script = client.get("/front-sync/assets/dashboard.js", cookies={"_token": token})
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert client.get("/front-sync/assets/index.html", cookies={"_token": token}).status_code == 404
    assert client.get("/front-sync/assets/..%2Ffront_sync_plugin.py", cookies={"_token": token}).status_code == 404


def test_a_viewer_sees_the_page_but_airflow_refuses_its_triggers(client, viewer_token, seeded):
    """The page's buttons call Airflow's REST API as the user: Airflow's permissions decide, not the page."""
    headers = {"Authorization": f"Bearer {viewer_token}"}
    assert client.get("/front-sync/data.json", headers=headers).status_code == 200
    trigger = client.post(
        "/api/v2/dags/front_sync_messages/dagRuns",
        headers=headers,
        json={"logical_date": None, "conf": {"conversation_ids": ["cnv_1"]}},
    )
    assert trigger.status_code == 403


def test_plugin_registers_the_page_in_the_ui_navigation(client, token):
    plugins = client.get("/api/v2/plugins", headers={"Authorization": f"Bearer {token}"}).json()["plugins"]
    plugin = next(p for p in plugins if p["name"] == "front_sync")
    view = plugin["external_views"][0]
    assert (view["href"], view["url_route"], view["destination"]) == ("front-sync/", "front-sync", "nav")
    assert plugin["fastapi_apps"][0]["url_prefix"] == "/front-sync"


def test_figures_per_resource(client, token, seeded):
    response = client.get("/front-sync/data.json", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["warehouse_ready"] is True and data["stale_after_seconds"] == 7200
    resources = by_resource(data)
    assert [r["resource"] for r in data["resources"]] == [r.name for r in dashboard.ALL_RESOURCES]
    assert resources["contacts"]["freshness"] == "green"
    # the small resources are listed every directory_refresh_minutes (6 h): they are late only after 2 h + 6 h,
    # as the monitor's stale_resource check counts them
    assert resources["tags"]["threshold_seconds"] == 7200 + 6 * 3600 and resources["tags"]["directory"] is True
    assert resources["tags"]["freshness"] == "green" and resources["inboxes"]["freshness"] == "green"
    assert resources["messages"]["freshness"] == "never"
    assert 1700 < resources["contacts"]["age_seconds"] < 1800
    contacts_run = resources["contacts"]["last_run"]
    assert (contacts_run["fetched"], contacts_run["created"], contacts_run["updated"]) == (12, 10, 2)
    assert resources["messages"]["last_run"]["status"] == "failed"
    assert resources["tags"]["rows"] == 1 and resources["tags"]["rows_estimated"] is False
    assert resources["messages"]["dead_letters"] == 2 and resources["messages"]["pending"] == 5
    assert resources["contacts"]["conflicts"] == 1
    assert resources["teammate_custom_fields"]["rows"] == 0


def test_runs_quota_queue_and_errors(client, token, seeded):
    data = client.get("/front-sync/data.json", headers={"Authorization": f"Bearer {token}"}).json()
    runs = {r["run_id"]: r for r in data["runs"]}
    assert set(runs) == {"r0", "r1", "r2"}  # 'old' is outside the 14 days
    assert [r["run_id"] for r in data["runs"]] == ["r0", "r1", "r2"]  # oldest first
    assert (runs["r1"]["records"], runs["r1"]["api_calls"]) == (15, 5)
    assert (runs["r1"]["quota_remaining_min"], runs["r1"]["quota_limit"]) == (55, 100)
    assert 3715 < runs["r1"]["duration_seconds"] < 3730  # 91 min ago to 29 min ago
    assert runs["r0"]["quota_remaining_min"] is None and runs["r2"]["failed_tasks"] == 1
    assert data["pending"] == [
        {
            "resource": "messages",
            "priority": 0,
            "queued": 2,
            "claimed": 0,
            "retrying": 0,
            "max_attempts": 0,
            "oldest_enqueued_at": data["pending"][0]["oldest_enqueued_at"],
        },
        {
            "resource": "messages",
            "priority": 1,
            "queued": 3,
            "claimed": 0,
            "retrying": 0,
            "max_attempts": 0,
            "oldest_enqueued_at": data["pending"][1]["oldest_enqueued_at"],
        },
    ]
    [error] = data["errors"]
    assert (error["dag_id"], error["run_id"], error["task_id"], error["try_number"]) == (
        "front_sync_incremental",
        "r2",
        "sync_messages",
        2,
    )
    assert error["error_message"].startswith("FrontRetryableError: GET /conversations/x/messages 503")


def test_no_bodies_payloads_or_pii_leave_the_warehouse(client, token, seeded):
    text = client.get("/front-sync/data.json", headers={"Authorization": f"Bearer {token}"}).text
    for secret in (SECRET_BODY, SECRET_EMAIL, "abc123", "invoice"):
        assert secret not in text
    assert "[email]" in text and "token=[redacted]" in text


def test_staleness_threshold_comes_from_front_sync_config(client, token, seeded, clean_variables):
    clean_variables.set("front_sync.config", json.dumps({"stale_after_minutes": 600}))
    data = client.get("/front-sync/data.json", headers={"Authorization": f"Bearer {token}"}).json()
    assert data["stale_after_seconds"] == 36000
    assert by_resource(data)["inboxes"]["freshness"] == "green"
    clean_variables.set("front_sync.config", json.dumps({"stale_after_minutes": 20, "directory_refresh_minutes": 120}))
    data = client.get("/front-sync/data.json", headers={"Authorization": f"Bearer {token}"}).json()
    assert by_resource(data)["contacts"]["freshness"] == "red"  # 29 min against 20
    assert by_resource(data)["inboxes"]["freshness"] == "red"  # 3 h against 20 min + 2 h
    assert by_resource(data)["tags"]["freshness"] == "amber"  # 90 min against 140 (amber from 70)


def test_fresh_warehouse_says_so(client, token, warehouse):
    data = client.get("/front-sync/data.json", headers={"Authorization": f"Bearer {token}"}).json()
    assert data["warehouse_ready"] is False and data["resources"] == []
    assert data["status"]["state"] == "empty" and data["alerts"] == []


def test_status_follows_the_last_run_and_errors_resolve(client, token, seeded):
    """Issue 22 finding 3: a failed last run is red whatever the age, the page has one status line, and an
    error is marked resolved once a later sync of its resource succeeds."""
    headers = {"Authorization": f"Bearer {token}"}
    data = client.get("/front-sync/data.json", headers=headers).json()
    messages = by_resource(data)["messages"]
    assert messages["last_state"] == "failed" and messages["health"] == "red"
    assert by_resource(data)["contacts"]["health"] == "green"
    assert data["status"]["state"] == "failing" and data["status"]["failing"] == ["messages"]
    [error] = data["errors"]
    assert error["resolved_at"] is None and error["tries"] == 1 and data["status"]["since"] == error["first_seen"]
    assert [run["status"] for run in messages["runs"]] == ["failed"]
    with seeded.cursor() as cur:
        cur.execute("""INSERT INTO front.sync_logs (run_id, dag_id, task_id, try_number, resource, sync_type, status,
                           started_at, completed_at, fetched, unchanged)
                       VALUES ('r3', 'front_sync_incremental', 'sync_messages', 1, 'messages', 'incremental',
                               'success', now() - interval '1 min', now(), 4, 4)""")
    seeded.commit()
    data = client.get("/front-sync/data.json", headers=headers).json()
    messages = by_resource(data)["messages"]
    assert messages["health"] == "green" and [run["status"] for run in messages["runs"]] == ["failed", "success"]
    [error] = data["errors"]
    assert error["resolved_at"] is not None
    # no longer failing; still degraded: the seed leaves most resources never synced
    assert data["status"]["state"] == "degraded" and data["status"]["failing"] == []
    assert "messages" not in data["status"]["late"] and "teams" in data["status"]["late"]


def test_a_task_that_never_ran_because_upstream_failed_is_red(seeded):
    """Issue 22 finding 3: messages said "success" (its last sync_logs row) when its task was upstream_failed in
    Airflow's newest run: Airflow's task state wins."""
    states = {
        "comments": {
            "state": "upstream_failed",
            "dag_id": "front_sync_incremental",
            "run_id": "r9",
            "task_id": "sync_comments",
            "try_number": 0,
        }
    }
    with seeded.cursor() as cur:
        cur.execute("""INSERT INTO front.sync_logs (run_id, dag_id, task_id, try_number, resource, sync_type, status,
                           started_at, completed_at) VALUES ('r1', 'front_sync_incremental', 'sync_comments', 1,
                           'comments', 'incremental', 'success', now() - interval '20 min',
                           now() - interval '19 min')""")
    seeded.commit()
    data = dashboard.snapshot(seeded, task_states=states)
    comments = by_resource(data)["comments"]
    assert comments["last_run"]["status"] == "success" and comments["freshness"] == "green"
    assert comments["last_state"] == "upstream_failed" and comments["health"] == "red"
    assert "comments" in data["status"]["failing"]


def test_open_alerts_show_without_slack_or_smtp(client, token, seeded):
    """Issue 22 finding 5: an open monitor alert is on the page with its runbook link, delivered or not."""
    with seeded.cursor() as cur:
        cur.execute("""INSERT INTO front.alert_state (alert_key, alert, since, figure)
                       VALUES ('stale_resource:inboxes', 'stale_resource', now() - interval '3 hours',
                               '3 h 0 min since last success vs threshold 2 h 0 min')""")
    seeded.commit()
    data = client.get("/front-sync/data.json", headers={"Authorization": f"Bearer {token}"}).json()
    [alert] = data["alerts"]
    assert alert["alert_key"] == "stale_resource:inboxes" and alert["notified_at"] is None
    assert alert["runbook"] == "docs/runbook.md#alert-no-successful-sync"
    assert data["status"]["alerts"] == 1


def test_connection_list_test_button_port_zero(client, token, simulator, simulator_server):
    """Issue 22 finding 2: the connection list's Test sends port 0 for front_default's empty port (and the masked
    password): Airflow refused with a bare 400; the plugin's middleware lets it test the stored connection."""
    from airflow.models import Connection
    from airflow.utils.session import create_session

    from tests.ui.conftest import front_connection_json

    with create_session() as session:
        session.query(Connection).filter(Connection.conn_id == "front_default").delete()
        session.add(Connection.from_json(front_connection_json(simulator_server.base_url), conn_id="front_default"))
    body = {
        "connection_id": "front_default",
        "conn_type": "front",
        "host": simulator_server.base_url,
        "port": 0,
        "password": "***",
        "login": "",
        "schema": "",
        "description": "",
        "extra": None,
    }
    headers = {"Authorization": f"Bearer {token}"}
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("AIRFLOW__CORE__TEST_CONNECTION", "Enabled")
            answer = client.post("/api/v2/connections/test", headers=headers, json=body)
            assert answer.status_code == 200, answer.text
            assert answer.json()["status"] is True and "Connected to Front company" in answer.json()["message"]
            other = client.post(
                "/api/v2/connections/test", headers=headers, json={**body, "conn_type": "http", "port": 0}
            )
            assert other.status_code == 400  # other connection types are left to Airflow's rule
    finally:
        with create_session() as session:
            session.query(Connection).filter(Connection.conn_id == "front_default").delete()


def test_unreachable_warehouse_is_a_503_without_details(client, token, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_FRONT_WAREHOUSE", "postgresql://secretuser:pw@127.0.0.1:1/nowhere")
    response = client.get("/front-sync/data.json", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert "secretuser" not in response.text and "OperationalError" in response.text


@pytest.mark.parametrize(
    ("age", "expected"),
    [(None, "never"), (0, "green"), (3599, "green"), (3600, "amber"), (7199, "amber"), (7200, "red")],
    ids=["never", "just-synced", "under-half", "half", "under-threshold", "threshold"],
)
def test_freshness_bands(age, expected):
    assert dashboard.freshness(age, 7200) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer eyJ.abc-d", "Authorization: Bearer [redacted]"),
        ("401 for token=abc123, retrying", "401 for token=[redacted], retrying"),
        ('{"password": "hunter2"}', '{"password": "[redacted]"}'),
        ("contact jane.doe+x@mail.example.com failed", "contact [email] failed"),
        ("x" * 600, "x" * (dashboard.ERROR_CHARS - 1) + "…"),
        ("ConnectionError: GET /contacts", "ConnectionError: GET /contacts"),
    ],
    ids=["bearer", "token-param", "json-password", "email", "long", "clean"],
)
def test_redaction(text, expected):
    assert dashboard.redact(text) == expected


def test_a_bad_param_reads_as_words_not_a_jsonschema_dump(dags):
    """Issue 22 finding 6: a bad conversation id in the trigger form answered with jsonschema's whole dump."""
    import importlib.util
    from pathlib import Path

    from airflow.sdk.exceptions import ParamValidationError

    path = Path(__file__).resolve().parents[2] / "plugins" / "front_sync_plugin.py"
    spec = importlib.util.spec_from_file_location("front_sync_plugin_under_test", path)
    plugin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plugin)
    params = dags["front_sync_messages"].params
    with pytest.raises(ParamValidationError) as caught:
        params.get_param("conversation_ids").resolve(["cnv_ok1", "abc"])
    # Airflow's trigger endpoint answers f"Invalid input for param {key}: {error}" (ParamsDict.validate)
    airflow_says = json.dumps({"detail": f"Invalid input for param conversation_ids: {caught.value}"}).encode()
    assert b"Failed validating" in airflow_says  # what the form showed
    detail = json.loads(plugin.readable_param_error(airflow_says))["detail"]
    assert detail == (
        "Invalid input for param conversation_ids: 'abc' is not a Front conversation id (cnv_ and "
        "lower-case letters or digits)"
    ), detail
    other = json.dumps(
        {"detail": "Invalid input for param x: 1 is not of type 'string'\n\nFailed validating 'type' in schema: {...}"}
    ).encode()
    assert (
        json.loads(plugin.readable_param_error(other))["detail"]
        == "Invalid input for param x: 1 is not of type 'string'"
    )
