"""Issue 21 "Operations": the real-time panel's figures and the monitor's webhook alerts, on a real warehouse.

Rows go straight into the webhook store of migration 041 (front.webhook_events, front.webhook_rejections) as the
receiver (21B) and the real-time DAG (21C) write them; alerts go through the real delivery path to a local Slack
webhook and a local SMTP server; the page's data.json comes from Airflow's own api-server app.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from front_sync.config import ConfigError, SyncConfig
from front_sync.ops.dashboard import jsonable
from front_sync_testing.truth import ROOT, query

pytestmark = pytest.mark.integration

RUNBOOK = "https://git.example.test/front-sync/blob/main/docs/runbook.md"


def webhook(url, *, received, sent=None, applied=None, outcome=None, deliveries=1, event_type="tag"):
    """One stored webhook (no payload worth the name: the panel never reads it); returns its event id."""
    event_id = f"evt_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO front.webhook_events (event_id, company_id, event_type, emitted_at, sent_at, received_at,"
            " deliveries, payload, applied_at, outcome) VALUES (%s, 'cmp_1', %s, %s, %s, %s, %s, '{}', %s, %s)",
            (
                event_id,
                event_type,
                sent or received,
                sent or received,
                received,
                deliveries,
                applied,
                outcome if applied else None,
            ),
        )
    return event_id


def applied(url, now, lag_seconds, *, ago=timedelta(minutes=10), outcome="applied", deliveries=1):
    """A webhook applied `ago` before now, lag_seconds after Front sent it."""
    done = now - ago
    sent = done - timedelta(seconds=lag_seconds)
    return webhook(
        url, received=sent + timedelta(seconds=0.2), sent=sent, applied=done, outcome=outcome, deliveries=deliveries
    )


def rejected(url, minute, reason, count):
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO front.webhook_rejections (minute, reason, count) VALUES (%s, %s, %s)",
            (minute.replace(second=0, microsecond=0), reason, count),
        )


def conversations_run(url, *, started, fetched, watermark_after):
    """A finished hourly conversations sync (the /events run) that read `fetched` changes up to watermark_after."""
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO front.sync_logs (run_id, dag_id, task_id, resource, sync_type, status, started_at,"
            " completed_at, fetched, updated, watermark_after) VALUES (%s, 'front_sync_incremental',"
            " 'sync_conversations', 'conversations', 'incremental', 'success', %s, %s, %s, %s, %s)",
            (
                f"scheduled__{uuid.uuid4().hex[:8]}",
                started,
                started + timedelta(seconds=30),
                fetched,
                fetched,
                watermark_after.timestamp(),
            ),
        )


def snapshot(url):
    from front_sync.ops import dashboard

    with psycopg.connect(url) as conn:
        return dashboard.snapshot(conn)["realtime"]


@pytest.fixture
def alerting(slack_sink, smtp_sink, clean_variables):
    """Slack and SMTP sinks, the recipients and the runbook URL; yields (config, slack texts, mails)."""
    settings = {"alert_emails": ["oncall@example.test"], "runbook_url": RUNBOOK}
    clean_variables.set("front_sync.config", json.dumps(settings))
    return SyncConfig.from_json(json.dumps(settings)), slack_sink, smtp_sink


def check(url, config, now, tenant="acme"):
    from front_sync.ops import monitor

    with psycopg.connect(url) as conn:
        return monitor.run_checks(conn, config, now, tenant)


def body(mail) -> str:
    return (
        mail.get_payload(decode=True).decode()
        if not mail.is_multipart()
        else mail.get_payload()[0].get_payload(decode=True).decode()
    )


def assert_sent(slack, mails, *phrases, anchor, tenant="acme"):
    """The newest Slack text and mail: the alert, naming the tenant, its figure, threshold and runbook section."""
    subject = mails[-1][1]["Subject"]
    assert subject.startswith(f"front-sync alert ({tenant}): "), subject
    for text in (slack[-1], body(mails[-1][1])):
        for phrase in (
            *phrases,
            f"front-sync alert ({tenant})",
            f"tenant: {tenant}",
            "since: 20",
            "threshold",
            "first step: ",
            f"{RUNBOOK}#{anchor}",
        ):
            assert phrase in text, (phrase, text)


def test_real_time_panel_figures_lag_depth_rejections_duplicates(migrated):
    """Issue 21 Operations: last webhook, lag p50/p95 of the last hour, pending depth and age, refusals, duplicates."""
    now = datetime.now(UTC)
    for lag in range(1, 21):  # 1..20 s: p50 10.5 s, p95 19.05 s (percentile_cont)
        applied(migrated, now, lag, deliveries=3 if lag in (4, 7) else 1)
    applied(migrated, now, 5, outcome="stale")  # a newer version was already stored: still in the warehouse
    applied(migrated, now, 999, ago=timedelta(hours=2))  # outside the hour
    applied(migrated, now, 500, outcome="dead_lettered")  # not in the warehouse: no lag
    for minutes in (7, 4, 1):
        webhook(migrated, received=now - timedelta(minutes=minutes), event_type="inbound")
    rejected(migrated, now - timedelta(minutes=3), "bad_signature", 4)
    rejected(migrated, now - timedelta(minutes=2), "bad_signature", 3)
    rejected(migrated, now - timedelta(minutes=2), "stale_timestamp", 1)
    rejected(migrated, now - timedelta(hours=2), "unsigned", 50)  # outside the hour

    rt = snapshot(migrated)
    late = (datetime.now(UTC) - now).total_seconds() + 1  # this machine is slow: the snapshot is read later
    assert rt["installed"] and rt["set_up"]
    assert rt["last_event_type"] == "inbound" and rt["last_received_at"] == jsonable(now - timedelta(minutes=1))
    assert 60 <= rt["last_received_age_seconds"] <= 60 + late
    assert rt["applied_last_hour"] == 21
    assert rt["lag_p50_seconds"] == pytest.approx(10, abs=0.11)  # 20 lags and a 5: the 11th of 21 is 10
    assert rt["lag_p95_seconds"] == pytest.approx(19, abs=0.11)
    assert rt["pending"] == 3 and 420 <= rt["oldest_pending_seconds"] <= 420 + late
    assert rt["duplicated_last_hour"] == 2 and rt["extra_deliveries_last_hour"] == 4
    assert rt["rejected_last_hour"] == 8
    assert [(r["reason"], r["requests"]) for r in rt["rejections_last_hour"]] == [
        ("bad_signature", 7),
        ("stale_timestamp", 1),
    ]


def test_real_time_panel_says_not_set_up_until_a_webhook_arrives(migrated):
    """No webhook ever: set_up is False (the page says real time is not set up), refusals still counted."""
    now = datetime.now(UTC)
    rejected(migrated, now - timedelta(minutes=5), "unknown_company", 2)
    rt = snapshot(migrated)
    assert rt["installed"] and not rt["set_up"] and rt["last_received_at"] is None
    assert rt["lag_p50_seconds"] is None and rt["pending"] == 0 and rt["rejected_last_hour"] == 2
    webhook(migrated, received=now)
    assert snapshot(migrated)["set_up"]


def test_webhooks_silent_alerts_only_while_events_shows_changes_and_resolves(migrated, alerting):
    """webhooks_silent: none for webhook_silent_minutes while /events has changes emitted after the last one."""
    config, slack, mails = alerting
    now = datetime.now(UTC)
    last = now - timedelta(minutes=45)
    webhook(migrated, received=last, applied=last + timedelta(seconds=2), outcome="applied")
    assert "webhooks_silent" not in [f.alert for f in check(migrated, config, now).findings]  # nothing changed
    # A run since then whose changes all predate the last webhook (its watermark before it): still no alert.
    conversations_run(
        migrated, started=now - timedelta(minutes=30), fetched=4, watermark_after=last - timedelta(minutes=2)
    )
    assert check(migrated, config, now).sent == [] and slack == []
    conversations_run(
        migrated, started=now - timedelta(minutes=20), fetched=6, watermark_after=now - timedelta(minutes=25)
    )
    result = check(migrated, config, now)
    assert result.sent == ["webhooks_silent"]
    assert_sent(
        slack,
        mails,
        "no Front webhook for 45 min while /events still shows changes",
        "read 6 changed conversation(s)",
        "vs threshold 30 min",
        anchor="alert-webhooks-silent",
    )
    assert check(migrated, config, now + timedelta(minutes=1)).sent == []  # once until it clears
    assert len(slack) == 1 and len(mails) == 1

    webhook(migrated, received=now + timedelta(minutes=2), applied=now + timedelta(minutes=2), outcome="applied")
    result = check(migrated, config, now + timedelta(minutes=3))
    assert result.cleared == ["webhooks_silent"]
    assert "front-sync resolved: webhooks_silent (tenant acme" in slack[-1]


def test_webhook_lag_alerts_on_a_slow_hour_and_on_webhooks_left_unapplied(migrated, alerting):
    """webhook_lag: p95 of the last hour over webhook_lag_p95_seconds, or a stored webhook waiting longer."""
    config, slack, mails = alerting
    now = datetime.now(UTC)
    for lag in range(1, 21):
        applied(migrated, now, lag)
    assert check(migrated, config, now).sent == []  # p95 19 s against 60 s
    slow = [applied(migrated, now, 90 + i, ago=timedelta(minutes=5)) for i in range(3)]
    assert check(migrated, config, now).sent == ["webhook_lag"]
    assert_sent(
        slack,
        mails,
        "webhook-to-row lag p95 ",
        "over the 23 webhook(s) applied in the last hour",
        "vs threshold 60 s",
        anchor="alert-webhook-lag",
    )
    with psycopg.connect(migrated) as conn:  # the slow hour passes
        conn.execute(
            "UPDATE front.webhook_events SET applied_at = applied_at - interval '2 hours' WHERE event_id = ANY(%s)",
            (slow,),
        )
    assert check(migrated, config, now).cleared == ["webhook_lag"]
    assert "resolved: webhook_lag" in slack[-1]

    stuck = webhook(migrated, received=now - timedelta(minutes=3))  # the real-time DAG does not apply it
    assert check(migrated, config, now).sent == ["webhook_lag"]
    assert_sent(
        slack,
        mails,
        "stored webhooks not applied for 18",
        "1 stored and not applied, the oldest for 18",
        anchor="alert-webhook-lag",
    )
    with psycopg.connect(migrated) as conn:
        conn.execute(
            "UPDATE front.webhook_events SET applied_at = %s, outcome = 'applied' WHERE event_id = %s", (now, stuck)
        )
    assert check(migrated, config, now).cleared == ["webhook_lag"]


def test_webhooks_rejected_alerts_over_the_hourly_threshold_and_resolves(migrated, alerting):
    """webhooks_rejected: more refused requests in the last hour than webhook_rejections_per_hour (a forger, or
    Front signing with a rotated secret the webhook connection lacks)."""
    config, slack, mails = alerting
    now = datetime.now(UTC)
    rejected(migrated, now - timedelta(minutes=10), "bad_signature", 15)
    rejected(migrated, now - timedelta(minutes=9), "stale_timestamp", 5)
    assert check(migrated, config, now).sent == []  # 20: at the threshold, not over it
    rejected(migrated, now - timedelta(minutes=8), "bad_signature", 6)
    assert check(migrated, config, now).sent == ["webhooks_rejected"]
    assert_sent(
        slack,
        mails,
        "26 webhook requests refused in the last hour",
        "26 refused (bad_signature 21, stale_timestamp 5) vs threshold 20 per hour",
        anchor="alert-webhooks-rejected",
    )
    assert check(migrated, config, now).sent == [] and len(slack) == 1
    assert check(migrated, config, now + timedelta(minutes=55)).cleared == ["webhooks_rejected"]
    assert "resolved: webhooks_rejected" in slack[-1]


def test_webhook_thresholds_come_from_front_sync_config(migrated, alerting):
    """webhook_rejections_per_hour (and the other two) are front_sync.config settings, checked like the others."""
    config, slack, _mails = alerting
    now = datetime.now(UTC)
    rejected(migrated, now - timedelta(minutes=1), "bad_signature", 3)
    assert check(migrated, config, now).findings == []  # 3 against the default 20
    strict = SyncConfig.from_json(json.dumps({"webhook_rejections_per_hour": 2, "runbook_url": RUNBOOK}))
    assert check(migrated, strict, now).sent == ["webhooks_rejected"] and "vs threshold 2 per hour" in slack[-1]
    for setting in ("webhook_silent_minutes", "webhook_lag_p95_seconds", "webhook_rejections_per_hour"):
        with pytest.raises(ConfigError, match=f"'{setting}' must be at least 1"):
            SyncConfig.from_json(json.dumps({setting: 0}))
    assert SyncConfig().webhook_silent_minutes == 30 and SyncConfig().webhook_lag_p95_seconds == 60
    assert SyncConfig().webhook_rejections_per_hour == 20


def test_the_tenants_monitor_dag_names_the_tenant_in_its_alerts(migrated, alerting, monkeypatch, tmp_path):
    """A tenant's front_sync_monitor__<name> run (dag.test(): its warehouse, its config, delivery) names the tenant."""
    from airflow.dag_processing.dagbag import DagBag

    _config, slack, mails = alerting
    warehouse_url = migrated
    path = tmp_path / "tenants.json"
    path.write_text(
        json.dumps(
            {"tenants": [{"name": "globex", "front_conn_id": "front_globex", "warehouse_conn_id": "warehouse_globex"}]}
        )
    )
    monkeypatch.setenv("FRONT_SYNC_TENANTS", str(path))
    monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE_GLOBEX", warehouse_url)
    dags = DagBag(dag_folder=str(ROOT / "dags" / "front_sync_monitor.py")).dags
    rejected(warehouse_url, datetime.now(UTC) - timedelta(minutes=1), "bad_signature", 40)
    assert dags["front_sync_monitor__globex"].test().state == "success"
    assert len(slack) == 1 and len(mails) == 1
    assert_sent(slack, mails, "40 webhook requests refused", anchor="alert-webhooks-rejected", tenant="globex")
    assert query(warehouse_url, "SELECT alert_key FROM front.alert_state WHERE cleared_at IS NULL") == [
        {"alert_key": "webhooks_rejected"}
    ]


