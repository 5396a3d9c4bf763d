"""The tenant list: parsing with errors that name the entry and field, the names each tenant gets, config
override per tenant, and watermark keys per tenant."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from front_sync.config import (
    CONFIG_VARIABLE,
    ConfigError,
    Tenant,
    config_key,
    parse_tenants,
    read_config,
    tenant_pools,
    tenants,
    watermark_key,
)
from front_sync.sync import watermarks

ACME = {"name": "acme", "front_conn_id": "front_acme", "warehouse_conn_id": "warehouse_acme"}
GLOBEX = {"name": "globex", "front_conn_id": "front_globex", "warehouse_conn_id": "warehouse_globex", "pool_slots": 3}


def listing(*entries) -> str:
    return json.dumps({"tenants": list(entries)})


def test_without_a_tenant_list_there_is_one_tenant_with_todays_names():
    (default,) = tenants({})
    assert default == Tenant()
    assert default.dag_id("front_sync_incremental") == "front_sync_incremental"
    assert default.pool == "front_api" and default.tags == []
    assert (default.front_conn_id, default.warehouse_conn_id) == ("front_default", "front_warehouse")
    assert watermark_key("contacts", default.name) == "front_sync.watermark.contacts"
    assert config_key(default.name) == CONFIG_VARIABLE


def test_a_tenant_gets_its_own_dag_ids_pool_variables_and_connections(tmp_path):
    path = tmp_path / "tenants.json"
    path.write_text(listing(ACME, GLOBEX))
    acme, globex = tenants({"FRONT_SYNC_TENANTS": str(path)})
    assert acme.dag_id("front_sync_incremental") == "front_sync_incremental__acme"
    assert (acme.pool, globex.pool) == ("front_api__acme", "front_api__globex")
    assert acme.tags == ["tenant:acme"]
    assert acme.task_defaults() == {
        "front_conn_id": "front_acme",
        "warehouse_conn_id": "warehouse_acme",
        "tenant": "acme",
    }
    assert watermark_key("contacts", "acme") == "front_sync.acme.watermark.contacts"
    assert config_key("globex") == "front_sync.globex.config"
    pools = tenant_pools((acme, globex))
    assert {name: (p["slots"], p["include_deferred"]) for name, p in pools.items()} == {
        "front_api__acme": (2, False),
        "front_api__globex": (3, False),
    }
    assert "tenant globex" in pools["front_api__globex"]["description"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("not json", "not valid JSON"),
        ("[]", r'must be an object \{"tenants": \[\.\.\.\]\}'),
        ('{"tenants": []}', "at least one tenant"),
        (listing("acme"), r"tenants\[0\] must be an object"),
        (listing({**ACME, "share": 0.5}), r"tenants\[0\]: unknown field\(s\) \['share'\]"),
        (listing({**ACME, "name": "Acme Inc"}), r"tenants\[0\]: field 'name' must be"),
        (listing({**ACME, "name": "config"}), "field 'name'"),
        (listing(ACME, {**GLOBEX, "name": None}), r"tenants\[1\]: field 'name'"),
        (listing({k: v for k, v in ACME.items() if k != "front_conn_id"}), r"\(acme\): field 'front_conn_id'"),
        (listing({**ACME, "warehouse_conn_id": "a b"}), r"\(acme\): field 'warehouse_conn_id'"),
        (listing({**ACME, "pool_slots": 0}), r"\(acme\): field 'pool_slots' must be an integer of at least 1"),
        (listing(ACME, {**GLOBEX, "name": "acme"}), r"name must differ between tenants; repeated: \['acme'\]"),
        (listing(ACME, {**GLOBEX, "front_conn_id": "front_acme"}), "front_conn_id must differ"),
        (listing(ACME, {**GLOBEX, "warehouse_conn_id": "warehouse_acme"}), "warehouse_conn_id must differ"),
    ],
    ids=[
        "not-json",
        "not-object",
        "empty",
        "entry-not-object",
        "unknown-field",
        "bad-name",
        "reserved-name",
        "missing-name",
        "missing-front-conn",
        "bad-warehouse-conn",
        "zero-slots",
        "repeated-name",
        "shared-front-conn",
        "shared-warehouse",
    ],
)
def test_a_bad_tenant_list_fails_naming_the_entry_and_field(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_tenants(text, source="tenants.json")


def test_an_unreadable_tenant_list_names_the_setting(tmp_path):
    with pytest.raises(ConfigError, match="FRONT_SYNC_TENANTS=.*cannot read"):
        tenants({"FRONT_SYNC_TENANTS": str(tmp_path / "missing.json")})


class Variables:
    """The part of Airflow's Variable the code uses, over a dict."""

    def __init__(self, values=None):
        self.values = dict(values or {})

    def get(self, key, default=None):
        return self.values.get(key, default)

    def set(self, key, value):
        self.values[key] = value


def test_a_tenants_config_overrides_the_shared_one_setting_by_setting():
    variables = Variables(
        {
            CONFIG_VARIABLE: json.dumps({"batch_pages": 7, "overlap_seconds": 60}),
            "front_sync.acme.config": json.dumps({"overlap_seconds": 10}),
        }
    )
    acme = read_config(variables, "acme")
    assert (acme.batch_pages, acme.overlap_seconds) == (7, 10)
    assert read_config(variables, "globex").overlap_seconds == 60
    assert read_config(variables).overlap_seconds == 60


def test_a_bad_tenant_config_names_the_tenants_variable():
    variables = Variables({"front_sync.acme.config": json.dumps({"batch_pages": 0})})
    with pytest.raises(ConfigError, match="Variable front_sync.acme.config: setting 'batch_pages' must be at least"):
        read_config(variables, "acme")
    variables = Variables({CONFIG_VARIABLE: json.dumps({"batch_pages": 0})})
    with pytest.raises(ConfigError, match="Variable front_sync.config: setting 'batch_pages'"):
        read_config(variables, "acme")


def test_watermarks_of_tenants_are_apart():
    variables = Variables()
    watermarks.advance(variables, "contacts", Decimal("100"), "r1", "t", tenant="acme")
    watermarks.advance(variables, "contacts", Decimal("5"), "r1", "t", tenant="globex")
    assert watermarks.initialise(variables, "conversations", Decimal("7"), "r1", "t", tenant="acme")
    assert set(variables.values) == {
        "front_sync.acme.watermark.contacts",
        "front_sync.globex.watermark.contacts",
        "front_sync.acme.watermark.conversations",
    }
    assert watermarks.read(variables, "contacts", "acme") == Decimal("100")
    assert watermarks.read(variables, "contacts", "globex") == Decimal("5")
    assert watermarks.read(variables, "contacts") is None


def test_a_tenants_webhook_connection_defaults_to_front_webhook_and_may_be_named():
    assert Tenant().webhook_conn_id == "front_webhook"
    acme, globex = parse_tenants(listing(ACME, {**GLOBEX, "webhook_conn_id": "hooks_globex"}))
    assert (acme.webhook_conn_id, globex.webhook_conn_id) == ("front_webhook__acme", "hooks_globex")
    with pytest.raises(ConfigError, match="webhook_conn_id must differ"):
        parse_tenants(listing({**ACME, "webhook_conn_id": "hooks"}, {**GLOBEX, "webhook_conn_id": "hooks"}))
