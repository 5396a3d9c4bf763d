"""Two Front companies (tenants) at once: two simulators with their own tokens, two warehouse databases, the
tenants' generated DAGs run with dag.test().

Each warehouse equals its own company's ground truth, no row, watermark or token crosses to the other tenant,
and one tenant failing (a revoked token) leaves the other's runs and state alone.
"""

from __future__ import annotations

import json

import pytest

from front_sync_testing.truth import SIZES, assert_matches_truth, query, run, wait_past

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server

# The simulators' ids depend on the sizes, not the seed: different sizes give each company ids the other lacks.
COMPANIES = {
    "acme": {"seed": 11, "token": "token-acme", "sizes": {**SIZES, "contacts": 200, "conversations": 30}},
    "globex": {"seed": 12, "token": "token-globex", "sizes": {**SIZES, "contacts": 80, "conversations": 50}},
}


@pytest.fixture(scope="module")
def simulators():
    """Per company: a running simulator that accepts only its own token."""
    from front_simulator.control import SimulatorControl
    from front_simulator.server import SimulatorServer

    servers = {
        name: SimulatorServer(seed=spec["seed"], sizes=spec["sizes"], token=spec["token"], port=0).start()
        for name, spec in COMPANIES.items()
    }
    yield {name: (server, SimulatorControl(server.base_url)) for name, server in servers.items()}
    for server in servers.values():
        server.stop()


@pytest.fixture
def companies(simulators, new_database):
    """Per tenant: its simulator, reset to its company, and a new warehouse database of its own."""
    started = {}
    for name, spec in COMPANIES.items():
        server, control = simulators[name]
        control.reset(seed=spec["seed"], sizes=spec["sizes"])
        started[name] = {"server": server, "control": control, "url": new_database(f"tenant_{name}"), **spec}
    return started


def front_connection(base_url: str, token: str) -> str:
    return json.dumps(
        {
            "conn_type": "front",
            "host": base_url,
            "password": token,
            "extra": {
                "allowed_hosts": ["localhost"],
                "rpm": 100_000,
                "share": 1.0,
                "burst_per_second": 0,
                "max_attempts": 0,
            },
        }
    )


@pytest.fixture
def tenant_dags(companies, airflow_db, clean_variables, monkeypatch, tmp_path):
    """The tenant list (FRONT_SYNC_TENANTS), each tenant's connections, and the DAGs parsed from them."""
    from front_sync_testing.dags import parse_dags

    path = tmp_path / "tenants.json"
    path.write_text(
        json.dumps(
            {
                "tenants": [
                    {"name": name, "front_conn_id": f"front_{name}", "warehouse_conn_id": f"warehouse_{name}"}
                    for name in companies
                ]
            }
        )
    )
    monkeypatch.setenv("FRONT_SYNC_TENANTS", str(path))
    for name, company in companies.items():
        monkeypatch.setenv(
            f"AIRFLOW_CONN_FRONT_{name.upper()}", front_connection(company["server"].base_url, company["token"])
        )
        monkeypatch.setenv(f"AIRFLOW_CONN_WAREHOUSE_{name.upper()}", company["url"])
    # The small resources are listed in every hourly run, so one run after a change converges.
    clean_variables.set("front_sync.config", json.dumps({"directory_refresh_minutes": 0}))
    dagbag = parse_dags()
    assert dagbag.import_errors == {}
    return dagbag.dags


def ids(url: str, table: str) -> set[str]:
    return {r["id"] for r in query(url, f"SELECT id FROM front.{table}")}  # noqa: S608 - our own table names


def statuses(control) -> dict[str, int]:
    """Every HTTP status the simulator answered, summed over its endpoints."""
    total: dict[str, int] = {}
    for endpoint in control.stats()["endpoints"].values():
        for status, count in endpoint["statuses"].items():
            total[status] = total.get(status, 0) + count
    return total


def sync_and_change(dags, companies):
    """Initial load, a round of changes in both companies, and the hourly run that brings them in."""
    for name in companies:
        assert run(dags[f"front_sync_incremental__{name}"]).state == "success"
    for company in companies.values():
        # (Not update_contacts: a contact renamed inside a conversation's recipients emits no event; the nightly
        # full run converges it, see test_full_flow.)
        for action in ("new_inbound", "add_comments", "tag", "archive", "create_contacts", "rename_teams"):
            company["control"].mutate(action, count=3)
    for company in companies.values():
        wait_past(company["control"])
    for name in companies:
        assert run(dags[f"front_sync_incremental__{name}"]).state == "success"


