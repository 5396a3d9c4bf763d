"""Issue 21 "A receiver": the webhook receiver served by uvicorn over real HTTP, storing into a real migrated
PostgreSQL. Signed events are stored once (a further delivery only counts), the challenge is echoed, every refusal
(forged, unsigned, stale, future, oversized, wrong content type, bad JSON, unknown company) stores nothing and counts
a rejection, the previous secret works during a rotation, a warehouse that is down or hangs gives 503 within 5 s,
and the logs never carry a body or a secret."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time

import psycopg
import pytest
import requests
import uvicorn

from front_sync.realtime.receiver import create_app
from front_sync.realtime.settings import ReceiverSettings
from front_sync.realtime.signature import sign

pytestmark = pytest.mark.integration

SECRET = "whsec-current-0123456789abcdef"
PREVIOUS = "whsec-previous-fedcba9876543210"
COMPANY = "cmp_3f2a"
MARKER = "BODY-MARKER-never-in-logs"  # in every body: a log line that quotes a body would show it


def envelope(event_id: str = "evt_1", company: str = COMPANY) -> dict:
    """An application webhook as the contract describes it: the event preview, no message body."""
    return {
        "type": "inbound_received",
        "authorization": {"id": company},
        "payload": {
            "_links": {"self": f"https://api2.frontapp.com/events/{event_id}"},
            "id": event_id,
            "type": "inbound",
            "emitted_at": 1764979200.123,
            "conversation": {"id": "cnv_1", "subject": MARKER},
            "target": {"_meta": {"type": "message"}, "data": {"id": "msg_1", "_links": {}}},
        },
    }


def now_ms(offset_s: float = 0) -> str:
    return str(int((time.time() + offset_s) * 1000))


def post(
    url: str,
    body: bytes | dict,
    *,
    secret: str | None = SECRET,
    timestamp: str | None = None,
    content_type: str = "application/json",
    **headers: str,
) -> requests.Response:
    """POST a webhook signed as Front signs it (secret None: no signature header)."""
    raw = json.dumps(body).encode() if isinstance(body, dict) else body
    timestamp = timestamp or now_ms()
    sent = {"content-type": content_type, "x-front-request-timestamp": timestamp, **headers}
    if secret is not None:
        sent["x-front-signature"] = sign(secret, timestamp, raw)
    return requests.post(url, data=raw, headers=sent, timeout=15)


@contextlib.contextmanager
def serving(app):
    """The app under uvicorn on a free port, in a thread; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the receiver did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


