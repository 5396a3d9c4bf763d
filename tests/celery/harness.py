"""The native Celery topology under test: scripts/airflow_celery.sh with two workers, the three sync DAGs, a worker
killed with SIGKILL mid-task, and the warehouse compared with the simulator's ground truth.

Everything is real: Redis, PostgreSQL, Airflow's api-server, scheduler, dag-processor, triggerer and Celery
workers as separate processes started by the script (nothing is mocked); the Front simulator serves over HTTP,
rate limited like a Front company. The harness only triggers runs through the REST API, reads the metadata DB
and the warehouse, kills a worker's whole process tree (a lost machine) and, in the full variant, starts a
replacement worker with `airflow_celery.sh worker NAME`.

The tenants variant runs two Front companies on one cluster instead (no kill): two simulator processes with their
own data, token and rate limit, a tenant list (FRONT_SYNC_TENANTS) in every component's environment, one warehouse
database per tenant; both tenants' DAGs run at the same time, and each warehouse must equal its own company's truth
with no row, audit row, budget or token of one company reaching the other.

The oauth variant (issue 23) runs the backfill, incremental and full DAGs with front_default as an OAuth app whose
access tokens live OAUTH_LIFETIME seconds (no kill): every expiry must be refreshed exactly once across both
workers, no try may fail on a 401, no refresh token may be sent twice, no token may reach a log, and the warehouse
must equal the truth as an OAuth token sees it.

    .venv/bin/python scripts/celery_check.py [--variant short|full|tenants|oauth] [--summary-json FILE]
        [--keep-logs DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2
import requests

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "airflow_celery.sh"


def _load(name: str, path: Path):
    """A sibling test helper by path: tests/ has no __init__.py (a tests/celery package would shadow celery)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


truth = _load("front_sync_test_truth", ROOT / "tests" / "integration" / "truth.py")
infra = _load("front_sync_soak_infra", ROOT / "tests" / "soak" / "infra.py")

TOKEN = "test-token"
DAGS = ("front_sync_backfill", "front_sync_incremental", "front_sync_full")
FINISHED = ("success", "failed")
# A rate-limited company: 1,200 requests a minute, 10 a second per resource; each task may spend 45 % of it and
# the front_api pool runs two API tasks at a time, as in the soak test.
RPM, BURST = 1200, 10
FRONT_EXTRA = {"allowed_hosts": ["localhost"], "rpm": RPM, "share": 0.45, "burst_per_second": 5,
               "read_timeout": 10, "max_rate_limit_wait_seconds": 120}
# The queue's time constants compressed (defaults 600 s and 60 s): a killed try's claims lapse within the test.
SYNC_CONFIG = {"queue_lease_seconds": 15, "queue_retry_seconds": 5}
CHANGES = ("new_inbound", "new_outbound", "add_comments", "tag", "archive", "update_contacts", "create_contacts",
           "new_conversations")
# Not update_contacts in the tenants variant: a contact renamed inside a conversation's recipients emits no event
# (README: changes that emit no event), and in these small accounts most contacts are some conversation's recipient.
# Contacts still change (create_contacts, then delete_contacts before the full runs).
TENANT_CHANGES = tuple(action for action in CHANGES if action != "update_contacts")
KILL_TARGETS = ("sync_messages", "sync_comments")  # children of the backfill: they work the PostgreSQL queue


@dataclass(frozen=True)
class Company:
    """One Front company of the tenants variant: its simulator's data (seed, sizes), token and rate limit."""

    name: str
    seed: int
    token: str
    rpm: int
    sizes: dict[str, Any]


@dataclass(frozen=True)
class Variant:
    name: str
    sizes: dict[str, Any]
    kills: tuple[str | None, ...]   # the worker each kill hits (None: whichever is first inside a queue task)
    deadline_seconds: float
    companies: tuple[Company, ...] = ()   # the tenants variant: one tenant per company, no kill
    oauth: bool = False   # the oauth variant: front_default is an OAuth app with short-lived access tokens


# The simulators' ids depend on the sizes, not the seed: different sizes give each company ids the other lacks,
# and the ids both have hold different records (other seed). Different plans too: each has its own budget.
COMPANIES = (
    Company("acme", 21, "token-acme", 1200, {**truth.SIZES, "contacts": 120, "conversations": 40}),
    Company("globex", 22, "token-globex", 900, {**truth.SIZES, "contacts": 60, "conversations": 55}),
)
VARIANTS = {
    "short": Variant("short", {**truth.SIZES, "contacts": 200, "conversations": 60}, (None,), 330),
    "full": Variant("full", {**truth.SIZES, "contacts": 1500, "conversations": 200}, ("worker1", "worker2"), 900),
    "tenants": Variant("tenants", {}, (), 330, COMPANIES),
    # Six inboxes: seed 13 makes one of them private, which an OAuth token does not see.
    "oauth": Variant("oauth", {**truth.SIZES, "contacts": 200, "conversations": 60, "inboxes": 6}, (), 420,
                     oauth=True),
}
OAUTH_LIFETIME = 20.0  # seconds an access token lives in the oauth variant (Front: an hour)
OAUTH_MARGIN = 5.0     # refresh this long before expiry
OAUTH_CALLBACK = "http://127.0.0.1:9/front-sync-oauth/callback"


