"""Fixtures of the end-to-end tests (the rest of their set-up is in tests/conftest.py)."""

from __future__ import annotations

import json
import socket
import threading
from decimal import Decimal
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from front_sync.config import watermark_key


@pytest.fixture(scope="module")
def dags(airflow_db, dagbag):
    """The DAGs by id, with Airflow's metadata DB ready for dag.test()."""
    return dagbag.dags


class _SlackSink(BaseHTTPRequestHandler):
    received: list[str] = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.received.append(json.loads(body)["text"])
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def slack_sink(monkeypatch):
    """A Slack webhook on 127.0.0.1:<free port>; yields the texts posted to it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlackSink)
    _SlackSink.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/services/T0/B0/X0"
    monkeypatch.setenv("AIRFLOW_CONN_SLACK_ALERTS", json.dumps({"conn_type": "slackwebhook", "password": url}))
    yield _SlackSink.received
    server.shutdown()


class Variables:
    """Airflow's Variable API over a dict (the tasks' only use of Variables: watermarks and config)."""

    def __init__(self, values: dict[str, str] | None = None) -> None:
        self.values = dict(values or {})

    def get(self, key: str, default=None):
        return self.values.get(key, default)

    def set(self, key: str, value: str) -> None:
        self.values[key] = value

    def mark(self, resource: str) -> Decimal | None:
        text = self.values.get(watermark_key(resource))
        return None if text is None else Decimal(json.loads(text)["value"])

    def set_mark(self, resource: str, value: Decimal) -> None:
        self.values[watermark_key(resource)] = json.dumps({"value": f"{value:.3f}", "run_id": "t", "advanced_at": "t"})


@pytest.fixture
def variables(monkeypatch):
    """Airflow Variables as a dict, for operators executed outside Airflow (test_zero_loss's execute)."""
    from front_sync.sync import conversation_operators, operators

    store = Variables()
    for module in (operators, conversation_operators):
        monkeypatch.setattr(module, "Variable", store)
    return store


@pytest.fixture
def migrated(warehouse, warehouse_url):
    """The test's fresh warehouse, migrated; returns its URL."""
    from front_sync.warehouse import migrations

    migrations.migrate(warehouse)
    return warehouse_url


class _Mailbox:
    def __init__(self):
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_sink(monkeypatch):
    """An SMTP server (aiosmtpd) on 127.0.0.1; yields [(recipients, email.message)]."""
    from aiosmtpd.controller import Controller

    mailbox = _Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv(
        "AIRFLOW_CONN_SMTP_ALERTS",
        json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": port,
                "extra": {
                    "disable_ssl": True,
                    "disable_tls": True,
                    "from_email": "front-sync@example.test",
                    "timeout": 10,
                    "retry_limit": 0,
                },
            }
        ),
    )
    yield mailbox.messages
    controller.stop()