@pytest.fixture(scope="module")
def page(airflow_db):
    """Airflow's api-server app with this repository's plugins, and an admin's JWT (as the UI's login sets it)."""
    from airflow.api_fastapi.app import create_app, get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from fastapi.testclient import TestClient

    client = TestClient(create_app())
    token = get_auth_manager().generate_jwt(SimpleAuthManagerUser(username="admin", role="ADMIN"))
    return client, {"Authorization": f"Bearer {token}"}


def test_the_page_shows_each_tenants_real_time_panel_by_name(
    page, migrated, new_database, clean_variables, monkeypatch, tmp_path
):
    """data.json?tenant=<name>: that tenant's warehouse, name, DAG ids and real-time panel; no webhook yet says
    not set up with the runbook's "Real-time webhooks" link; an unknown name is a 404 naming the tenants."""
    from front_sync.warehouse import migrations

    client, auth = page
    other = new_database("globex")
    with psycopg.connect(other) as conn:
        migrations.migrate(conn)
    path = tmp_path / "tenants.json"
    path.write_text(
        json.dumps(
            {
                "tenants": [
                    {"name": name, "front_conn_id": f"front_{name}", "warehouse_conn_id": f"warehouse_{name}"}
                    for name in ("acme", "globex")
                ]
            }
        )
    )
    monkeypatch.setenv("FRONT_SYNC_TENANTS", str(path))
    monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE_ACME", migrated)
    monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE_GLOBEX", other)
    clean_variables.set("front_sync.config", json.dumps({"runbook_url": RUNBOOK}))
    now = datetime.now(UTC)
    applied(migrated, now, 3)

    acme = client.get("/front-sync/data.json?tenant=acme", headers=auth).json()
    assert acme["tenant"] == {"name": "acme", "warehouse_conn_id": "warehouse_acme", "front_conn_id": "front_acme"}
    assert acme["tenants"] == ["acme", "globex"] and acme["connection_id"] == "front_acme"
    assert acme["dag_ids"]["front_sync_incremental"] == "front_sync_incremental__acme"
    assert acme["schedule"]["dag_id"] == "front_sync_incremental__acme"
    assert acme["realtime"]["set_up"] and acme["realtime"]["lag_p50_seconds"] == pytest.approx(3, abs=0.1)
    globex = client.get("/front-sync/data.json?tenant=globex", headers=auth).json()
    assert globex["tenant"]["name"] == "globex" and not globex["realtime"]["set_up"]
    assert globex["realtime"]["runbook"] == f"{RUNBOOK}#real-time-webhooks"
    assert client.get("/front-sync/data.json", headers=auth).json()["tenant"]["name"] == "acme"  # no front_warehouse
    missing = client.get("/front-sync/data.json?tenant=initech", headers=auth)
    assert missing.status_code == 404 and "acme" in missing.json()["detail"]