def log(message: str) -> None:
    print(f"[celery {time.strftime('%H:%M:%S')}] {message}", flush=True)


class ClusterError(RuntimeError):
    """The cluster or the harness could not do something (start-up, a wait timed out): not a product mismatch."""


@dataclass
class Cluster:
    """scripts/airflow_celery.sh running in `folder`, and the workers the harness added."""

    folder: Path
    env: dict[str, str]
    proc: subprocess.Popen | None = None
    settings: dict[str, str] = field(default_factory=dict)
    extra_workers: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, timeout: float) -> None:
        log_file = open(self.folder / "script.log", "ab")  # noqa: SIM115 - the script's lifetime
        self.proc = subprocess.Popen([str(SCRIPT)], env=self.env, cwd=str(ROOT), stdout=log_file,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        log_file.close()
        ends = time.monotonic() + timeout
        while not (self.folder / "ready").exists():
            if self.proc.poll() is not None or time.monotonic() > ends:
                raise ClusterError(f"airflow_celery.sh did not get ready:\n{self.script_log()[-3000:]}")
            time.sleep(1)
        for line in (self.folder / "cluster.env").read_text().splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            self.settings[key] = shlex.split(value)[0] if value else ""

    def script_log(self) -> str:
        path = self.folder / "script.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @property
    def api_url(self) -> str:
        return self.settings["API_URL"]

    def api(self, method: str, path: str, payload: Any = None) -> Any:
        response = requests.request(method, f"{self.api_url}/api/v2{path}", json=payload, timeout=30)
        if response.status_code >= 400:
            raise ClusterError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if response.content else None

    def query(self, statement: str, params: Any = (), url: str | None = None) -> list[tuple]:
        conn = psycopg2.connect(url or self.settings["METADATA_URL"], connect_timeout=5)
        try:
            with conn.cursor() as cur:
                cur.execute(statement, params)
                return cur.fetchall()
        finally:
            conn.close()

    def component_pid(self, name: str) -> int | None:
        path = self.folder / "pids" / name
        return int(path.read_text()) if path.exists() else None

    def kill_worker(self, name: str) -> int:
        """SIGKILL a worker's whole process tree at once, as if its machine died; returns how many processes.

        Airflow's task processes lead process groups of their own, so killing the worker's group alone would
        leave them running: every descendant is stopped first (no new fork escapes), then all are killed.
        """
        pid = self.component_pid(name)
        if pid is None:
            raise ClusterError(f"no pid for {name}")
        tree: set[int] = set()
        for _ in range(3):  # stop, re-list: a process forked between two listings is stopped on the next pass
            for member in descendants(pid) | {pid}:
                if member not in tree:
                    with _suppress_gone():
                        os.kill(member, signal.SIGSTOP)
                    tree.add(member)
        for member in tree:
            with _suppress_gone():
                os.kill(member, signal.SIGKILL)
        return len(tree)

    def start_worker(self, name: str, wait: bool = True) -> None:
        """`airflow_celery.sh worker NAME`: a replacement worker joins the running cluster."""
        log_path = self.folder / "logs" / f"{name}-replacement.log"
        handle = open(log_path, "ab")  # noqa: SIM115 - the worker's lifetime
        env = {**self.env, "FRONT_SYNC_CELERY_DIR": str(self.folder)}
        proc = subprocess.Popen([str(SCRIPT), "worker", name], env=env, cwd=str(ROOT), stdout=handle,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        handle.close()
        self.extra_workers[name] = proc
        if wait:
            self.wait_worker(name)

    def wait_worker(self, name: str, timeout: float = 120) -> None:
        """Until the replacement worker `name` reports ready (Celery's "ready." line)."""
        proc = self.extra_workers[name]
        log_path = self.folder / "logs" / f"{name}-replacement.log"
        ends = time.monotonic() + timeout
        while " ready." not in log_path.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > ends:
                raise ClusterError(f"replacement {name} did not get ready:\n{log_path.read_text()[-2000:]}")
            time.sleep(1)

    def stop(self, timeout: float = 150) -> dict[str, Any]:
        """SIGTERM the script (its clean shutdown); report how long it took and any process or port left over."""
        if self.proc is None:
            return {}
        tracked = {int(p.read_text()) for p in (self.folder / "pids").glob("*") if p.read_text().strip()}
        tracked |= {d for pid in list(tracked) for d in descendants(pid)}
        started = time.monotonic()
        with _suppress_gone():
            os.kill(self.proc.pid, signal.SIGTERM)
        ends = time.monotonic() + timeout
        while self.proc.poll() is None:
            # Reap the replacement workers (this process is their parent): an exited worker left as a zombie
            # would keep its process group alive, and the script would wait out its grace period for it.
            for worker in self.extra_workers.values():
                worker.poll()
            if time.monotonic() > ends:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                break
            time.sleep(0.2)
        seconds = round(time.monotonic() - started, 1)
        time.sleep(0.5)
        left = sorted(p for p in tracked if _alive(p))
        for pid in left:  # leave nothing behind, but report it
            with _suppress_gone():
                os.kill(pid, signal.SIGKILL)
        ports = {k: self.settings.get(k, "") for k in ("REDIS_URL", "METADATA_URL")}
        open_ports = [k for k, url in ports.items() if url and _port_open(url)]
        return {"shutdown_seconds": seconds, "exit_code": self.proc.returncode, "processes_left": left,
                "servers_still_listening": open_ports,
                "pg_data_removed": not (self.folder / "front-sync-pg").exists()}


class _suppress_gone:
    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        return kind is not None and issubclass(kind, (ProcessLookupError, PermissionError))


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def descendants(pid: int) -> set[int]:
    """Every live descendant of pid, from /proc's parent links."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[-1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _port_open(url: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((parts.hostname, parts.port)) == 0


# -- the scenario ----------------------------------------------------------------------------------------------


class Run:
    def __init__(self, variant: Variant, keep: Path | None):
        self.variant = variant
        self.keep = keep
        self.started = time.monotonic()
        self.phases: dict[str, float] = {}
        self.runs: list[dict[str, Any]] = []
        self.kills: list[dict[str, Any]] = []
        self.folder = Path(tempfile.mkdtemp(prefix="front-sync-celery."))
        self.cluster: Cluster | None = None
        self.sim = None
        self.control = None

    def left(self) -> float:
        return self.variant.deadline_seconds - (time.monotonic() - self.started)

    def phase(self, name: str, since: float) -> None:
        self.phases[name] = round(time.monotonic() - since, 1)
        log(f"{name}: {self.phases[name]} s")

    def setup(self) -> None:
        from front_simulator.control import SimulatorControl
        from front_simulator.server import SimulatorServer

        since = time.monotonic()
        self.sim = SimulatorServer(seed=13, sizes=self.variant.sizes, token=TOKEN, host="127.0.0.1", port=0,
                                   rpm=RPM, burst_per_second=BURST)
        self.sim.start()
        self.control = SimulatorControl(self.sim.base_url, timeout=60)
        # Compressed retry delays through a cluster policy (the DAGs set retry_delay in default_args).
        config = self.folder / "airflow" / "config"
        config.mkdir(parents=True)
        (config / "airflow_local_settings.py").write_text(infra.POLICY_SOURCE)
        env = infra.base_env()
        env.update({
            "FRONT_SYNC_CELERY_DIR": str(self.folder),
            "AIRFLOW_PORT": str(infra.free_port()),
            "AIRFLOW_CONN_FRONT_DEFAULT": self.front_connection(),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            # A dead worker's task is noticed after 20 s without a heartbeat (default 300 s).
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "60",
            # Schedules that never come due in the test: every run is triggered.
            "FRONT_SYNC_INCREMENTAL_SCHEDULE": "0 0 1 1 *",
            "FRONT_SYNC_FULL_SCHEDULE": "0 0 1 1 *",
        })
        self.cluster = Cluster(self.folder, env)
        self.cluster.start(timeout=min(240, self.left()))
        self.phase("cluster_start_seconds", since)
        infra.wait_for("the dag-processor to register the DAGs",
                       lambda: len(self.cluster.query("SELECT dag_id FROM dag WHERE dag_id = ANY(%s)",
                                                      (list(DAGS),))) == len(DAGS), 120, interval=1)
        self.cluster.api("POST", "/variables", {"key": "front_sync.config", "value": json.dumps(SYNC_CONFIG)})
        for dag_id in DAGS:
            self.cluster.api("PATCH", f"/dags/{dag_id}", {"is_paused": False})

    def front_connection(self) -> str:
        return json.dumps({"conn_type": "front", "host": self.sim.base_url, "password": TOKEN, "extra": FRONT_EXTRA})

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        return self.cluster.api("POST", f"/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf or {}})[
            "dag_run_id"]

    def wait_run(self, dag_id: str, run_id: str, timeout: float) -> str:
        def state() -> str | None:
            rows = self.cluster.query("SELECT state FROM dag_run WHERE dag_id = %s AND run_id = %s", (dag_id, run_id))
            return rows[0][0] if rows and rows[0][0] in FINISHED else None

        return infra.wait_for(f"{dag_id} {run_id} to finish", state, min(timeout, max(self.left(), 1)), interval=1)

    def run_dag(self, dag_id: str, conf: dict[str, Any] | None = None, timeout: float = 180) -> str:
        since = time.monotonic()
        run_id = self.trigger(dag_id, conf)
        state = self.wait_run(dag_id, run_id, timeout)
        self.runs.append({"dag_id": dag_id, "run_id": run_id, "state": state,
                          "seconds": round(time.monotonic() - since, 1)})
        log(f"{dag_id} {run_id}: {state} in {self.runs[-1]['seconds']} s")
        if state != "success":
            raise AssertionError(f"{dag_id} {run_id} ended {state}: {self.task_states(dag_id, run_id)}")
        return run_id

    def task_states(self, dag_id: str, run_id: str) -> list[tuple]:
        return self.cluster.query("SELECT task_id, state, try_number, hostname FROM task_instance "
                                  "WHERE dag_id = %s AND run_id = %s ORDER BY task_id", (dag_id, run_id))

    def compare(self, label: str, tables: dict[str, Any] | None = None) -> None:
        since = time.monotonic()
        truth.assert_matches_truth(self.control, self.cluster.settings["WAREHOUSE_URL"], tables or truth.TABLES)
        self.phase(f"compare_{label}_seconds", since)

    def backfill_with_a_kill(self, worker: str | None, conf: dict[str, Any] | None = None) -> None:
        """A backfill run; SIGKILL a worker (`worker`, or whichever comes first) while it is inside one of the
        queue tasks, restart a worker of that name once the retry runs elsewhere; the run must succeed."""
        since = time.monotonic()
        run_id = self.trigger("front_sync_backfill", conf)
        wh = self.cluster.settings["WAREHOUSE_URL"]

        def victim() -> dict[str, Any] | None:
            tis = self.cluster.query(
                "SELECT task_id, try_number, hostname FROM task_instance WHERE dag_id = 'front_sync_backfill' "
                "AND run_id = %s AND state = 'running' AND hostname LIKE 'worker%%' AND task_id = ANY(%s)",
                (run_id, list(KILL_TARGETS)))
            open_rows = {(t, n) for t, n in self.cluster.query(
                "SELECT task_id, try_number FROM front.sync_logs WHERE run_id = %s AND status = 'running' "
                "AND started_at < now() - interval '1 second'", (run_id,), url=wh)}
            hits = [ti for ti in tis if (ti[0], ti[1]) in open_rows and worker in (None, ti[2])]
            return {"task_id": hits[0][0], "try_number": hits[0][1], "worker": hits[0][2]} if hits else None

        target = infra.wait_for(f"{worker or 'a worker'} to be inside a queue task of {run_id}", victim, 180,
                                interval=0.3)
        target["processes_killed"] = self.cluster.kill_worker(target["worker"])
        target["run_id"] = run_id
        target["at_seconds"] = round(time.monotonic() - since, 1)
        log(f"SIGKILL to {target['worker']}'s process tree mid-task: {target}")

        def retried() -> bool:
            # Running (or done) only: a row waiting for its retry still shows the killed try's hostname, and a
            # queued try could still go to the replacement.
            rows = self.cluster.query(
                "SELECT 1 FROM task_instance WHERE dag_id = 'front_sync_backfill' AND run_id = %s AND task_id = %s "
                "AND try_number > %s AND state IN ('running', 'success', 'failed')",
                (run_id, target["task_id"], target["try_number"]))
            return bool(rows)

        infra.wait_for(f"the retry of {target['task_id']} to start", retried, 180, interval=1)
        # The machine "comes back" only now, so the retry had just the other worker to go to.
        self.cluster.start_worker(target["worker"], wait=False)
        state = self.wait_run("front_sync_backfill", run_id, 300)
        tries = self.tries("front_sync_backfill", run_id, target["task_id"])
        target.update(run_state=state, tries=tries, seconds_to_success=round(time.monotonic() - since, 1))
        self.kills.append(target)
        self.runs.append({"dag_id": "front_sync_backfill", "run_id": run_id, "state": state,
                          "seconds": target["seconds_to_success"]})
        log(f"after the kill: run {state} in {target['seconds_to_success']} s; tries of {target['task_id']}: {tries}")
        if state != "success":
            raise AssertionError(f"backfill {run_id} ended {state}: {self.task_states('front_sync_backfill', run_id)}")
        self.cluster.wait_worker(target["worker"])

    def scenario(self) -> None:
        """Backfill (a worker killed mid-task), changes, incremental, contact deletions, full; compared with the
        truth after each; the full variant re-loads with a second kill, of the other worker."""
        since = time.monotonic()
        if self.variant.kills:
            self.backfill_with_a_kill(self.variant.kills[0])
        else:
            self.run_dag("front_sync_backfill", timeout=300)
        self.compare("after_backfill", {k: truth.TABLES[k] for k in ("conversations", "messages", "comments")})
        for action in CHANGES:
            self.control.mutate(action, count=3)
        truth.wait_past(self.control)
        self.run_dag("front_sync_incremental")
        self.compare("after_incremental")
        # A deleted contact emits no event; the full run finds it. Only contacts are compared after it: the
        # recipients inside conversations keep their old contact link (README: changes that emit no event).
        self.control.mutate("delete_contacts", count=3)
        self.run_dag("front_sync_full")
        self.compare("after_full", {"contacts": "contacts"})
        for worker in self.variant.kills[1:]:
            self.backfill_with_a_kill(worker, {"restart": True})
            self.compare("after_reload")   # a re-load fetches every conversation again: all tables equal
        self.phase("scenario_seconds", since)

    def tries(self, dag_id: str, run_id: str, task_id: str) -> list[dict[str, Any]]:
        rows = self.cluster.query(
            "SELECT try_number, hostname, state FROM task_instance_history WHERE dag_id = %s AND run_id = %s "
            "AND task_id = %s UNION ALL SELECT try_number, hostname, state FROM task_instance WHERE dag_id = %s "
            "AND run_id = %s AND task_id = %s ORDER BY 1", (dag_id, run_id, task_id, dag_id, run_id, task_id))
        return [{"try": n, "worker": h, "state": s} for n, h, s in rows]

    def report(self) -> dict[str, Any]:
        rows = self.cluster.query(
            "SELECT hostname, try_number, state, task_id FROM task_instance WHERE dag_id = ANY(%s) "
            "UNION ALL SELECT hostname, try_number, state, task_id FROM task_instance_history "
            "WHERE dag_id = ANY(%s)", (list(DAGS), list(DAGS)))
        per_worker = Counter(h or "(never started)" for h, _n, _s, _t in rows)
        retried = sorted({t for _h, n, _s, t in rows if n and n > 1})
        totals = self.control.stats()["totals"]
        return {"tries_per_worker": dict(sorted(per_worker.items())), "tries": len(rows),
                "retries": sum(1 for _h, n, _s, _t in rows if n and n > 1), "tasks_retried": retried,
                "api_calls": totals.get("calls"), "http_429": totals.get("429s"),
                "http_429_percent": round(100 * (totals.get("429s") or 0) / max(totals.get("calls") or 1, 1), 2)}

    def stop_simulators(self) -> None:
        if self.sim is not None:
            self.sim.stop()

    def close(self) -> dict[str, Any]:
        shutdown = self.cluster.stop() if self.cluster else {}
        for proc in self.cluster.extra_workers.values() if self.cluster else []:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        self.stop_simulators()
        if self.keep is not None:
            shutil.copytree(self.folder / "logs", self.keep / "logs", dirs_exist_ok=True)
            if (self.folder / "airflow" / "logs").exists():
                shutil.copytree(self.folder / "airflow" / "logs", self.keep / "airflow-logs", dirs_exist_ok=True)
            (self.keep / "script.log").write_text(self.cluster.script_log() if self.cluster else "")
        shutil.rmtree(self.folder, ignore_errors=True)
        return shutdown


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
            [infra.python(), "-m", "front_simulator", "--host", "127.0.0.1", "--port", "0", "--seed",
             str(company.seed), "--token", company.token, "--rpm", str(company.rpm), "--burst", str(BURST), *sizes],
            env=infra.base_env(), cwd=str(ROOT), stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
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
        return json.dumps({"conn_type": "front", "host": self.base_url, "password": self.company.token,
                           "extra": {**FRONT_EXTRA, "rpm": self.company.rpm}})

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
        self.sims = {c.name: Simulator(c, self.folder / "logs" / f"simulator-{c.name}.log")
                     for c in variant.companies}
        self.crossing: dict[str, Any] = {}
        self.deleted: dict[str, set[str]] = {name: set() for name in self.sims}   # contacts each company deleted

    def dag_ids(self, name: str | None = None) -> list[str]:
        return [f"{base}__{tenant}" for base in DAGS for tenant in self.sims if name in (None, tenant)]

    def warehouse(self, name: str) -> str:
        return f"{self.cluster.settings['METADATA_URL'].rsplit('/', 1)[0]}/front_{name}"

    def setup(self) -> None:
        since = time.monotonic()
        (self.folder / "logs").mkdir(exist_ok=True)
        for sim in self.sims.values():
            sim.start()
        config = self.folder / "airflow" / "config"
        config.mkdir(parents=True)
        (config / "airflow_local_settings.py").write_text(infra.POLICY_SOURCE)
        tenants_file = self.folder / "tenants.json"
        tenants_file.write_text(json.dumps({"tenants": [
            {"name": name, "front_conn_id": f"front_{name}", "warehouse_conn_id": f"warehouse_{name}"}
            for name in self.sims]}))
        pg_port = infra.free_port()
        env = infra.base_env()
        env.update({
            "FRONT_SYNC_CELERY_DIR": str(self.folder),
            "AIRFLOW_PORT": str(infra.free_port()),
            "FRONT_SYNC_TENANTS": str(tenants_file),
            # The cluster's PostgreSQL on a port chosen here, so the warehouse connections can name its databases.
            "PGPORT": str(pg_port),
            "FRONT_SYNC_PG_DATABASES": " ".join(f"front_{name}" for name in self.sims),
            # Two task slots per worker: both tenants' pools (two slots each) can fill at once, so the tenants run
            # side by side instead of taking turns on two slots.
            "FRONT_SYNC_WORKER_CONCURRENCY": "2",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
            "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "60",
            "FRONT_SYNC_INCREMENTAL_SCHEDULE": "0 0 1 1 *",
            "FRONT_SYNC_FULL_SCHEDULE": "0 0 1 1 *",
        })
        for name, sim in self.sims.items():
            env[f"AIRFLOW_CONN_FRONT_{name.upper()}"] = sim.connection()
            env[f"AIRFLOW_CONN_WAREHOUSE_{name.upper()}"] = f"postgresql://postgres@127.0.0.1:{pg_port}/front_{name}"
        self.cluster = Cluster(self.folder, env)
        self.cluster.start(timeout=min(240, self.left()))
        self.phase("cluster_start_seconds", since)
        dag_ids = self.dag_ids()
        infra.wait_for("the dag-processor to register both tenants' DAGs",
                       lambda: len(self.cluster.query("SELECT dag_id FROM dag WHERE dag_id = ANY(%s)",
                                                      (dag_ids,))) == len(dag_ids), 120, interval=1)
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
            self.runs.append({"dag_id": dag_id, "run_id": run_id, "state": state,
                              "seconds": round(time.monotonic() - since, 1)})
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
            known = {name: {r["id"] for r in sim.control.truth(table)["_results"]}
                     | (self.deleted[name] if table == "contacts" else set()) for name, sim in self.sims.items()}
            stored = {name: _table_ids(self.warehouse(name), table) for name in self.sims}
            for own, other in ((a, b), (b, a)):
                only = known[own] - known[other]
                crossed = only & stored[other]
                self.crossing[f"{table}_only_{own}"] = len(only)
                if crossed:
                    problems.append(f"{len(crossed)} {table} of {own} only are in {other}'s warehouse")
                if stored[own] - known[own]:
                    problems.append(f"{own}'s warehouse holds {len(stored[own] - known[own])} {table} its company "
                                    "never had")
        names = {name: dict((r["id"], r["name"]) for r in truth.query(self.warehouse(name),
                                                                       "SELECT id, name FROM front.contacts"))
                 for name in self.sims}
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
        budgets = [truth.query(self.warehouse(n), "SELECT DISTINCT budget_key FROM front.rate_budget")
                   for n in self.sims]
        if budgets[0] == budgets[1]:
            problems.append("both tenants drew from one rate budget")
        watermarks = {k for (k,) in self.cluster.query("SELECT key FROM variable WHERE key LIKE %s",
                                                       ("front_sync.%watermark.%",))}
        self.crossing["watermarks"] = {name: sum(k.startswith(f"front_sync.{name}.watermark.") for k in watermarks)
                                       for name in self.sims}
        if [k for k in watermarks if k.startswith("front_sync.watermark.")] or \
                not all(self.crossing["watermarks"].values()):
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
                (dag_ids, dag_ids))
            per_worker = Counter(h or "(never started)" for h, _n, _t in rows)
            every.update(per_worker)
            totals = sim.control.stats()["totals"]
            calls, limited = totals.get("calls") or 0, totals.get("429s") or 0
            tenants[name] = {
                "sizes": {k: sim.company.sizes[k] for k in ("contacts", "conversations")}, "rpm": sim.company.rpm,
                "tries_per_worker": dict(sorted(per_worker.items())), "tries": len(rows),
                "retries": sum(1 for _h, n, _t in rows if n and n > 1),
                "tasks_retried": sorted({t for _h, n, t in rows if n and n > 1}),
                "api_calls": calls, "http_429": limited, "http_429_percent": round(100 * limited / max(calls, 1), 2),
                "http_401": sim.statuses().get("401", 0)}
        return {"tries_per_worker": dict(sorted(every.items())), "tenants": tenants, "crossing": self.crossing}

    def stop_simulators(self) -> None:
        for sim in self.sims.values():
            sim.stop()


OAUTH_CONNECT = """
import requests
from urllib.parse import parse_qs, urlsplit
from front_sync.sync import oauth_connect
url, cookie = oauth_connect.start("front_default", "celery-harness")
query = parse_qs(urlsplit(requests.get(url, allow_redirects=False, timeout=30).headers["location"]).query)
oauth_connect.check_state("front_default", query["state"][0], cookie, "celery-harness")
print("connected to", oauth_connect.complete("front_default", query["code"][0], "celery-harness").company)
"""


class OAuthRun(Run):
    """Issue 23: front_default as an OAuth app whose access tokens live OAUTH_LIFETIME seconds, connected once
    before the runs (as an admin would with "Connect Front"); the workers share the token pair in the warehouse."""

    def front_connection(self) -> str:
        extra = {**FRONT_EXTRA, "auth": "oauth", "oauth_url": self.sim.base_url,
                 "oauth_redirect_uri": OAUTH_CALLBACK, "oauth_refresh_margin_seconds": OAUTH_MARGIN}
        oauth = self.sim.state.oauth
        return json.dumps({"conn_type": "front", "host": self.sim.base_url, "login": oauth.client_id,
                           "password": oauth.client_secret, "extra": extra})

    def setup(self) -> None:
        super().setup()
        self.sim.state.oauth.configure(access_token_lifetime=OAUTH_LIFETIME)
        env = {**self.cluster.env, "AIRFLOW_HOME": str(self.folder / "airflow"),
               "AIRFLOW_CONN_FRONT_WAREHOUSE": self.cluster.settings["WAREHOUSE_URL"]}
        done = subprocess.run([infra.python(), "-c", OAUTH_CONNECT], env=env, cwd=str(ROOT), capture_output=True,
                              text=True, timeout=120)
        if done.returncode != 0:
            raise ClusterError(f"connecting Front (OAuth) failed:\n{done.stderr[-3000:]}")
        log(done.stdout.strip())
        self.sim.state.oauth.reset_stats()
        self.active_since = time.monotonic()

    def compare(self, label: str, tables: dict[str, Any] | None = None) -> None:
        since = time.monotonic()
        truth.assert_matches_truth(self.control, self.cluster.settings["WAREHOUSE_URL"], tables or truth.TABLES,
                                   viewer="oauth")
        self.phase(f"compare_{label}_seconds", since)

    def report(self) -> dict[str, Any]:
        summary = super().report()
        wh = self.cluster.settings["WAREHOUSE_URL"]
        retired = [r[0] for r in self.cluster.query(
            "SELECT extract(epoch FROM retired_at) FROM front.oauth_refresh_tokens_used ORDER BY retired_at", url=wh)]
        gaps = [round(b - a, 1) for a, b in zip(retired, retired[1:], strict=False)]
        failed = self.cluster.query(
            "SELECT task_id, try_number FROM task_instance WHERE dag_id = ANY(%s) AND state = 'failed' UNION ALL "
            "SELECT task_id, try_number FROM task_instance_history WHERE dag_id = ANY(%s) AND state = 'failed'",
            (list(DAGS), list(DAGS)))
        failed_401 = self.cluster.query("SELECT count(*) FROM front.sync_logs WHERE status = 'failed' AND "
                                        "error_message ~ '401|OAuth|reconnect'", url=wh)[0][0]
        per_try = self.cluster.query(
            "SELECT coalesce(sum((metadata->>'oauth_refreshes')::int), 0), "
            "coalesce(sum((metadata->>'oauth_401_renewals')::int), 0) FROM front.sync_logs", url=wh)[0]
        statuses: Counter = Counter()
        for endpoint in self.control.stats()["endpoints"].values():
            statuses.update(endpoint["statuses"])
        summary["oauth"] = {
            "access_token_lifetime": OAUTH_LIFETIME, "margin": OAUTH_MARGIN, **self.sim.state.oauth.stats(),
            "refreshes_stored": len(retired), "seconds_between_refreshes_min": min(gaps) if gaps else None,
            "refreshes_by_tasks": int(per_try[0]), "renewals_after_401": int(per_try[1]),
            "http_401": statuses.get("401", 0), "failed_tries": len(failed), "failed_tries_401": int(failed_401),
            "tokens_found_in_files": self.tokens_in_files()}
        return summary

    def tokens_in_files(self) -> list[str]:
        """Files of the cluster (task logs, component logs, PostgreSQL's data and WAL) holding an issued token."""
        oauth = self.sim.state.oauth
        tokens = [t.encode() for t in (*oauth._access, *oauth._refresh, *oauth._retired)]
        found = []
        for path in self.folder.rglob("*"):
            if not path.is_file() or path.stat().st_size > 512 * 1024 * 1024:
                continue
            try:
                data = path.read_bytes()
            except OSError:
                continue
            if any(token in data for token in tokens):
                found.append(str(path.relative_to(self.folder)))
        return found


def run(variant: Variant, keep: Path | None = None) -> dict[str, Any]:
    """The whole scenario; the summary says what happened, and `error` what went wrong if anything did."""
    scenario = (TenantsRun if variant.companies else OAuthRun if variant.oauth else Run)(variant, keep)
    summary: dict[str, Any] = {"variant": variant.name, "sizes": variant.sizes}
    try:
        scenario.setup()
        scenario.scenario()
    except Exception as exc:  # noqa: BLE001 - reported in the summary; the caller fails on it
        summary["error"] = f"{type(exc).__name__}: {exc}"
        log(summary["error"])
    finally:
        try:
            if scenario.cluster is not None and scenario.cluster.settings:
                summary.update(scenario.report())
        except Exception as exc:  # noqa: BLE001
            summary.setdefault("error", f"report failed: {exc}")
        summary.update(runs=scenario.runs, kills=scenario.kills, phases=scenario.phases)
        summary["shutdown"] = scenario.close()
        summary["wall_seconds"] = round(time.monotonic() - scenario.started, 1)
    return summary


def human(summary: dict[str, Any]) -> str:
    lines = [f"== celery {summary['variant']}: {summary['wall_seconds']} s"
             + (f"; ERROR {summary['error']}" if "error" in summary else "")]
    for name, t in summary.get("tenants", {}).items():
        lines.append(f"   tenant {name} ({t['sizes']}, rpm {t['rpm']}): tries per worker {t['tries_per_worker']}, "
                     f"retries {t['retries']} {t['tasks_retried']}; simulator {t['api_calls']} calls, "
                     f"{t['http_429']} HTTP 429 ({t['http_429_percent']} %), {t['http_401']} HTTP 401")
    if "tenants" in summary:
        lines.append(f"   nothing crossed: {summary.get('crossing')}")
    else:
        lines.append(f"   tries per worker: {summary.get('tries_per_worker')}, retries {summary.get('retries')} "
                     f"{summary.get('tasks_retried')}")
        lines.append(f"   simulator: {summary.get('api_calls')} calls, {summary.get('http_429')} HTTP 429 "
                     f"({summary.get('http_429_percent')} %)")
    if "oauth" in summary:
        lines.append(f"   oauth: {summary['oauth']}")
    for r in summary.get("runs", []):
        lines.append(f"   {r['dag_id']} {r['run_id']}: {r['state']} in {r['seconds']} s")
    for k in summary.get("kills", []):
        lines.append(f"   SIGKILL {k['worker']} ({k['processes_killed']} processes) in {k['task_id']}: tries "
                     + ", ".join(f"{t['try']}@{t['worker']}={t['state']}" for t in k["tries"]))
    lines.append(f"   phases: {summary.get('phases')}")
    lines.append(f"   shutdown: {summary.get('shutdown')}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="short")
    parser.add_argument("--summary-json", type=Path)
    parser.add_argument("--keep-logs", type=Path)
    args = parser.parse_args(argv)

    def interrupted(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")   # run()'s finally stops the cluster and the simulator

    signal.signal(signal.SIGTERM, interrupted)
    summary = run(VARIANTS[args.variant], args.keep_logs)
    print(json.dumps(summary, indent=1, default=str))
    if args.summary_json:
        args.summary_json.write_text(json.dumps(summary, indent=1, default=str))
    print(human(summary))
    return 0 if "error" not in summary and not problems(summary) else 1


MAX_429_PERCENT = 1.0


def problems(summary: dict[str, Any]) -> list[str]:
    """What the summary shows to be wrong (the test asserts the same list is empty)."""
    out = []
    workers = {w for w in summary.get("tries_per_worker", {}) if w.startswith("worker")}
    if {"worker1", "worker2"} - workers:
        out.append(f"tasks did not run on both workers: {summary.get('tries_per_worker')}")
    for run_ in summary.get("runs", []):
        if run_["state"] != "success":
            out.append(f"{run_['dag_id']} {run_['run_id']} ended {run_['state']}")
    for kill in summary.get("kills", []):
        tries = kill["tries"]
        killed = [t for t in tries if t["try"] == kill["try_number"]]
        after = [t for t in tries if t["try"] > kill["try_number"]]
        if not killed or killed[0]["worker"] != kill["worker"] or killed[0]["state"] == "success":
            out.append(f"the killed try is not recorded as a failed try on {kill['worker']}: {tries}")
        if not after or after[0]["worker"] == kill["worker"]:
            out.append(f"the next try of {kill['task_id']} did not run on another worker: {tries}")
        if not after or after[-1]["state"] != "success":
            out.append(f"{kill['task_id']} did not succeed after the kill: {tries}")
    for name, tenant in summary.get("tenants", {}).items():
        if {"worker1", "worker2"} - set(tenant["tries_per_worker"]):
            out.append(f"tasks of tenant {name} did not run on both workers: {tenant['tries_per_worker']}")
        if tenant["http_401"]:   # each simulator accepts its own company's token only
            out.append(f"{tenant['http_401']} HTTP 401 at {name}'s simulator: another tenant's token reached it")
        if tenant["http_429_percent"] > MAX_429_PERCENT:
            out.append(f"{tenant['http_429']} HTTP 429 of {tenant['api_calls']} calls at {name}'s simulator: over "
                       f"{MAX_429_PERCENT} % (its rate budget did not hold)")
    if (summary.get("http_429_percent") or 0) > MAX_429_PERCENT:  # one budget per company across both workers
        out.append(f"{summary.get('http_429')} HTTP 429 of {summary.get('api_calls')} calls: over "
                   f"{MAX_429_PERCENT} % (the shared rate budget did not hold across workers)")
    out += oauth_problems(summary.get("oauth"))
    shutdown = summary.get("shutdown") or {}
    if shutdown.get("processes_left") or shutdown.get("servers_still_listening") or \
            shutdown.get("pg_data_removed") is False:
        out.append(f"unclean shutdown: {shutdown}")
    return out


def oauth_problems(oauth: dict[str, Any] | None) -> list[str]:
    """Issue 23 under the Celery topology: one refresh per expiry, no 401 failure, no reuse, no leak."""
    if oauth is None:
        return []
    out = []
    if oauth["failed_tries"] or oauth["failed_tries_401"]:
        out.append(f"{oauth['failed_tries']} failed tries ({oauth['failed_tries_401']} on a 401 or OAuth)")
    if not oauth["refreshes"]:
        out.append("no refresh happened: the access tokens did not expire during the runs")
    if not oauth["refreshes"] == oauth["refresh_requests"] == oauth["refreshes_stored"] == oauth["refreshes_by_tasks"]:
        out.append(f"refreshes disagree (Front answered {oauth['refreshes']} of {oauth['refresh_requests']} "
                   f"requests, the warehouse retired {oauth['refreshes_stored']}, the tasks did "
                   f"{oauth['refreshes_by_tasks']})")
    lowest = oauth["seconds_between_refreshes_min"]
    if lowest is not None and lowest < oauth["access_token_lifetime"] - oauth["margin"] - 1:
        out.append(f"two refreshes {lowest} s apart: more than one refresh for one expiry")
    if oauth["refresh_tokens_presented_twice"] or oauth["invalid_grant"]:
        out.append(f"a refresh token was sent again ({oauth['refresh_tokens_presented_twice']} twice, "
                   f"{oauth['invalid_grant']} invalid_grant)")
    if oauth["tokens_found_in_files"]:
        out.append(f"OAuth tokens in files: {oauth['tokens_found_in_files'][:5]}")
    return out
