"""The soak test: a compressed week of Front traffic and trouble under Airflow's real scheduler.

    .venv/bin/python scripts/soak.py --variant full     # make soak (< 15 min on the 2-core machine)
    .venv/bin/python scripts/soak.py --variant short    # tests/soak/test_soak.py, inside make test (~4 min)

What runs: two throwaway PostgreSQL servers (Airflow's metadata DB on one, the warehouse on the other, so the
warehouse can be restarted mid-load without taking the scheduler's database down with it), the Front simulator
(seeded, rate limited), and Airflow 3's api-server, scheduler (LocalExecutor, parallelism 4) and dag-processor as
separate processes with the repository's DAGs on compressed cron schedules. A thread applies every kind of
mutation in rotation while a timetable injects trouble: background faults, a Front outage, 429 storms, a backlog
larger than one run, `airflow backfill create` over intervals that already ran, an on-demand messages run during a
backfill, a task process killed with SIGKILL and the warehouse's PostgreSQL restarted mid-load.

Then a quiet period (mutations and faults off; an incremental run after the last change, a full run, the queue
drained), and the verdict: every warehouse table against the simulator's ground truth row by row (child tables
included), no sync_logs row left running, the accounting identity on every row, nothing left in the queue.
The summary (JSON and text) gives runs, tries, faults by kind, rows compared and mismatches per table.
During the run, checkpoints.py compares after every successful incremental run (rows older than Front at its start,
resurrections, drift convergence); recovery.py holds the runbook's recovery actions the timetable performs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from front_sync_testing import ROOT
from front_sync_testing.db import create_database, fetch

from .airflow_site import AirflowSite
from .checkpoints import Checkpoints
from .infra import (
    Deadline,
    SoakError,
    Workspace,
    log,
    start_postgres,
    start_simulator,
    wait_for,
)
from .plan import DAGS, FINISHED, FREEZE_SECONDS, TIME_CONFIG, TOKEN, VARIANTS, VERDICT_RESERVE, Variant
from .recovery import RecoveryActions
from .report import SoakReport, code_fingerprint, product_files
from .steps import DisruptionSteps
from .summary import human_summary
from .traffic import FaultBoard, Mutator


class Soak(RecoveryActions, DisruptionSteps, SoakReport):
    """One soak run: set-up, the initial load, the timetable, the quiet period (the verdict is SoakReport's)."""

    def __init__(
        self, variant: Variant, seed: int, keep: Path | None, shared_postgres: bool = False, verify_days: int = 1
    ):
        self.variant = variant
        self.verify_days = verify_days  # nightly runs in the quiet period: the bound drift must converge within
        self.seed = seed
        self.keep = keep
        self.shared_postgres = shared_postgres
        # Every wait is bounded by this; the comparison and the clean-up get the last VERDICT_RESERVE seconds.
        self.deadline = Deadline(variant.deadline_seconds - VERDICT_RESERVE)
        self.ws: Workspace | None = None
        self.site: AirflowSite | None = None
        self.control = None
        self.sim_url = ""
        self.warehouse_url = ""
        self.warehouse_dir: Path | None = None
        self.mutator: Mutator | None = None
        self.faults: FaultBoard | None = None
        self.soak_started = 0.0
        self.soak_started_wall = 0.0
        self.events: list[dict[str, Any]] = []
        self.kills: list[dict[str, Any]] = []
        self.restarts: list[dict[str, Any]] = []
        self.triggered: dict[str, list[str]] = {}
        self.backfills: list[dict[str, Any]] = []
        self.phases: dict[str, float] = {}
        self.incremental_paused = False
        self.quiet_complete = False
        self.config_used: list[dict[str, Any]] = []
        self.unfinished: list[dict[str, str]] = []
        self.actions: list[dict[str, Any]] = []  # recovery actions (recovery.py)
        self.checkpoints: Checkpoints | None = None

    # -- helpers --

    def wall(self, offset: float) -> datetime:
        """The wall-clock moment of a timetable offset."""
        return datetime.fromtimestamp(self.soak_started_wall + offset, UTC)

    def clock(self) -> float:
        return time.monotonic() - self.soak_started if self.soak_started else 0.0

    def note(self, what: str, **detail: Any) -> None:
        entry = {"t": round(self.clock(), 1), "what": what, **detail}
        self.events.append(entry)
        log(f"t+{entry['t']:.0f}s {what}" + (f" {json.dumps(detail, default=str)}" if detail else ""))

    def wh(self, statement: str, params: Any = ()) -> list[tuple]:
        return fetch(self.warehouse_url, statement, params, connect_timeout=5)

    def run_state(self, dag_id: str, run_id: str) -> str | None:
        rows = self.site.query("SELECT state FROM dag_run WHERE dag_id = %s AND run_id = %s", (dag_id, run_id))
        return rows[0][0] if rows else None

    def wait_run(self, dag_id: str, run_id: str, timeout: float) -> str:
        return wait_for(
            f"{dag_id} run {run_id} to finish",
            lambda: (s := self.run_state(dag_id, run_id)) in FINISHED and s,
            timeout,
            self.deadline,
            2,
        )

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        run_id = self.site.trigger(dag_id, conf)
        self.triggered.setdefault(dag_id, []).append(run_id)
        return run_id

    def base_config(self) -> dict[str, Any]:
        from dataclasses import fields

        from front_sync.config import SyncConfig

        known = {f.name for f in fields(SyncConfig)}
        return {k: v for k, v in {**TIME_CONFIG, "verify_days": self.verify_days}.items() if k in known}

    def set_config(self, value: dict[str, Any] | None) -> None:
        """front_sync.config = the compressed time constants plus `value` (None: just those)."""
        key = "front_sync.config"
        value = {**self.base_config(), **(value or {})}
        self.config_used.append({"t": round(self.clock(), 1), "value": value})
        if not value:
            with contextlib.suppress(SoakError):
                self.site.api("DELETE", f"/variables/{key}")
            return
        try:
            self.site.api("PATCH", f"/variables/{key}", {"key": key, "value": json.dumps(value)})
        except SoakError:
            self.site.api("POST", "/variables", {"key": key, "value": json.dumps(value)})

    # -- set-up --

    def setup(self) -> None:
        started = time.monotonic()
        self.ws = Workspace.create()
        log(
            f"workspace {self.ws.root}; variant {self.variant.name}, seed {self.seed}, "
            f"deadline {self.variant.deadline_seconds:.0f} s"
        )
        # Two servers by default: the warehouse restart must not take Airflow's own database down with it (that
        # tests Airflow, not front-sync). --shared-postgres puts both databases on one server, restarted together.
        meta_admin = None if self.shared_postgres else start_postgres(self.ws, "meta")
        self.warehouse_url = start_postgres(self.ws, "warehouse")
        self.warehouse_dir = self.ws.pg_dirs[-1]
        metadata_url = create_database(meta_admin or self.warehouse_url, "airflow")
        # A rate-limited "company": 1,200 requests per minute (a compressed clock needs a larger plan), 10 per
        # second per resource. Each task may use 45 % of it; the front_api pool runs two API tasks at a time.
        rpm = 1200
        self.sim_url = start_simulator(
            self.ws, self.seed, self.variant.sizes, rpm=rpm, burst=10, deadline=self.deadline
        )
        from front_simulator.control import SimulatorControl

        self.control = SimulatorControl(self.sim_url, timeout=60)
        self.faults = FaultBoard(self.control)
        front_conn = {
            "conn_type": "front",
            "host": self.sim_url,
            "password": TOKEN,
            "extra": {
                "allowed_hosts": ["localhost"],
                "rpm": rpm,
                "share": 0.45,
                "burst_per_second": 5,
                "read_timeout": 10,
                "max_rate_limit_wait_seconds": 120,
            },
        }
        self.site = AirflowSite.configure(
            self.ws, metadata_url, self.warehouse_url, front_conn, self.variant.schedules, {}
        )
        self.site.cli("db", "migrate", timeout=300)
        self.site.cli("pools", "import", str(ROOT / "pools.json"))
        self.site.start(self.ws, self.deadline)
        self.set_config(None)
        wait_for(
            "the dag-processor to register the DAGs",
            lambda: len(self.site.query("SELECT dag_id FROM dag WHERE dag_id = ANY(%s)", (list(DAGS),))) == len(DAGS),
            180,
            self.deadline,
            2,
        )
        self.phases["setup_seconds"] = round(time.monotonic() - started, 1)
        log(f"set-up done in {self.phases['setup_seconds']} s: simulator {self.sim_url}, API {self.site.api_url}")

    # -- the initial load --

    def initial_load(self) -> None:
        self.soak_started = time.monotonic()
        self.soak_started_wall = time.time()
        self.mutator = Mutator(self.sim_url, self.variant.mutation_interval, self.seed)
        self.mutator.start()
        self.note("mutations started", interval=self.variant.mutation_interval)
        for dag_id in ("front_sync_backfill", "front_sync_messages"):
            self.site.unpause(dag_id)
        run_id = self.trigger("front_sync_backfill")
        self.note("initial backfill triggered", run_id=run_id)

        def watermark() -> bool:
            return bool(self.site.query("SELECT 1 FROM variable WHERE key = 'front_sync.watermark.conversations'"))

        # The backfill marks where the change feed takes over; the incremental DAG must not start before it.
        wait_for("the backfill to set the conversations watermark", watermark, 120, self.deadline, 1)
        for dag_id in ("front_sync_incremental", "front_sync_full"):
            self.site.unpause(dag_id)
        self.note("incremental and full DAGs unpaused")
        self.checkpoints = Checkpoints(self)  # compares after every successful incremental run from now on
        self.checkpoints.start()

    # -- the timetable --

    def run_timetable(self) -> None:
        for step in self.variant.steps:
            self.sleep_until(step.at)
            try:
                getattr(self, f"step_{step.action}")(**step.args)
            except SoakError as exc:
                self.note(f"step {step.action} could not be done", error=str(exc))
        self.sleep_until(self.variant.soak_seconds)

    def sleep_until(self, at: float) -> None:
        last_report = 0.0
        while self.clock() < at:
            self.deadline.check("running the timetable")
            if time.monotonic() - last_report >= 30:
                last_report = time.monotonic()
                self.progress()
            time.sleep(min(1.0, max(0.05, at - self.clock())))

    def progress(self) -> None:
        rows = self.site.query("SELECT dag_id, state, count(*) FROM dag_run GROUP BY 1, 2 ORDER BY 1, 2")
        runs = ", ".join(f"{d.removeprefix('front_sync_')}:{s}={n}" for d, s, n in rows)
        mutations = self.mutator.report()["calls"] if self.mutator else 0
        log(f"t+{self.clock():.0f}s runs {runs}; mutation calls {mutations}")

    # -- the quiet period --

    def newest_change(self) -> Decimal:
        stamps = [Decimal(str(e["emitted_at"])) for e in self.control.truth("events")["_results"][-50:]]
        for resource, key in (("contacts", "updated_at"), ("tags", "updated_at")):
            stamps += [Decimal(str(r[key])) for r in self.control.truth(resource)["_results"] if r.get(key)]
        return max(stamps, default=Decimal(0))

    def quiet(self) -> None:
        """Mutations and faults off, caps removed; then an incremental run that starts after the newest change,
        a full run, more incremental runs while the queue is not empty, and a freeze (DAGs paused, no run left
        half done) so nothing writes while the warehouse is compared."""
        started = time.monotonic()
        self.mutator.stop()
        self.faults.clear_all(self.clock())
        self.set_config(None)
        if self.incremental_paused:
            self.site.unpause("front_sync_incremental")
            self.incremental_paused = False
        # The quiet period waits on conditions (runs finished, queue empty): on a loaded machine a slow set-up
        # must not leave it too little time (seen: 260 s left at load 16 on 2 cores, runs still going).
        self.deadline.at_least(self.variant.quiet_seconds + FREEZE_SECONDS)
        newest = self.newest_change()
        self.note("quiet period: mutations and faults stopped, caps removed", newest_change=str(newest))
        try:
            wait_for(
                "the wall clock to pass the newest change",
                lambda: Decimal(time.time()) > newest + 1,
                30,
                self.deadline,
                0.2,
            )
            self.settle_run("front_sync_incremental", attempts=3)
            for _night in range(self.verify_days):  # the nightly runs a rolling verification needs (verify_days)
                self.settle_run("front_sync_full", attempts=2)
            if self.pending_rows():
                # Rows queued by an incremental run still in flight are drained by that run: let it finish first.
                in_flight = self.site.query(
                    "SELECT run_id FROM dag_run WHERE dag_id = 'front_sync_incremental' AND state = 'running'"
                )
                for (run_id,) in in_flight:
                    self.wait_run("front_sync_incremental", run_id, max(10.0, self.deadline.left() - 60))
                pending = self.pending_rows()
                if pending:
                    self.note(
                        "queue not empty after the quiet runs; one more incremental run",
                        pending=len(pending),
                        rows=pending[:5],
                    )
                    self.settle_run("front_sync_incremental", attempts=1)
            self.quiet_complete = True
        except SoakError as exc:
            self.note("quiet period incomplete; comparing what there is", error=str(exc))
        self.freeze()
        self.phases["quiet_seconds"] = round(time.monotonic() - started, 1)

    def pending_rows(self) -> list[dict[str, Any]]:
        return [r[0] for r in self.wh("SELECT to_jsonb(p) FROM front.sync_pending AS p ORDER BY 1::text LIMIT 50")]

    def freeze(self) -> None:
        """Pause every DAG and make sure no run is frozen half done (paused runs do not progress): a run that has
        started a sync but not finished it is let run to its end first, for at most FREEZE_SECONDS in all."""
        ends = time.monotonic() + FREEZE_SECONDS

        def left() -> float:
            return max(1.0, min(ends - time.monotonic(), self.deadline.left() - 5))

        half_done: list[tuple] = []
        try:
            while True:
                for dag_id in DAGS:
                    self.site.pause(dag_id)
                half_done = self.site.query(
                    "SELECT DISTINCT r.dag_id, r.run_id FROM dag_run r JOIN task_instance t "
                    "ON t.dag_id = r.dag_id AND t.run_id = r.run_id WHERE r.state = 'running' "
                    "AND t.task_id <> 'migrate_warehouse' AND t.state IS NOT NULL "
                    "AND t.state NOT IN ('scheduled', 'queued')"
                )
                if not half_done or time.monotonic() >= ends:
                    break
                for dag_id, run_id in half_done:
                    self.note("letting a half-done run finish before the comparison", dag_id=dag_id, run_id=run_id)
                    self.site.unpause(dag_id)
                    with contextlib.suppress(SoakError):
                        self.wait_run(dag_id, run_id, left())
            wait_for(
                "running task instances to finish",
                lambda: (
                    not self.site.query("SELECT 1 FROM task_instance WHERE state IN ('running', 'restarting') LIMIT 1")
                ),
                left(),
                self.deadline,
                1,
            )
        except SoakError as exc:
            self.note("could not freeze cleanly", error=str(exc))
        self.unfinished = [{"dag_id": d, "run_id": r} for d, r in half_done]
        self.note("DAGs paused for the comparison", unfinished_runs=self.unfinished)

    def settle_run(self, dag_id: str, attempts: int) -> None:
        for attempt in range(1, attempts + 1):
            run_id = self.trigger(dag_id)
            # Bounded by the quiet period's own budget only: after the backlog phase the first quiet run drains
            # hundreds of queued conversations at the simulator's rate (seen: over 300 s under load).
            state = self.wait_run(dag_id, run_id, max(10.0, self.deadline.left() - 60))
            self.note(f"quiet {dag_id} run {state}", run_id=run_id, attempt=attempt)
            if state == "success":
                return
        raise SoakError(f"{dag_id} did not succeed in the quiet period after {attempts} runs")


def run(
    variant: Variant, seed: int, keep: Path | None, shared_postgres: bool = False, verify_days: int = 1
) -> dict[str, Any]:
    soak = Soak(variant, seed, keep, shared_postgres, verify_days)
    summary: dict[str, Any] = {
        "variant": variant.name,
        "seed": seed,
        "ok": False,
        "postgres": "one server, restarted with the warehouse"
        if shared_postgres
        else "metadata and warehouse on separate servers; only the warehouse restarted",
    }
    code_before = product_files()
    started = time.monotonic()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def interrupted(signum, _frame):
        raise SoakError(f"interrupted by signal {signum}")

    for sig in previous:
        signal.signal(sig, interrupted)
    try:
        soak.setup()
        try:
            soak.initial_load()
            soak.run_timetable()
            soak.phases["soak_seconds"] = round(soak.clock(), 1)
            soak.quiet()
        except Exception as exc:  # noqa: BLE001 - reported; the warehouse is still compared
            summary["error"] = f"{type(exc).__name__}: {exc}"
            log(f"soak interrupted: {summary['error']}; comparing the warehouse as it is")
            with contextlib.suppress(Exception):
                soak.mutator.stop()
                soak.faults.clear_all(soak.clock())
        log("comparing the warehouse with the simulator's ground truth")
        result = soak.verdict()
        summary.update(result)
        summary["ok"] = "error" not in summary and all(result["checks"].values())
    except Exception as exc:  # noqa: BLE001 - reported in the summary and by the exit code
        summary.setdefault("error", f"{type(exc).__name__}: {exc}")
        log(f"soak aborted: {type(exc).__name__}: {exc}")
    finally:
        for sig in previous:  # a second signal must not cut the clean-up short
            signal.signal(sig, signal.SIG_IGN)
        try:
            if soak.mutator is not None and soak.mutator.is_alive():
                soak.mutator.stop()
            if soak.checkpoints is not None and soak.checkpoints.is_alive():
                soak.checkpoints.stop()
            if soak.site is not None and soak.control is not None:
                with contextlib.suppress(Exception):
                    summary["airflow"] = soak.airflow_report()
                with contextlib.suppress(Exception):
                    summary["disruptions"] = soak.disruption_outcomes()
                with contextlib.suppress(Exception):
                    summary["simulator"] = soak.simulator_report()
                summary["fault_windows"] = soak.faults.windows if soak.faults else []
                with contextlib.suppress(Exception):
                    summary["faults_survived"] = soak.fault_outcomes()
                summary["mutations"] = soak.mutator.report() if soak.mutator else {}
                with contextlib.suppress(Exception):
                    summary["recovery_actions"] = soak.action_outcomes()
            summary["front_sync_config"] = soak.config_used
            summary["timeline"] = soak.events
            summary["phases"] = soak.phases
            code_after = product_files()
            summary["code_fingerprint"] = code_fingerprint(code_before)
            summary["code_changed_during_run"] = sorted(
                f for f in code_before.keys() | code_after.keys() if code_before.get(f) != code_after.get(f)
            )
        finally:
            if soak.ws is not None:
                soak.ws.close(keep)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            summary["wall_seconds"] = round(time.monotonic() - started, 1)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", choices=sorted(VARIANTS), default=os.environ.get("SOAK_VARIANT", "full"))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("SOAK_SEED", "20261130")))
    parser.add_argument("--summary-json", type=Path, help="write the JSON summary here")
    parser.add_argument("--keep-logs", type=Path, help="copy every process and task log here before cleaning up")
    parser.add_argument(
        "--verify-days",
        type=int,
        default=int(os.environ.get("SOAK_VERIFY_DAYS", "1")),
        help="front_sync.config verify_days (when the product has it) and the number of nightly "
        "runs in the quiet period: the window drift without an event must converge within",
    )
    parser.add_argument(
        "--shared-postgres",
        action="store_true",
        help="Airflow's metadata DB on the warehouse's server, so the mid-load restart hits both",
    )
    args = parser.parse_args(argv)
    summary = run(VARIANTS[args.variant], args.seed, args.keep_logs, args.shared_postgres, args.verify_days)
    text = json.dumps(summary, indent=2, default=str)
    if args.summary_json:
        args.summary_json.write_text(text)
    print(text)
    print(human_summary(summary))
    return 0 if summary.get("ok") else 1


if __name__ == "__main__":
    raise SystemExit(main())