def test_two_companies_each_warehouse_equals_its_own_truth_nothing_crosses_and_a_failure_stays_apart(
    tenant_dags, companies, clean_variables, monkeypatch
):
    acme, globex = companies["acme"], companies["globex"]
    sync_and_change(tenant_dags, companies)
    for company in companies.values():
        assert_matches_truth(company["control"], company["url"])

    # Ids only one company has are absent from the other's warehouse (both ways), and the ids both companies
    # have hold each company's own record (the whole-table comparison above): different names, same id.
    only_acme = ids(acme["url"], "contacts") - {c["id"] for c in globex["control"].truth("contacts")["_results"]}
    only_globex = ids(globex["url"], "conversations") - {
        c["id"] for c in acme["control"].truth("conversations")["_results"]
    }
    assert len(only_acme) >= 100 and not only_acme & ids(globex["url"], "contacts")
    assert len(only_globex) >= 15 and not only_globex & ids(acme["url"], "conversations")
    shared = ids(acme["url"], "contacts") & ids(globex["url"], "contacts")
    names = {
        url: dict((r["id"], r["name"]) for r in query(url, "SELECT id, name FROM front.contacts"))
        for url in (acme["url"], globex["url"])
    }
    assert sum(names[acme["url"]][i] != names[globex["url"]][i] for i in shared) > len(shared) // 2

    for name, company in companies.items():
        # Each warehouse's audit rows come from its tenant's DAGs only, and its rate budget is its company's.
        dag_ids = {r["dag_id"] for r in query(company["url"], "SELECT DISTINCT dag_id FROM front.sync_logs")}
        assert dag_ids == {f"front_sync_incremental__{name}"}
        assert len(budget_keys_of(company["url"])) == 1
        # A simulator answers 401 to any token but its own: none means no foreign token ever reached it.
        seen = statuses(company["control"])
        assert seen.get("200", 0) > 50 and "401" not in seen, seen
    assert budget_keys_of(acme["url"]) != budget_keys_of(globex["url"])
    keys = {k for k in variable_keys(clean_variables) if ".watermark." in k}
    assert {
        "front_sync.acme.watermark.contacts",
        "front_sync.globex.watermark.contacts",
        "front_sync.acme.watermark.conversations",
        "front_sync.globex.watermark.conversations",
    } <= keys
    assert not [k for k in keys if k.startswith("front_sync.watermark.")]  # the default tenant's are untouched

    one_tenant_fails(tenant_dags, companies, clean_variables, monkeypatch)


def budget_keys_of(url: str) -> set[str]:
    return {r["budget_key"] for r in query(url, "SELECT DISTINCT budget_key FROM front.rate_budget")}


def variable_keys(variables) -> set[str]:
    from airflow.utils.session import create_session

    with create_session() as session:
        return {key for (key,) in session.query(variables.key).filter(variables.key.like("front_sync.%"))}


def one_tenant_fails(tenant_dags, companies, clean_variables, monkeypatch):
    """globex's token is revoked: its runs fail, acme's go on and its warehouse still equals its truth."""
    acme, globex = companies["acme"], companies["globex"]
    marks = {k: clean_variables.get(k) for k in variable_keys(clean_variables) if ".globex.watermark." in k}
    # A 401 is not retried: globex's run fails at once.
    monkeypatch.setenv("AIRFLOW_CONN_FRONT_GLOBEX", front_connection(globex["server"].base_url, "revoked"))
    for company in companies.values():
        company["control"].mutate("new_inbound", count=4)
        company["control"].mutate("create_contacts", count=4)
        wait_past(company["control"])
    assert run(tenant_dags["front_sync_incremental__globex"]).state == "failed"
    assert run(tenant_dags["front_sync_incremental__acme"]).state == "success"
    assert_matches_truth(acme["control"], acme["url"])
    assert {k: clean_variables.get(k) for k in marks} == marks  # globex's watermarks stayed
    failed = query(globex["url"], "SELECT resource, error_message FROM front.sync_logs WHERE status = 'failed'")
    assert failed and all("401" in r["error_message"] or "Auth" in r["error_message"] for r in failed)
    assert not query(acme["url"], "SELECT 1 FROM front.sync_logs WHERE status = 'failed'")
    assert "401" not in statuses(acme["control"])
