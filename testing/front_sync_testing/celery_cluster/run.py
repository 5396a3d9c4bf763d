"""The scenario on one company: the backfill with a worker killed mid-task, the incremental and full runs, the
warehouse compared with the truth."""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from front_sync_testing import truth
from front_sync_testing.soak import infra

from .cluster import Cluster, cluster_env, log
from .plan import (
    BURST,
    CHANGES,
    DAGS,
    FINISHED,
    FRONT_EXTRA,
    KILL_TARGETS,
    RPM,
    SYNC_CONFIG,
    TOKEN,
    Variant,
)


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
        self.sim = SimulatorServer(
            seed=13, sizes=self.variant.sizes, token=TOKEN, host="127.0.0.1", port=0, rpm=RPM, burst_per_second=BURST
        )
        self.sim.start()
        self.control = SimulatorControl(self.sim.base_url, timeout=60)
        env = cluster_env(self.folder, AIRFLOW_CONN_FRONT_DEFAULT=self.front_connection())
        self.cluster = Cluster(self.folder, env)
        self.cluster.start(timeout=min(240, self.left()))
        self.phase("cluster_start_seconds", since)
        infra.wait_for(
            "the dag-processor to register the DAGs",
            lambda: (
                len(self.cluster.query("SELECT dag_id FROM dag WHERE dag_id = ANY(%s)", (list(DAGS),))) == len(DAGS)
            ),
            120,
            interval=1,
        )
        self.cluster.api("POST", "/variables", {"key": "front_sync.config", "value": json.dumps(SYNC_CONFIG)})
        for dag_id in DAGS:
            self.cluster.api("PATCH", f"/dags/{dag_id}", {"is_paused": False})

    def front_connection(self) -> str:
        return json.dumps({"conn_type": "front", "host": self.sim.base_url, "password": TOKEN, "extra": FRONT_EXTRA})

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        return self.cluster.api("POST", f"/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf or {}})[
            "dag_run_id"
        ]

    def wait_run(self, dag_id: str, run_id: str, timeout: float) -> str:
        def state() -> str | None:
            rows = self.cluster.query("SELECT state FROM dag_run WHERE dag_id = %s AND run_id = %s", (dag_id, run_id))
            return rows[0][0] if rows and rows[0][0] in FINISHED else None

        return infra.wait_for(f"{dag_id} {run_id} to finish", state, min(timeout, max(self.left(), 1)), interval=1)

    def run_dag(self, dag_id: str, conf: dict[str, Any] | None = None, timeout: float = 180) -> str:
        since = time.monotonic()
        run_id = self.trigger(dag_id, conf)
        state = self.wait_run(dag_id, run_id, timeout)
        self.runs.append(
            {"dag_id": dag_id, "run_id": run_id, "state": state, "seconds": round(time.monotonic() - since, 1)}
        )
        log(f"{dag_id} {run_id}: {state} in {self.runs[-1]['seconds']} s")
        if state != "success":
            raise AssertionError(f"{dag_id} {run_id} ended {state}: {self.task_states(dag_id, run_id)}")
        return run_id

    def task_states(self, dag_id: str, run_id: str) -> list[tuple]:
        return self.cluster.query(
            "SELECT task_id, state, try_number, hostname FROM task_instance "
            "WHERE dag_id = %s AND run_id = %s ORDER BY task_id",
            (dag_id, run_id),
        )

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
                (run_id, list(KILL_TARGETS)),
            )
            open_rows = {
                (t, n)
                for t, n in self.cluster.query(
                    "SELECT task_id, try_number FROM front.sync_logs WHERE run_id = %s AND status = 'running' "
                    "AND started_at < now() - interval '1 second'",
                    (run_id,),
                    url=wh,
                )
            }
            hits = [ti for ti in tis if (ti[0], ti[1]) in open_rows and worker in (None, ti[2])]
            return {"task_id": hits[0][0], "try_number": hits[0][1], "worker": hits[0][2]} if hits else None

        target = infra.wait_for(
            f"{worker or 'a worker'} to be inside a queue task of {run_id}", victim, 180, interval=0.3
        )
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
                (run_id, target["task_id"], target["try_number"]),
            )
            return bool(rows)

        infra.wait_for(f"the retry of {target['task_id']} to start", retried, 180, interval=1)
        # The machine "comes back" only now, so the retry had just the other worker to go to.
        self.cluster.start_worker(target["worker"], wait=False)
        state = self.wait_run("front_sync_backfill", run_id, 300)
        tries = self.tries("front_sync_backfill", run_id, target["task_id"])
        target.update(run_state=state, tries=tries, seconds_to_success=round(time.monotonic() - since, 1))
        self.kills.append(target)
        self.runs.append(
            {"dag_id": "front_sync_backfill", "run_id": run_id, "state": state, "seconds": target["seconds_to_success"]}
        )
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
            self.compare("after_reload")  # a re-load fetches every conversation again: all tables equal
        self.phase("scenario_seconds", since)

    def tries(self, dag_id: str, run_id: str, task_id: str) -> list[dict[str, Any]]:
        rows = self.cluster.query(
            "SELECT try_number, hostname, state FROM task_instance_history WHERE dag_id = %s AND run_id = %s "
            "AND task_id = %s UNION ALL SELECT try_number, hostname, state FROM task_instance WHERE dag_id = %s "
            "AND run_id = %s AND task_id = %s ORDER BY 1",
            (dag_id, run_id, task_id, dag_id, run_id, task_id),
        )
        return [{"try": n, "worker": h, "state": s} for n, h, s in rows]

    def report(self) -> dict[str, Any]:
        rows = self.cluster.query(
            "SELECT hostname, try_number, state, task_id FROM task_instance WHERE dag_id = ANY(%s) "
            "UNION ALL SELECT hostname, try_number, state, task_id FROM task_instance_history "
            "WHERE dag_id = ANY(%s)",
            (list(DAGS), list(DAGS)),
        )
        per_worker = Counter(h or "(never started)" for h, _n, _s, _t in rows)
        retried = sorted({t for _h, n, _s, t in rows if n and n > 1})
        totals = self.control.stats()["totals"]
        return {
            "tries_per_worker": dict(sorted(per_worker.items())),
            "tries": len(rows),
            "retries": sum(1 for _h, n, _s, _t in rows if n and n > 1),
            "tasks_retried": retried,
            "api_calls": totals.get("calls"),
            "http_429": totals.get("429s"),
            "http_429_percent": round(100 * (totals.get("429s") or 0) / max(totals.get("calls") or 1, 1), 2),
        }

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