@pytest.fixture
def start_receiver(migrated, monkeypatch):
    """Starts the receiver for the front_webhook connection (SECRET, PREVIOUS, COMPANY) and the given warehouse
    (default: the test's migrated one); yields the URL Front posts to."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_FRONT_WEBHOOK",
        json.dumps(
            {"conn_type": "generic", "password": SECRET, "extra": {"company_id": COMPANY, "previous_secret": PREVIOUS}}
        ),
    )
    with contextlib.ExitStack() as stack:

        def start(warehouse_url: str | None = None) -> str:
            if warehouse_url:
                monkeypatch.setenv("AIRFLOW_CONN_FRONT_WAREHOUSE", warehouse_url)
            app = create_app(ReceiverSettings(flush_seconds=0.1, refresh_seconds=0.5))
            return stack.enter_context(serving(app)) + "/webhooks/front"

        yield start


def stored(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT event_id, company_id, event_type, emitted_at, sent_at, deliveries, payload "
            "FROM front.webhook_events ORDER BY id"
        ).fetchall()


def rejections(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return dict(conn.execute("SELECT reason, sum(count)::int FROM front.webhook_rejections GROUP BY reason"))


def wait_for(condition, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
    return result


def test_a_signed_event_is_stored_once_and_a_second_delivery_only_counts(start_receiver, migrated, caplog):
    caplog.set_level("INFO")
    url = start_receiver()
    sent_at = now_ms()
    first = post(url, envelope("evt_a1"), timestamp=sent_at)
    again = post(url, envelope("evt_a1"))  # Front's retry, or a replay inside the window
    assert (first.status_code, first.json()["stored"]) == (200, True)
    assert (again.status_code, again.json()["stored"]) == (200, False)
    (row,) = stored(migrated)
    event_id, company, event_type, emitted_at, sent, deliveries, payload = row
    assert (event_id, company, event_type, deliveries) == ("evt_a1", COMPANY, "inbound_received", 2)
    assert payload == envelope("evt_a1")["payload"]
    assert emitted_at.timestamp() == pytest.approx(1764979200.123)
    assert sent.timestamp() == pytest.approx(int(sent_at) / 1000)
    assert "evt_a1" in caplog.text and MARKER not in caplog.text and SECRET not in caplog.text


def test_the_challenge_is_echoed_and_stores_nothing(start_receiver, migrated):
    url = start_receiver()
    answer = post(url, {"type": "sync", "authorization": {"id": COMPANY}}, **{"x-front-challenge": "ch-4242"})
    assert answer.status_code == 200 and answer.json() == {"challenge": "ch-4242"}
    forged = post(
        url,
        {"type": "sync", "authorization": {"id": COMPANY}},
        secret="not-the-secret",
        **{"x-front-challenge": "ch-4242"},
    )
    assert forged.status_code == 401 and "ch-4242" not in forged.text
    assert stored(migrated) == []


def test_the_previous_secret_is_accepted_during_a_rotation(start_receiver, migrated):
    url = start_receiver()
    assert post(url, envelope("evt_old_secret"), secret=PREVIOUS).status_code == 200
    assert [row[0] for row in stored(migrated)] == ["evt_old_secret"]


def _chunks(size: int):
    yield b'{"type": "inbound_received", "pad": "'
    yield b"x" * size
    yield b'"}'


REFUSALS = {
    "forged": (lambda u: post(u, envelope(), secret="whsec-someone-else"), 401, "bad_signature"),
    "unsigned": (lambda u: post(u, envelope(), secret=None), 401, "unsigned"),
    "stale-6-min": (lambda u: post(u, envelope(), timestamp=now_ms(-360)), 401, "stale_timestamp"),
    "future-10-min": (lambda u: post(u, envelope(), timestamp=now_ms(600)), 401, "stale_timestamp"),
    "oversized": (lambda u: post(u, {**envelope(), "pad": "x" * 300_000}), 413, "too_large"),
    "oversized-chunked": (
        lambda u: requests.post(u, data=_chunks(300_000), timeout=15, headers={"content-type": "application/json"}),
        413,
        "too_large",
    ),
    "text-plain": (lambda u: post(u, envelope(), content_type="text/plain"), 415, "bad_content_type"),
    "bad-json": (lambda u: post(u, f'{{"type": "{MARKER}", '.encode()), 400, "bad_json"),
    "no-event-id": (lambda u: post(u, {**envelope(), "payload": {"type": MARKER}}), 400, "bad_json"),
    "unknown-company": (lambda u: post(u, envelope(company="cmp_other")), 400, "unknown_company"),
}


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_a_refused_request_stores_nothing_counts_a_rejection_and_logs_no_body(case, start_receiver, migrated, caplog):
    caplog.set_level("INFO")
    send, status, reason = REFUSALS[case]
    url = start_receiver()
    answer = send(url)
    assert answer.status_code == status and answer.json() == {"error": reason}
    assert wait_for(lambda: rejections(migrated)) == {reason: 1}
    assert stored(migrated) == []
    assert reason in caplog.text and MARKER not in caplog.text and SECRET not in caplog.text


@contextlib.contextmanager
def hanging_server():
    """A TCP port that accepts connections (the kernel's backlog) and never answers: a hung warehouse."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield f"postgresql://postgres@127.0.0.1:{sock.getsockname()[1]}/front"
    finally:
        sock.close()


def closed_port() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"postgresql://postgres@127.0.0.1:{port}/front"


@pytest.mark.parametrize("state", ["refusing", "hanging", "table-locked"])
def test_a_warehouse_that_is_down_gives_503_within_5_s_and_stores_nothing(state, start_receiver, migrated):
    with contextlib.ExitStack() as stack:
        if state == "refusing":
            url = start_receiver(closed_port())
        elif state == "hanging":
            url = start_receiver(stack.enter_context(hanging_server()))
        else:
            url = start_receiver()
            locker = stack.enter_context(psycopg.connect(migrated))
            locker.execute("LOCK TABLE front.webhook_events IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        answer = post(url, envelope("evt_down"))
        elapsed = time.monotonic() - started
    assert answer.status_code == 503 and elapsed < 5.0, (answer.status_code, elapsed)
    time.sleep(0.5)  # a late commit by a timed-out write would show now
    assert stored(migrated) == []


def test_two_companies_of_one_app_go_to_their_own_warehouses_and_unattributable_refusals_to_healthz(
    new_database, monkeypatch, tmp_path
):
    from front_sync.warehouse import migrations

    urls = {}
    for name in ("acme", "globex"):
        urls[name] = new_database()
        with psycopg.connect(urls[name]) as conn:
            migrations.migrate(conn)
        monkeypatch.setenv(f"AIRFLOW_CONN_WH_{name.upper()}", urls[name])
        monkeypatch.setenv(
            f"AIRFLOW_CONN_FRONT_WEBHOOK__{name.upper()}",
            json.dumps({"conn_type": "generic", "password": SECRET, "extra": {"company_id": f"cmp_{name}"}}),
        )
    tenants = tmp_path / "tenants.json"
    tenants.write_text(
        json.dumps(
            {"tenants": [{"name": n, "front_conn_id": f"front_{n}", "warehouse_conn_id": f"wh_{n}"} for n in urls]}
        )
    )
    monkeypatch.setenv("FRONT_SYNC_TENANTS", str(tenants))
    with serving(create_app(ReceiverSettings(flush_seconds=0.1))) as base:
        url = base + "/webhooks/front"
        assert post(url, envelope("evt_g", company="cmp_globex")).status_code == 200
        assert post(url, envelope("evt_a", company="cmp_acme")).status_code == 200
        assert post(url, envelope("evt_x", company="cmp_acme"), secret="whsec-forged").status_code == 401
        health = requests.get(base + "/healthz", timeout=10).json()
    assert [r[0] for r in stored(urls["acme"])] == ["evt_a"] and [r[0] for r in stored(urls["globex"])] == ["evt_g"]
    assert health["tenants"] == [
        {"tenant": "acme", "company_id": "cmp_acme"},
        {"tenant": "globex", "company_id": "cmp_globex"},
    ]
    assert health["rejections_without_tenant"] == {"bad_signature": 1}
    assert rejections(urls["acme"]) == {} and rejections(urls["globex"]) == {}


def test_the_service_serves_until_sigterm(migrated, monkeypatch):
    import signal
    import subprocess
    import sys

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    monkeypatch.setenv(
        "AIRFLOW_CONN_FRONT_WEBHOOK",
        json.dumps({"conn_type": "generic", "password": SECRET, "extra": {"company_id": COMPANY}}),
    )
    monkeypatch.setenv("FRONT_SYNC_WEBHOOK_PORT", str(port))
    service = subprocess.Popen(
        [sys.executable, "-m", "front_sync.realtime"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:

        def healthy() -> bool:
            assert service.poll() is None, service.stdout.read()
            with contextlib.suppress(requests.ConnectionError):
                return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
            return False

        wait_for(healthy, timeout=60)
        assert post(f"http://127.0.0.1:{port}/webhooks/front", envelope("evt_svc")).status_code == 200
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=20) == 0
    finally:
        if service.poll() is None:
            service.kill()
            service.wait()
    output = service.stdout.read()
    assert [r[0] for r in stored(migrated)] == ["evt_svc"]
    assert "evt_svc" in output and "webhook receiver: stopped" in output
    assert SECRET not in output and MARKER not in output


def test_a_warehouse_restart_costs_no_delivery_and_a_rotated_secret_is_read_without_a_restart(
    start_receiver, migrated, monkeypatch
):
    url = start_receiver()
    assert post(url, envelope("evt_before")).status_code == 200  # leaves a pooled connection
    with psycopg.connect(migrated, autocommit=True) as admin:  # what a restart or failover does to it
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    assert post(url, envelope("evt_after")).status_code == 200
    monkeypatch.setenv(
        "AIRFLOW_CONN_FRONT_WEBHOOK",
        json.dumps(
            {
                "conn_type": "generic",
                "password": "whsec-rotated-abcdef",
                "extra": {"company_id": COMPANY, "previous_secret": SECRET},
            }
        ),
    )
    wait_for(lambda: post(url, envelope("evt_rotated"), secret="whsec-rotated-abcdef").status_code == 200, timeout=15)
    assert post(url, envelope("evt_previous"), secret=SECRET).status_code == 200
    assert post(url, envelope("evt_retired"), secret=PREVIOUS).status_code == 401
    assert [r[0] for r in stored(migrated)] == ["evt_before", "evt_after", "evt_rotated", "evt_previous"]


def test_mounted_as_the_airflow_plugin_it_starts_on_the_first_request(start_receiver, migrated, monkeypatch):
    """One-node installs: the api-server mounts plugin apps with app.mount, which runs no lifespan of theirs."""
    import importlib.util
    from pathlib import Path

    from fastapi import FastAPI

    def plugin_apps() -> list[dict]:
        path = Path(__file__).resolve().parents[2] / "plugins" / "front_sync_webhooks.py"
        spec = importlib.util.spec_from_file_location("front_sync_webhooks_under_test", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.FrontSyncWebhooksPlugin.fastapi_apps

    assert plugin_apps() == []  # off unless asked for
    monkeypatch.setenv("FRONT_SYNC_WEBHOOK_PLUGIN", "1")
    start_receiver()  # only for its connections: the test's warehouse and the webhook secret
    (entry,) = plugin_apps()
    api_server = FastAPI()
    api_server.mount(entry["url_prefix"], entry["app"])
    with serving(api_server) as base:
        assert post(f"{base}/front-sync-webhooks/webhooks/front", envelope("evt_plugin")).status_code == 200
    assert [r[0] for r in stored(migrated)] == ["evt_plugin"]
