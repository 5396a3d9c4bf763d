"""Issue 21 "A receiver", the pure parts: Front's application-webhook signature (base64 HMAC-SHA256 of
"<timestamp>:" + raw body), the timestamp window, the receiver's settings and which tenants it serves."""

from __future__ import annotations

import json

import pytest
from airflow.sdk import Connection
from airflow.sdk.exceptions import AirflowNotFoundException

from front_sync.config import ConfigError, Tenant
from front_sync.realtime.settings import ReceiverSettings
from front_sync.realtime.signature import sign, signed_by, within_window
from front_sync.realtime.tenants import Registry, load_webhook_tenants

BODY = b'{"type":"sync","authorization":{"id":"cmp_3f2a"}}'
# Computed independently of this code: printf '1700000000000:<BODY>' | openssl dgst -sha256 -hmac whsec_example
# -binary | base64
EXPECTED = "p473oheY8xpgZ6cYT1g3kuzgi85stKkPiLKXzVdhkdA="


def test_the_signature_is_fronts_documented_hmac_sha256_over_timestamp_and_raw_body():
    assert sign("whsec_example", "1700000000000", BODY) == EXPECTED
    assert signed_by("whsec_example", "1700000000000", BODY, EXPECTED)


@pytest.mark.parametrize(
    "secret, timestamp, body, signature",
    [
        ("whsec_other", "1700000000000", BODY, EXPECTED),
        ("whsec_example", "1700000000001", BODY, EXPECTED),
        ("whsec_example", "1700000000000", BODY.replace(b"3f2a", b"3f2b"), EXPECTED),
        ("whsec_example", "1700000000000", BODY + b" ", EXPECTED),  # re-serialised JSON is another body
        ("whsec_example", "1700000000000", BODY, EXPECTED[:-2]),
        ("whsec_example", "1700000000000", BODY, "ésignature"),
    ],
    ids=["other-secret", "other-timestamp", "tampered-body", "whitespace", "truncated", "non-ascii"],
)
def test_a_signature_of_anything_else_does_not_verify(secret, timestamp, body, signature):
    assert not signed_by(secret, timestamp, body, signature)


@pytest.mark.parametrize(
    "age_s, inside", [(0, True), (299, True), (301, False), (360, False), (-59, True), (-61, False), (-600, False)]
)
def test_the_timestamp_window_is_5_minutes_back_and_a_minute_ahead(age_s, inside):
    now = 1_700_000_000_000
    assert within_window(str(now - age_s * 1000), now) is inside


def test_a_timestamp_that_is_not_milliseconds_is_outside_the_window():
    assert not within_window("yesterday", 1_700_000_000_000)
    assert not within_window("", 1_700_000_000_000)


def test_settings_come_from_the_environment_and_a_bad_one_names_its_variable():
    assert ReceiverSettings.from_env({}) == ReceiverSettings()
    assert ReceiverSettings.from_env({}).port == 8090
    custom = ReceiverSettings.from_env(
        {"FRONT_SYNC_WEBHOOK_PORT": "9001", "FRONT_SYNC_WEBHOOK_PATH": "/hooks/x", "FRONT_SYNC_WEBHOOK_HOST": "0.0.0.0"}
    )
    assert (custom.port, custom.path, custom.host) == (9001, "/hooks/x", "0.0.0.0")
    for variable, value in [
        ("FRONT_SYNC_WEBHOOK_PORT", "http"),
        ("FRONT_SYNC_WEBHOOK_PORT", "70000"),
        ("FRONT_SYNC_WEBHOOK_PATH", "hooks"),
        ("FRONT_SYNC_WEBHOOK_MAX_BYTES", "0"),
    ]:
        with pytest.raises(ConfigError, match=variable):
            ReceiverSettings.from_env({variable: value})


def connections(**found: dict):
    """A get_connection over Airflow Connection objects given as JSON-form dicts."""

    def get(conn_id: str) -> Connection:
        if conn_id not in found:
            raise AirflowNotFoundException(f"The conn_id `{conn_id}` isn't defined")
        return Connection.from_json(json.dumps(found[conn_id]), conn_id=conn_id)

    return get


WAREHOUSE = {"conn_type": "postgres", "host": "db", "schema": "front"}


def test_tenants_with_a_complete_webhook_connection_are_served_and_the_others_named_without_their_secret():
    acme = Tenant("acme", "front_acme", "wh_acme", webhook_conn_id="hook_acme")
    globex = Tenant("globex", "front_globex", "wh_globex", webhook_conn_id="hook_globex")
    initech = Tenant("initech", "front_initech", "wh_initech", webhook_conn_id="hook_initech")
    get = connections(
        hook_acme={
            "conn_type": "generic",
            "password": "s-acme-123456",
            "extra": {"company_id": "cmp_a", "previous_secret": "s-acme-old-123"},
        },
        hook_globex={"conn_type": "generic", "password": "s-globex-123456", "extra": {}},
        wh_acme=WAREHOUSE,
        wh_globex=WAREHOUSE,
    )
    served, problems = load_webhook_tenants((acme, globex, initech), get)
    assert [(t.label, t.company_id, t.secrets) for t in served] == [
        ("acme", "cmp_a", ("s-acme-123456", "s-acme-old-123"))
    ]
    assert len(problems) == 2 and "company_id" in problems[0] and "hook_initech" in problems[1]
    assert "s-globex-123456" not in " ".join(problems) and "s-acme" not in repr(served)


def test_one_app_secret_serving_two_companies_maps_each_request_by_its_signature_then_company():
    shared = {"conn_type": "generic", "password": "s-shared-app-1234"}
    registry = Registry(
        connections(
            hook_a={**shared, "extra": {"company_id": "cmp_a"}},
            hook_b={**shared, "extra": {"company_id": "cmp_b"}},
            hook_c={"conn_type": "generic", "password": "s-other-app-1234", "extra": {"company_id": "cmp_c"}},
            wh_a=WAREHOUSE,
            wh_b=WAREHOUSE,
            wh_c=WAREHOUSE,
        ),
        lambda: [Tenant(n, f"front_{n}", f"wh_{n}", webhook_conn_id=f"hook_{n}") for n in "abc"],
    )
    registry.refresh()
    signature = sign("s-shared-app-1234", "1", BODY)
    assert [t.company_id for t in registry.signers("1", BODY, signature)] == ["cmp_a", "cmp_b"]
    assert registry.signers("1", BODY, sign("s-unknown-1234", "1", BODY)) == []
