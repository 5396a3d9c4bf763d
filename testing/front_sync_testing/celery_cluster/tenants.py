"""The tenants variant: two Front companies (two simulator processes) as two tenants of one cluster; nothing
may cross between them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from front_sync_testing import ROOT, truth
from front_sync_testing.soak import infra

from .cluster import Cluster, ClusterError, cluster_env, log
from .plan import (
    BURST,
    DAGS,
    FRONT_EXTRA,
    SYNC_CONFIG,
    TENANT_CHANGES,
    Company,
    Variant,
)
from .run import Run


@dataclass
class Simulator:
    """A Front simulator in a process of its own (`python -m front_simulator`), serving one company."""

    company: Company
    log_path: Path
    proc: subprocess.Popen | None = None
    base_url: str = ""
    control: Any = None

    def start(self, timeout: float = 60) -> None:
        from front_simulator.control import SimulatorControl

        company = self.company
        sizes = [arg for key, value in company.sizes.items() for arg in (f"--{key.replace('_', '-')}", str(value))]
        handle = open(self.log_path, "ab")  # noqa: SIM115 - the simulator's lifetime
        self.proc = subprocess.Popen(
            [
                infra.python(),
                "-m",
                "front_simulator",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--seed",
                str(company.seed),
                "--token",
                company.token,
                "--rpm",
                str(company.rpm),
                "--burst",
                str(BURST),
                *sizes,
            ],
            env=infra.base_env(),
            cwd=str(ROOT),
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        handle.close()

        ends = time.monotonic() + timeout
        while not self.base_url:
            if self.proc.poll() is not None or time.monotonic() > ends:
                raise ClusterError(f"simulator {company.name} did not start:\n{self.log_path.read_text()[-2000:]}")
            time.sleep(0.2)
            for line in self.log_path.read_text(errors="replace").splitlines():
                if "listening on " in line:
                    self.base_url = line.rsplit("listening on ", 1)[1].strip()
        self.control = SimulatorControl(self.base_url, timeout=60)

    def connection(self) -> str:
        """The tenant's Front connection (AIRFLOW_CONN_FRONT_<NAME>): this company's token and plan."""
        return json.dumps(
            {
                "conn_type": "front",
                "host": self.base_url,
                "password": self.company.token,
                "extra": {**FRONT_EXTRA, "rpm": self.company.rpm},
            }
        )

    def statuses(self) -> dict[str, int]:
        """Every HTTP status this simulator answered, summed over its endpoints."""
        total: Counter = Counter()
        for endpoint in self.control.stats()["endpoints"].values():
            total.update({status: count for status, count in endpoint["statuses"].items()})
        return dict(total)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def _table_ids(url: str, table: str) -> set[str]:
    return {r["id"] for r in truth.query(url, f"SELECT id FROM front.{table}")}  # noqa: S608 - our table names


class TenantsRun(Run):
    """Two companies as two tenants of one Celery cluster: their DAGs run side by side on both workers."""

    def __init__(self, variant: Variant, keep: Path | None):
        super().__init__(variant, keep)
        self.sims = {c.name: Simulator(c, self.folder / "logs" / f"simulator-{c.name}.log") for c in variant.companies}
        self.crossing: dict[str, Any] = {}
        self.deleted: dict[str, set[str]] = {name: set() for name in self.sims}  # contacts each company deleted

    def dag_ids(self, name: str | None = None) -> list[str]:
        return [f"{base}__{tenant}" for base in DAGS for tenant in self.sims if name in (None, tenant)]

    def warehouse(self, name: str) -> str:
        return f"{self.cluster.settings['METADATA_URL'].rsplit('/', 1)[0]}/front_{name}"

    def setup(self) -> None:
        since = time.monotonic()
        (self.folder / "logs").mkdir(exist_ok=True)
        for sim in self.sims.values():
            sim.start()
        tenants_file = self.folder / "tenants.json"
        tenants_file.write_text(
            json.dumps(
                {
                    "tenants": [
                        {"name": name, "front_conn_id": f"front_{name}", "warehouse_conn_id": f"warehouse_{name}"}
                        for name in self.sims
                    ]
                }
            )
        )
        pg_port = infra.free_port()
        env = cluster_env(
            self.folder,
            FRONT_SYNC_TENANTS=str(tenants_file),
            # The cluster's PostgreSQL on a port chosen here, so the warehouse connections can name its databases.
            PGPORT=str(pg_port),
            FRONT_SYNC_PG_DATABASES=" ".join(f"front_{name}" for name in self.sims),
            # Two task slots per worker: both tenants' pools (two slots each) can fill at once, so the tenants run
            # side by side instead of taking turns on two slots.
            FRONT_SYNC_WORKER_CONCURRENCY="2",
        )
        for name, sim in self.sims.items():
            env[f"AIRFLOW_CONN_FRONT_{name.upper()}"] = sim.connection()
            env[f"AIRFLOW_CONN_WAREHOUSE_{name.upper()}"] = f"postgresql://postgres@127.0.0.1:{pg_port}/front_{name}"
        self.cluster = Cluster(self.folder, env)
        self.cluster.start(timeout=min(240, self.left()))
        self.phase("cluster_start_seconds", since)
        dag_ids = self.dag_ids()
        infra.wait_for(
            "the dag-processor to register both tenants' DAGs",
            lambda: (
                len(self.cluster.query("SELECT dag_id FROM dag WHERE dag_id = ANY(%s)", (dag_ids,))) == len(dag_ids)
            ),
            120,
            interval=1,
        )
        pools = {p["name"]: p["slots"] for p in self.cluster.api("GET", "/pools")["pools"]}
        missing = [f"front_api__{name}" for name in self.sims if f"front_api__{name}" not in pools]
        if missing:
            raise AssertionError(f"tenant pools not imported: {missing} (pools: {pools})")
        self.cluster.api("POST", "/variables", {"key": "front_sync.config", "value": json.dumps(SYNC_CONFIG)})
        for dag_id in dag_ids:
            self.cluster.api("PATCH", f"/dags/{dag_id}", {"is_paused": False})

    def run_together(self, base: str, timeout: float = 240) -> None:
        """Trigger `base`'s DAG of every tenant at once, then wait for all of them; every run must succeed."""
        since = time.monotonic()
        started = {name: self.trigger(f"{base}__{name}") for name in self.sims}
        failed = []
        for name, run_id in started.items():
            dag_id = f"{base}__{name}"
            state = self.wait_run(dag_id, run_id, timeout)
            self.runs.append(
                {"dag_id": dag_id, "run_id": run_id, "state": state, "seconds": round(time.monotonic() - since, 1)}
            )
            log(f"{dag_id} {run_id}: {state} in {self.runs[-1]['seconds']} s")
            if state != "success":
                failed.append(f"{dag_id} {run_id} ended {state}: {self.task_states(dag_id, run_id)}")
        if failed:
            raise AssertionError("; ".join(failed))

    def compare(self, label: str, tables: dict[str, Any] | None = None) -> None:
        since = time.monotonic()
        for name, sim in self.sims.items():
            try:
                truth.assert_matches_truth(sim.control, self.warehouse(name), tables or truth.TABLES)
            except AssertionError as exc:
                raise AssertionError(f"tenant {name}, {label}: {exc}") from exc
        self.phase(f"compare_{label}_seconds", since)

    def scenario(self) -> None:
        """Both backfills at once; changes in both companies, both incrementals; contact deletions, both fulls;
        each warehouse compared with its own company's truth after each; then nothing crossed."""
        since = time.monotonic()
        self.run_together("front_sync_backfill")
        self.compare("after_backfill", {k: truth.TABLES[k] for k in ("conversations", "messages", "comments")})
        for sim in self.sims.values():
            for action in TENANT_CHANGES:
                sim.control.mutate(action, count=3)
        for sim in self.sims.values():
            truth.wait_past(sim.control)
        self.run_together("front_sync_incremental")
        self.compare("after_incremental")
        for name, sim in self.sims.items():
            self.deleted[name].update(sim.control.mutate("delete_contacts", count=3)["ids"])
        self.run_together("front_sync_full")
        self.compare("after_full", {"contacts": "contacts"})
        self.check_nothing_crossed()
        self.phase("scenario_seconds", since)

    def check_nothing_crossed(self) -> None:
        """Ids only one company ever had are absent from the other's warehouse, soft-deleted rows included; every
        row a warehouse holds is its own company's; the ids both have hold each company's own records; each
        warehouse's audit rows, rate budget and watermarks are its own tenant's."""
        a, b = self.sims
        problems = []
        for table in ("contacts", "conversations", "messages", "comments"):
            # A company's ids: its current records and those it deleted (the warehouse keeps them, soft-deleted).
            known = {
                name: {r["id"] for r in sim.control.truth(table)["_results"]}
                | (self.deleted[name] if table == "contacts" else set())
                for name, sim in self.sims.items()
            }
            stored = {name: _table_ids(self.warehouse(name), table) for name in self.sims}
            for own, other in ((a, b), (b, a)):
                only = known[own] - known[other]
                crossed = only & stored[other]
                self.crossing[f"{table}_only_{own}"] = len(only)
                if crossed:
                    problems.append(f"{len(crossed)} {table} of {own} only are in {other}'s warehouse")
                if stored[own] - known[own]:
                    problems.append(
                        f"{own}'s warehouse holds {len(stored[own] - known[own])} {table} its company never had"
                    )
        names = {
            name: dict(
                (r["id"], r["name"]) for r in truth.query(self.warehouse(name), "SELECT id, name FROM front.contacts")
            )
            for name in self.sims
        }
        shared = names[a].keys() & names[b].keys()
        differing = sum(names[a][i] != names[b][i] for i in shared)
        self.crossing.update(contacts_shared_ids=len(shared), contacts_shared_ids_differing=differing)
        if differing <= len(shared) // 2:
            problems.append(f"only {differing} of {len(shared)} contact ids both companies have differ by name")
        for name in self.sims:
            url = self.warehouse(name)
            dag_ids = {r["dag_id"] for r in truth.query(url, "SELECT DISTINCT dag_id FROM front.sync_logs")}
            if not dag_ids or not all(d.endswith(f"__{name}") for d in dag_ids):
                problems.append(f"{name}'s warehouse has sync_logs of {sorted(dag_ids)}")
            keys = {r["budget_key"] for r in truth.query(url, "SELECT DISTINCT budget_key FROM front.rate_budget")}
            self.crossing[f"budget_keys_{name}"] = len(keys)
            if len(keys) != 1:
                problems.append(f"{name}'s warehouse holds {len(keys)} budget keys")
        budgets = [
            truth.query(self.warehouse(n), "SELECT DISTINCT budget_key FROM front.rate_budget") for n in self.sims
        ]
        if budgets[0] == budgets[1]:
            problems.append("both tenants drew from one rate budget")
        watermarks = {
            k for (k,) in self.cluster.query("SELECT key FROM variable WHERE key LIKE %s", ("front_sync.%watermark.%",))
        }
        self.crossing["watermarks"] = {
            name: sum(k.startswith(f"front_sync.{name}.watermark.") for k in watermarks) for name in self.sims
        }
        if [k for k in watermarks if k.startswith("front_sync.watermark.")] or not all(
            self.crossing["watermarks"].values()
        ):
            problems.append(f"watermarks not per tenant: {sorted(watermarks)}")
        log(f"nothing crossed? {self.crossing}")
        if problems:
            raise AssertionError("; ".join(problems))

    def report(self) -> dict[str, Any]:
        tenants = {}
        every: Counter = Counter()
        for name, sim in self.sims.items():
            dag_ids = self.dag_ids(name)
            rows = self.cluster.query(
                "SELECT hostname, try_number, task_id FROM task_instance WHERE dag_id = ANY(%s) "
                "UNION ALL SELECT hostname, try_number, task_id FROM task_instance_history WHERE dag_id = ANY(%s)",
                (dag_ids, dag_ids),
            )
            per_worker = Counter(h or "(never started)" for h, _n, _t in rows)
            every.update(per_worker)
            totals = sim.control.stats()["totals"]
            calls, limited = totals.get("calls") or 0, totals.get("429s") or 0
            tenants[name] = {
                "sizes": {k: sim.company.sizes[k] for k in ("contacts", "conversations")},
                "rpm": sim.company.rpm,
                "tries_per_worker": dict(sorted(per_worker.items())),
                "tries": len(rows),
                "retries": sum(1 for _h, n, _t in rows if n and n > 1),
                "tasks_retried": sorted({t for _h, n, t in rows if n and n > 1}),
                "api_calls": calls,
                "http_429": limited,
                "http_429_percent": round(100 * limited / max(calls, 1), 2),
                "http_401": sim.statuses().get("401", 0),
            }
        return {"tries_per_worker": dict(sorted(every.items())), "tenants": tenants, "crossing": self.crossing}

    def stop_simulators(self) -> None:
        for sim in self.sims.values():
            sim.stop()
