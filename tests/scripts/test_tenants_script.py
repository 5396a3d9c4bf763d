"""scripts/tenants.py: the tenants' pools for `airflow pools import`, and the deploy-time connection check."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def script(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("tenants_script", ROOT / "scripts" / "tenants.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path / "tenants.json"
    path.write_text(
        json.dumps(
            {
                "tenants": [
                    {"name": "acme", "front_conn_id": "front_acme", "warehouse_conn_id": "wh_acme"},
                    {
                        "name": "globex",
                        "front_conn_id": "front_globex",
                        "warehouse_conn_id": "wh_globex",
                        "pool_slots": 3,
                    },
                ]
            }
        )
    )
    monkeypatch.setenv("FRONT_SYNC_TENANTS", str(path))
    for name, token in (("ACME", "token-acme"), ("GLOBEX", "token-globex")):
        monkeypatch.setenv(
            f"AIRFLOW_CONN_FRONT_{name}",
            json.dumps(
                {"conn_type": "front", "host": "http://127.0.0.1:1", "password": token, "extra": {"share": 0.5}}
            ),
        )
    monkeypatch.setenv("AIRFLOW_CONN_WH_ACME", "postgresql://u@127.0.0.1:5432/acme")
    monkeypatch.setenv("AIRFLOW_CONN_WH_GLOBEX", "postgresql://u@127.0.0.1:5432/globex")
    return module


def test_pools_lists_one_pool_per_tenant_with_its_slots(script, capsys):
    assert script.main(["pools"]) == 0
    pools = json.loads(capsys.readouterr().out)
    assert {name: pool["slots"] for name, pool in pools.items()} == {"front_api__acme": 2, "front_api__globex": 3}


def test_check_passes_tenants_apart_and_prints_each_budget(script, capsys):
    assert script.main(["check"]) == 0
    out = capsys.readouterr().out
    assert "acme: Front http://127.0.0.1:1 budget 50 req/min (rpm 100 x share 0.5)" in out
    assert "warehouse 127.0.0.1:5432/globex, pool front_api__globex" in out


def test_check_refuses_a_shared_warehouse_a_shared_budget_and_a_missing_connection(script, monkeypatch, capsys):
    monkeypatch.setenv("AIRFLOW_CONN_WH_GLOBEX", "postgresql://u@127.0.0.1:5432/acme")
    monkeypatch.setenv(
        "AIRFLOW_CONN_FRONT_GLOBEX",
        json.dumps(
            {
                "conn_type": "front",
                "host": "http://127.0.0.1:1",
                "password": "token-globex",
                "extra": {"budget_key": "one-company"},
            }
        ),
    )
    monkeypatch.setenv(
        "AIRFLOW_CONN_FRONT_ACME",
        json.dumps(
            {
                "conn_type": "front",
                "host": "http://127.0.0.1:1",
                "password": "token-acme",
                "extra": {"budget_key": "one-company"},
            }
        ),
    )
    assert script.main(["check"]) == 1
    err = capsys.readouterr().err
    assert "globex: same warehouse database as tenant acme" in err
    assert "globex: same budget key as tenant acme" in err
    monkeypatch.delenv("AIRFLOW_CONN_WH_ACME")
    assert script.main(["check"]) == 1
    assert "acme: AirflowNotFoundException" in capsys.readouterr().err
