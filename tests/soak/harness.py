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
import random
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2
from checkpoints import Checkpoints
from compare import bookkeeping, compare_all
from infra import (
    AirflowSite,
    Deadline,
    SoakError,
    Workspace,
    create_database,
    log,
    restart_postgres,
    start_postgres,
    start_simulator,
    wait_for,
)
from recovery import BAD_EVENTS, RecoveryActions
from summary import human_summary

DAGS = ("front_sync_backfill", "front_sync_messages", "front_sync_incremental", "front_sync_full", "front_sync_replay")
TOKEN = "test-token"
# front_sync.config for the whole run: the product's own time constants compressed like the schedules (a queue
# lease of 10 minutes is ten compressed "hours"); every other setting keeps its default. Keys the product does not
# know (yet) are left out, so a renamed setting cannot fail every task.
# Compressed time: "hourly" runs come seconds apart, so each lists the small resources (no 6-hour refresh wait).
TIME_CONFIG = {"queue_lease_seconds": 60, "queue_retry_seconds": 10, "directory_refresh_minutes": 0}
FINISHED = ("success", "failed")
VERDICT_RESERVE = 60.0  # seconds kept for the comparison and the clean-up
FREEZE_SECONDS = 90.0  # at most this long letting half-done runs finish before the comparison

# -- fault layers ------------------------------------------------------------------------------------------

BACKGROUND_FAULTS = [
    {"name": "jitter", "kind": "latency", "distribution": {"type": "exponential", "mean": 0.01}},
    {"name": "bad_gateway", "kind": "status", "status": 502, "probability": 0.01},
    {"name": "proxy_page", "kind": "status", "status": 500, "body": "html", "probability": 0.004},
    {"name": "reset", "kind": "reset", "probability": 0.004},
    {"name": "cut_json", "kind": "truncate", "mode": "body", "probability": 0.004},
    {"name": "cut_connection", "kind": "truncate", "mode": "connection", "probability": 0.002},
    {"name": "contacts_duplicates", "endpoint": "/contacts", "kind": "duplicates", "count": 2, "probability": 0.3},
    {"name": "events_duplicates", "endpoint": "/events", "kind": "duplicates", "count": 3, "probability": 0.2},
    {"name": "contacts_wrong_types", "endpoint": "/contacts", "kind": "bad_records", "variant": "wrong_types",
     "probability": 0.03},
    {"name": "contacts_unknown_fields", "endpoint": "/contacts", "kind": "bad_records", "variant": "unknown_fields",
     "probability": 0.03},
    {"name": "tags_nul_chars", "endpoint": "/tags", "kind": "bad_records", "variant": "nul_chars",
     "probability": 0.05},
    {"name": "contacts_move_while_paging", "endpoint": "/contacts", "kind": "mutate_during_paging", "count": 1,
     "probability": 0.1},
]
HANG_FAULT = {"name": "hang", "endpoint": "/contacts", "kind": "hang", "seconds": 12, "probability": 0.2, "times": 2}
OUTAGE_FAULTS = [
    {"name": "outage_503", "kind": "status", "status": 503, "probability": 0.55},
    {"name": "outage_504", "kind": "status", "status": 504, "body": "html", "probability": 0.5},
    {"name": "outage_500", "kind": "status", "status": 500, "body": "empty", "probability": 1.0},
]
STORM_FAULTS = [
    {"name": "storm_429", "kind": "rate_limit", "retry_after": 1.5, "probability": 0.08, "duration_seconds": 6},
    {"name": "burst_429", "kind": "rate_limit", "retry_after": 0.4, "remaining": 7, "probability": 0.1},
]
# Slower child fetches, so a drain of the queue lasts long enough to be hit by a kill or a restart.
SLOW_CHILDREN = [
    {"name": "slow_messages", "endpoint": "/conversations/*/messages", "kind": "latency", "seconds": 0.15},
    {"name": "slow_comments", "endpoint": "/conversations/*/comments", "kind": "latency", "seconds": 0.15},
]


@dataclass
class Step:
    at: float  # seconds after the soak phase started
    action: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class Variant:
    name: str
    sizes: dict[str, Any]
    schedules: dict[str, str]
    mutation_interval: float
    soak_seconds: float  # length of the disturbance phase (mutations run until then)
    deadline_seconds: float  # the whole run, set-up and teardown included, on an idle machine
    quiet_seconds: float  # at least this long for the quiet period however long set-up and soak took (load)
    steps: list[Step]
    caps: dict[str, int]
    burst: dict[str, int]


VARIANTS = {
    # make test (tests/soak/test_soak.py): about 5 minutes; an outage, a storm, a kill, a restart, a backfill
    # create and an on-demand run during the initial backfill.
    "short": Variant(
        name="short",
        sizes={"contacts": 400, "conversations": 60, "teammates": 6, "inboxes": 3, "channels": 4, "tags": 25,
               "contact_lists": 4, "messages_per_conversation": 3, "max_messages_per_conversation": 40},
        schedules={"incremental": "* * * * *", "full": "*/2 * * * *"},
        mutation_interval=1.5,
        soak_seconds=100,
        deadline_seconds=540,
        quiet_seconds=420,
        steps=[
            Step(0, "faults", {"layer": "background", "rules": BACKGROUND_FAULTS}),
            Step(0, "faults", {"layer": "slow_children", "rules": SLOW_CHILDREN}),
            Step(0, "on_demand_during_backfill", {"timeout": 40, "new_backfill": False}),
            Step(1, "kill", {"prefer": ("sync_messages", "sync_comments"), "timeout": 40}),
            Step(15, "faults", {"layer": "outage", "rules": OUTAGE_FAULTS}),
            Step(60, "clear", {"layer": "outage"}),
            Step(60, "faults", {"layer": "storm", "rules": STORM_FAULTS}),
            Step(65, "pg_restart", {"timeout": 30, "prefer": ("sync_messages", "sync_comments", "sync_contacts")}),
            Step(70, "faults", {"layer": "bad_events", "rules": BAD_EVENTS}),
            Step(80, "clear", {"layer": "storm"}),
            Step(82, "backfill_create", {"intervals": 2, "wait": 40}),
            Step(84, "relist_bumped", {"bumps": 3, "timeout": 60}),
            Step(88, "clear", {"layer": "bad_events"}),
            Step(90, "watermark_back", {}),
            Step(92, "replay", {}),
        ],
        caps={},
        burst={},
    ),
    # make soak: under 15 minutes; everything above plus a longer outage, a backlog several runs long (the
    # incremental DAG paused, max_results caps, a burst of changes), a second backfill with the on-demand run
    # and the restart during it, and a second kill.
    "full": Variant(
        name="full",
        sizes={"contacts": 3000, "conversations": 250, "teammates": 8, "inboxes": 4, "channels": 6, "tags": 60,
               "contact_lists": 5, "messages_per_conversation": 4, "max_messages_per_conversation": 60},
        schedules={"incremental": "* * * * *", "full": "*/10 * * * *"},
        mutation_interval=1.2,
        soak_seconds=440,
        deadline_seconds=870,
        quiet_seconds=1200,
        steps=[
            Step(0, "faults", {"layer": "background", "rules": [*BACKGROUND_FAULTS, HANG_FAULT]}),
            Step(0, "faults", {"layer": "slow_children", "rules": SLOW_CHILDREN}),
            Step(1, "kill", {"prefer": ("sync_messages", "sync_comments"), "timeout": 60}),
            Step(60, "faults", {"layer": "outage", "rules": OUTAGE_FAULTS}),
            Step(180, "clear", {"layer": "outage"}),
            Step(195, "faults", {"layer": "storm", "rules": STORM_FAULTS}),
            Step(210, "backlog_start", {}),
            Step(260, "clear", {"layer": "storm"}),
            Step(300, "backlog_end", {}),
            Step(305, "on_demand_during_backfill", {"timeout": 90, "new_backfill": True}),
            Step(310, "pg_restart", {"timeout": 60, "prefer": ("sync_messages", "sync_comments")}),
            Step(330, "faults", {"layer": "bad_events", "rules": BAD_EVENTS}),
            Step(345, "relist_bumped", {"bumps": 5, "timeout": 60}),
            Step(350, "clear", {"layer": "bad_events"}),
            Step(370, "kill", {"prefer": ("sync_contacts", "sync_conversations", "sync_messages", "sync_comments",
                                          "backfill_conversations"), "timeout": 60}),
            Step(400, "backfill_create", {"intervals": 3, "wait": 60}),
            Step(410, "watermark_back", {}),
            Step(415, "replay", {}),
            Step(420, "config", {"value": None}),
        ],
        caps={"contacts": 150, "conversations": 45, "messages": 120, "comments": 60},
        burst={"update_contacts": 500, "random_activity": 120, "new_conversations": 20, "new_inbound": 30},
    ),
}


# -- mutations -----------------------------------------------------------------------------------------------


def mutation_kinds() -> tuple[str, ...]:
    """Every mutation the simulator knows, in its order (the registry moved between versions)."""
    try:
        from front_simulator.mutations import MUTATIONS
    except ImportError:
        from front_simulator.state import MUTATIONS
    return tuple(MUTATIONS)


class Mutator(threading.Thread):
    """Applies every kind of mutation in rotation, `count` 1-3, every `interval` seconds, until stopped."""

    def __init__(self, url: str, interval: float, seed: int):
        super().__init__(name="mutator", daemon=True)
        from front_simulator.control import SimulatorControl

        self.control = SimulatorControl(url, timeout=30)
        self.actions = mutation_kinds()
        self.interval = interval
        self.rng = random.Random(seed)
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.calls: Counter = Counter()
        self.changed: Counter = Counter()
        self.errors: Counter = Counter()
        self.last_error = ""
        self.deleted_comments: dict[str, dict[str, Any]] = {}  # comment id -> conversation, when (epoch)
        self.started: list[tuple[float, str]] = []  # (epoch a call started, action), for dating drift

    def run(self) -> None:
        index = 0
        while not self.stop_event.wait(self.interval):
            action = self.actions[index % len(self.actions)]
            index += 1
            # Deletions and merges one at a time, so the account keeps tags, contacts and conversations to work on.
            count = 1 if action.startswith(("delete_", "merge_")) else self.rng.randint(1, 3)
            self.apply(action, count)

    def apply(self, action: str, count: int, control=None) -> None:
        """One mutation; another thread passes its own control client (a requests session is not shared)."""
        with self.lock:
            self.started.append((time.time(), action))
        try:
            result = (control or self.control).mutate(action, count=count)
            with self.lock:
                self.calls[action] += 1
                self.changed[action] += len(result.get("ids") or [])
                for conversation_id, comment_id in zip(result.get("ids") or [], result.get("comments") or [],
                                                       strict=False):
                    if action == "delete_comments":
                        self.deleted_comments[comment_id] = {"conversation": conversation_id, "at": time.time()}
        except Exception as exc:  # noqa: BLE001 - counted and reported, the stream goes on
            with self.lock:
                self.errors[action] += 1
                self.last_error = f"{action}: {exc}"

    def stop(self) -> None:
        self.stop_event.set()
        self.join(timeout=60)

    def started_since(self, since: float, actions: frozenset[str]) -> list[float]:
        with self.lock:
            return [at for at, action in self.started if at >= since and action in actions]

    def report(self) -> dict[str, Any]:
        with self.lock:
            return {"calls": sum(self.calls.values()), "records_changed": sum(self.changed.values()),
                    "by_action": dict(sorted(self.changed.items())), "errors": dict(self.errors),
                    "last_error": self.last_error, "kinds": len(self.calls),
                    "kinds_never_applied": sorted(set(self.actions) - set(self.calls))}


class FaultBoard:
    """Named layers of simulator fault rules; the simulator gets their union every time one changes."""

    def __init__(self, control):
        self.control = control
        self.layers: dict[str, list[dict[str, Any]]] = {}
        self.windows: list[dict[str, Any]] = []

    def set(self, layer: str, rules: list[dict[str, Any]], clock: float) -> None:
        self.layers[layer] = rules
        self.windows.append({"layer": layer, "from": round(clock, 1), "to": None,
                             "kinds": sorted({r["kind"] for r in rules})})
        self._push()

    def clear(self, layer: str, clock: float) -> None:
        self.layers.pop(layer, None)
        for window in self.windows:
            if window["layer"] == layer and window["to"] is None:
                window["to"] = round(clock, 1)
        self._push()

    def clear_all(self, clock: float) -> None:
        for layer in list(self.layers):
            self.clear(layer, clock)
        self.control.clear_faults()

    def _push(self) -> None:
        rules = [rule for layer in self.layers.values() for rule in layer]
        if rules:
            self.control.set_faults(rules)
        else:
            self.control.clear_faults()


# -- the soak --------------------------------------------------------------------------------------------------


class Soak(RecoveryActions):
    def __init__(self, variant: Variant, seed: int, keep: Path | None, shared_postgres: bool = False,
                 verify_days: int = 1):
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
        conn = psycopg2.connect(self.warehouse_url, connect_timeout=5)
        try:
            with conn.cursor() as cur:
                cur.execute(statement, params)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def run_state(self, dag_id: str, run_id: str) -> str | None:
        rows = self.site.query("SELECT state FROM dag_run WHERE dag_id = %s AND run_id = %s", (dag_id, run_id))
        return rows[0][0] if rows else None

    def wait_run(self, dag_id: str, run_id: str, timeout: float) -> str:
        return wait_for(f"{dag_id} run {run_id} to finish",
                        lambda: (s := self.run_state(dag_id, run_id)) in FINISHED and s, timeout, self.deadline, 2)

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
        log(f"workspace {self.ws.root}; variant {self.variant.name}, seed {self.seed}, "
            f"deadline {self.variant.deadline_seconds:.0f} s")
        # Two servers by default: the warehouse restart must not take Airflow's own database down with it (that
        # tests Airflow, not front-sync). --shared-postgres puts both databases on one server, restarted together.
        meta_admin = None if self.shared_postgres else start_postgres(self.ws, "meta")
        self.warehouse_url = start_postgres(self.ws, "warehouse")
        self.warehouse_dir = self.ws.pg_dirs[-1]
        metadata_url = create_database(meta_admin or self.warehouse_url, "airflow")
        # A rate-limited "company": 1,200 requests per minute (a compressed clock needs a larger plan), 10 per
        # second per resource. Each task may use 45 % of it; the front_api pool runs two API tasks at a time.
        rpm = 1200
        self.sim_url = start_simulator(self.ws, self.seed, self.variant.sizes, rpm=rpm, burst=10,
                                       deadline=self.deadline)
        from front_simulator.control import SimulatorControl

        self.control = SimulatorControl(self.sim_url, timeout=60)
        self.faults = FaultBoard(self.control)
        front_conn = {"conn_type": "front", "host": self.sim_url, "password": TOKEN,
                      "extra": {"allowed_hosts": ["localhost"], "rpm": rpm, "share": 0.45, "burst_per_second": 5,
                                "read_timeout": 10, "max_rate_limit_wait_seconds": 120}}
        self.site = AirflowSite.configure(self.ws, metadata_url, self.warehouse_url, front_conn,
                                          self.variant.schedules, {})
        self.site.cli("db", "migrate", timeout=300)
        self.site.cli("pools", "import", str(Path(__file__).resolve().parents[2] / "pools.json"))
        self.site.start(self.ws, self.deadline)
        self.set_config(None)
        wait_for("the dag-processor to register the DAGs", lambda: len(
                     self.site.query("SELECT dag_id FROM dag WHERE dag_id = ANY(%s)", (list(DAGS),))) == len(DAGS),
                 180, self.deadline, 2)
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

    def step_faults(self, layer: str, rules: list[dict[str, Any]]) -> None:
        self.faults.set(layer, rules, self.clock())
        self.note(f"faults on: {layer}", rules=[r.get("name") for r in rules])

    def step_clear(self, layer: str) -> None:
        self.faults.clear(layer, self.clock())
        self.note(f"faults off: {layer}")

    def step_config(self, value: dict[str, Any] | None) -> None:
        self.set_config(value)
        self.note("front_sync.config set", value=value)

    def step_backlog_start(self) -> None:
        """Pause the incremental DAG, cap what one run may take, and pile up changes: a backlog several runs long."""
        self.site.pause("front_sync_incremental")
        self.incremental_paused = True
        self.set_config({"max_results": self.variant.caps})
        for action, count in self.variant.burst.items():
            self.mutator.apply(action, count, control=self.control)
        self.note("backlog: incremental paused, caps set, burst applied", caps=self.variant.caps,
                  burst=self.variant.burst)

    def step_backlog_end(self) -> None:
        self.site.unpause("front_sync_incremental")
        self.incremental_paused = False
        self.note("backlog: incremental unpaused (caps stay until later)")

    # -- kill a task process mid-task --

    def running_syncs(self) -> list[dict[str, Any]]:
        """Task instances running now whose sync_logs row is open: they are inside a sync."""
        tis = self.site.query("SELECT dag_id, run_id, task_id, try_number, pid FROM task_instance "
                              "WHERE state = 'running' AND pid IS NOT NULL")
        if not tis:
            return []
        rows = self.wh("SELECT dag_id, run_id, task_id, try_number FROM front.sync_logs WHERE status = 'running'")
        open_rows = {tuple(r) for r in rows}
        return [{"dag_id": d, "run_id": r, "task_id": t, "try_number": n, "pid": p}
                for d, r, t, n, p in tis if (d, r, t, n) in open_rows]

    def is_our_task_process(self, pid: int) -> bool:
        """The pid is a task process forked by one of our scheduler's LocalExecutor workers."""
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[1])
            parent_group = os.getpgid(ppid)
        except (OSError, ValueError, IndexError):
            return False
        scheduler = self.ws.processes.get("scheduler")
        return "airflow" in cmdline and scheduler is not None and parent_group == scheduler.popen.pid

    def step_kill(self, prefer: tuple[str, ...], timeout: float) -> None:
        ends = time.monotonic() + timeout
        while time.monotonic() < ends:
            candidates = [c for c in self.running_syncs() if self.is_our_task_process(c["pid"])]
            candidates.sort(key=lambda c: prefer.index(c["task_id"]) if c["task_id"] in prefer else len(prefer))
            if candidates and (candidates[0]["task_id"] in prefer or time.monotonic() > ends - timeout / 3):
                target = candidates[0]
                os.kill(target["pid"], signal.SIGKILL)
                target["t"] = round(self.clock(), 1)
                self.kills.append(target)
                self.note("SIGKILL sent to a task process mid-sync", **target)
                return
            time.sleep(0.1)
        raise SoakError(f"no task was inside a sync within {timeout:.0f} s")

    # -- restart the warehouse mid-load --

    def step_pg_restart(self, timeout: float, prefer: tuple[str, ...] = ()) -> None:
        ends = time.monotonic() + timeout
        chosen: dict[str, Any] | None = None
        while time.monotonic() < ends:
            syncs = self.running_syncs()
            preferred = [s for s in syncs if s["task_id"] in prefer]
            pick = preferred or (syncs if time.monotonic() > ends - timeout / 3 else [])
            if pick:
                activity = self.wh("SELECT state, xact_start IS NOT NULL, left(query, 80) FROM pg_stat_activity "
                                   "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                                   "AND backend_type = 'client backend'")
                chosen = {"tasks": [f"{s['dag_id']}.{s['task_id']}#{s['try_number']}" for s in pick],
                          "task_keys": [[s["dag_id"], s["run_id"], s["task_id"], s["try_number"]] for s in pick],
                          "backends": [list(a) for a in activity],
                          "in_transaction": any(a[1] for a in activity)}
                if chosen["in_transaction"] or time.monotonic() > ends - 5:
                    break
            time.sleep(0.05)
        if chosen is None:
            raise SoakError(f"no sync was running within {timeout:.0f} s")
        # Every sync running now is hit, not only the one waited for.
        every = self.running_syncs()
        chosen["tasks"] = [f"{s['dag_id']}.{s['task_id']}#{s['try_number']}" for s in every] or chosen["tasks"]
        chosen["task_keys"] = [[s["dag_id"], s["run_id"], s["task_id"], s["try_number"]] for s in every] or \
            chosen["task_keys"]
        seconds = restart_postgres(self.warehouse_dir)
        chosen.update(t=round(self.clock(), 1), restart_seconds=round(seconds, 2))
        self.restarts.append(chosen)
        self.note("warehouse PostgreSQL restarted (pg_ctl restart -m fast) mid-load", **chosen)

    # -- an on-demand messages run while a backfill runs --

    def step_on_demand_during_backfill(self, timeout: float, new_backfill: bool) -> None:
        """Trigger front_sync_messages for a few conversations (one merged away) while a backfill run loads.

        With new_backfill, a second front_sync_backfill run (a re-load of every conversation) is triggered first,
        once the earlier one is done (the DAG runs one at a time)."""
        if new_backfill:
            wait_for("the earlier backfill run to finish",
                     lambda: not self.site.query("SELECT 1 FROM dag_run WHERE dag_id = 'front_sync_backfill' "
                                                 "AND state IN ('running', 'queued')"), timeout, self.deadline, 1)
            run_id = self.trigger("front_sync_backfill")
            self.note("second backfill triggered (a re-load of every conversation)", run_id=run_id)

        def loading() -> str | None:
            rows = self.site.query(
                "SELECT r.run_id FROM dag_run r JOIN task_instance t ON t.dag_id = r.dag_id AND t.run_id = r.run_id "
                "WHERE r.dag_id = 'front_sync_backfill' AND r.state = 'running' AND t.task_id IN "
                "('backfill_conversations', 'sync_messages', 'sync_comments') AND t.state = 'running' LIMIT 1")
            return rows[0][0] if rows else None

        backfill_run = wait_for("a backfill run to be loading", loading, timeout, self.deadline, 0.3)
        truth = self.control.truth("conversations")["_results"]
        merges = self.control.truth("merges")["conversations"]
        rng = random.Random(self.seed)
        ids = sorted({c["id"] for c in rng.sample(truth, k=min(5, len(truth)))} | set(sorted(merges)[:1]))
        before = {r[0] for r in self.site.query("SELECT run_id FROM dag_run WHERE dag_id = 'front_sync_messages'")}
        self.site.cli("dags", "trigger", "front_sync_messages", "--conf", json.dumps({"conversation_ids": ids}))
        after = {r[0] for r in self.site.query("SELECT run_id FROM dag_run WHERE dag_id = 'front_sync_messages'")}
        on_demand = next(iter(sorted(after - before)), None)
        if on_demand:
            self.triggered.setdefault("front_sync_messages", []).append(on_demand)
        self.note("on-demand messages run triggered while a backfill loads", run_id=on_demand,
                  conversation_ids=ids, backfill_run=backfill_run,
                  backfill_running=self.run_state("front_sync_backfill", backfill_run) == "running")

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
            wait_for("the wall clock to pass the newest change", lambda: Decimal(time.time()) > newest + 1, 30,
                     self.deadline, 0.2)
            self.settle_run("front_sync_incremental", attempts=3)
            for _night in range(self.verify_days):  # the nightly runs a rolling verification needs (verify_days)
                self.settle_run("front_sync_full", attempts=2)
            if self.pending_rows():
                # Rows queued by an incremental run still in flight are drained by that run: let it finish first.
                in_flight = self.site.query("SELECT run_id FROM dag_run WHERE dag_id = 'front_sync_incremental' "
                                            "AND state = 'running'")
                for (run_id,) in in_flight:
                    self.wait_run("front_sync_incremental", run_id, max(10.0, self.deadline.left() - 60))
                pending = self.pending_rows()
                if pending:
                    self.note("queue not empty after the quiet runs; one more incremental run", pending=len(pending),
                              rows=pending[:5])
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
                    "AND t.state NOT IN ('scheduled', 'queued')")
                if not half_done or time.monotonic() >= ends:
                    break
                for dag_id, run_id in half_done:
                    self.note("letting a half-done run finish before the comparison", dag_id=dag_id, run_id=run_id)
                    self.site.unpause(dag_id)
                    with contextlib.suppress(SoakError):
                        self.wait_run(dag_id, run_id, left())
            wait_for("running task instances to finish",
                     lambda: not self.site.query("SELECT 1 FROM task_instance WHERE state IN ('running', "
                                                 "'restarting') LIMIT 1"), left(), self.deadline, 1)
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

    # -- the verdict --

    def airflow_report(self) -> dict[str, Any]:
        q = self.site.query
        runs = [{"dag_id": d, "run_type": t, "state": s, "count": n} for d, t, s, n in q(
            "SELECT dag_id, run_type, state, count(*) FROM dag_run GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")]
        history = q("SELECT count(*), count(*) FILTER (WHERE state = 'failed' OR state = 'up_for_retry') "
                    "FROM task_instance_history")[0]
        current = q("SELECT count(*) FILTER (WHERE start_date IS NOT NULL), count(*) FILTER (WHERE try_number > 1) "
                    "FROM task_instance")[0]
        ti_states = dict(q("SELECT coalesce(state, 'none'), count(*) FROM task_instance GROUP BY 1"))
        failed_tries = [f"{d}.{t}: {n}" for d, t, n in q(
            "SELECT dag_id, task_id, count(*) FROM task_instance_history GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 15")]
        return {"dag_runs": runs, "task_tries": int(history[0]) + int(current[0]), "retried_tries": int(history[0]),
                "task_instances_retried": int(current[1]), "task_instance_states": ti_states,
                "earlier_tries_by_task": failed_tries}

    def explain_running_row(self, row: list[str]) -> dict[str, Any]:
        """A sync_logs row left 'running': which try wrote it, how Airflow ended that try, and what the soak did."""
        _id, dag_id, run_id, task_id, try_number = row[0], row[1], row[2], row[3], int(row[4])
        key = (dag_id, run_id, task_id)
        ended = self.site.query("SELECT state FROM task_instance_history WHERE dag_id = %s AND run_id = %s "
                                "AND task_id = %s AND try_number = %s", (*key, try_number))
        final = self.site.query("SELECT state, try_number FROM task_instance WHERE dag_id = %s AND run_id = %s "
                                "AND task_id = %s", key)
        causes = [f"SIGKILL at t+{k['t']}" for k in self.kills
                  if (k["dag_id"], k["run_id"], k["task_id"], k["try_number"]) == (*key, try_number)]
        causes += [f"warehouse restart at t+{r['t']}" for r in self.restarts
                   if [dag_id, run_id, task_id, try_number] in r["task_keys"]]
        return {"sync_logs_id": int(_id), "task": f"{dag_id}.{task_id}", "run_id": run_id, "try": try_number,
                "try_ended_as": ended[0][0] if ended else None,
                "task_final": list(final[0]) if final else None, "soak_cause": causes or None}

    def disruption_outcomes(self) -> list[dict[str, Any]]:
        q = self.site.query
        out = []
        for kill in self.kills:
            rows = q("SELECT state, try_number FROM task_instance WHERE dag_id = %s AND run_id = %s AND task_id = %s",
                     (kill["dag_id"], kill["run_id"], kill["task_id"]))
            killed_try = q("SELECT state FROM task_instance_history WHERE dag_id = %s AND run_id = %s "
                           "AND task_id = %s AND try_number = %s",
                           (kill["dag_id"], kill["run_id"], kill["task_id"], kill["try_number"]))
            state, tries = rows[0] if rows else (None, None)
            out.append({"disruption": "task process SIGKILL", "task": f"{kill['dag_id']}.{kill['task_id']}",
                        "run_id": kill["run_id"], "killed_try": kill["try_number"],
                        "killed_try_recorded_as": killed_try[0][0] if killed_try else None,
                        "final_state": state, "final_try": tries,
                        "survived": state == "success" and tries is not None and tries > kill["try_number"]})
        for restart in self.restarts:
            hit = []
            for dag_id, run_id, task_id, try_number in restart["task_keys"]:
                rows = q("SELECT state, try_number FROM task_instance WHERE dag_id = %s AND run_id = %s "
                         "AND task_id = %s", (dag_id, run_id, task_id))
                state, tries = rows[0] if rows else (None, None)
                hit.append({"task": f"{dag_id}.{task_id}", "run_id": run_id, "try_hit": try_number,
                            "final_state": state, "final_try": tries})
            out.append({"disruption": "warehouse PostgreSQL restart", "at": restart["t"],
                        "in_transaction": restart["in_transaction"], "tasks_hit": hit,
                        "survived": all(h["final_state"] == "success" for h in hit)})
        for backfill in self.backfills:
            rows = q("SELECT state, count(*) FROM dag_run WHERE backfill_id = %s GROUP BY 1",
                     (backfill["backfill_id"],))
            states = dict(rows)
            out.append({"disruption": "airflow backfill create", "over": backfill["kind"], "from": backfill["from"],
                        "to": backfill["to"], "runs": states,
                        "survived": bool(states.get("success")) and not states.get("failed")})
        for dag_id in ("front_sync_messages", "front_sync_backfill"):
            for run_id in self.triggered.get(dag_id, []):
                out.append({"disruption": f"triggered {dag_id}", "run_id": run_id,
                            "state": self.run_state(dag_id, run_id)})
        return out

    def fault_outcomes(self) -> list[dict[str, Any]]:
        """Per fault window: task tries that failed inside it and how soon an incremental run succeeded after it."""
        out = []
        for window in self.faults.windows if self.faults else []:
            start = self.wall(window["from"])
            end = self.wall(window["to"] if window["to"] is not None else self.phases.get("soak_seconds", 0))
            failed = self.site.query(
                "SELECT count(*) FROM (SELECT end_date FROM task_instance_history WHERE state IN ('failed', "
                "'up_for_retry') UNION ALL SELECT end_date FROM task_instance WHERE state IN ('failed', "
                "'up_for_retry')) AS t WHERE end_date BETWEEN %s AND %s", (start, end))[0][0]
            failed_runs = self.site.query(
                "SELECT count(*) FROM dag_run WHERE state = 'failed' AND end_date BETWEEN %s AND %s",
                (start, end + timedelta(minutes=3)))[0][0]
            recovered = self.site.query(
                "SELECT min(end_date) FROM dag_run WHERE dag_id = 'front_sync_incremental' AND state = 'success' "
                "AND start_date >= %s", (end,))[0][0]
            out.append({**window, "failed_task_tries": failed, "failed_dag_runs": failed_runs,
                        "first_successful_incremental_after_s": None if recovered is None
                        else round((recovered - end).total_seconds(), 1),
                        "survived": recovered is not None})
        return out

    def simulator_report(self) -> dict[str, Any]:
        stats = self.control.stats()
        kinds: Counter = Counter()
        for endpoint in stats["endpoints"].values():
            for combination, n in (endpoint.get("faults") or {}).items():
                for kind in combination.split(","):  # one response can carry several faults
                    kinds[kind] += n
        totals = stats["totals"]
        return {"api_calls": totals.get("calls"), "http_429": totals.get("429s"),
                "rate_limited": totals.get("rate_limited"), "burst_limited": totals.get("burst_limited"),
                "faults_served": totals.get("faults_served"), "faults_by_kind": dict(sorted(kinds.items()))}

    def verdict(self) -> dict[str, Any]:
        context = {"deleted_comments": dict(self.mutator.deleted_comments) if self.mutator else {},
                   "backfill_started": self.refetch_backfill_starts()}
        during = self.final_checkpoint()
        reports, truth, skipped = compare_all(self.warehouse_url, self.control, context)
        books = bookkeeping(self.warehouse_url)
        books["running_rows_explained"] = [self.explain_running_row(row) for row in books["running_rows"]]
        tables = {name: report.as_dict() for name, report in reports.items()}
        mismatches = sum(r.mismatches for r in reports.values())
        checks = {
            "tables_equal_truth": mismatches == 0,
            "no_sync_logs_running": not books["running_rows"],
            "identity_holds": not books["identity_violations"],
            "queue_empty": not books["pending"],
            "quiet_period_complete": self.quiet_complete,
            "no_run_left_unfinished": not self.unfinished,
            "capped_runs_make_progress": not books["capped_runs_without_progress"],
            "checkpoints_no_older_rows": bool(during["count"]) and not during["mismatches"],
            "no_resurrections": not during["resurrections"],
            "drift_converged": not during["convergence"]["not_converged"]
            and not sum(len(r.drift) for r in reports.values()),
        }
        return {"tables": tables, "rows_compared": sum(r.compared for r in reports.values()),
                "mismatches": mismatches, "drift_without_event": sum(len(r.drift) for r in reports.values()),
                "bookkeeping": books, "checks": checks,
                "truth_sizes": {k: len(v) for k, v in truth.records.items()},
                "not_compared": skipped,
                "comments_deleted_by_mutations": len(context["deleted_comments"]), "checkpoints": during,
                "checkpoint_comparisons": {"count": during["count"], "mismatches": during["mismatches"]},
                "resurrections": len(during["resurrections"]),
                "convergence_seconds": {k: during["convergence"][k] for k in ("max_seconds", "p50_seconds",
                                                                              "converged", "not_converged")}}

    def final_checkpoint(self) -> dict[str, Any]:
        """Stop the checkpoint thread and compare once more with everything quiet (the end of the window drift
        must converge within: the quiet period's incremental and `verify_days` nightly runs)."""
        if self.checkpoints is None:
            return {"count": 0, "mismatches": 0, "resurrections": [], "convergence": {"not_converged": 0}}
        self.checkpoints.stop()
        try:
            self.checkpoints.final()
        except Exception as exc:  # noqa: BLE001 - reported; the row-by-row comparison still runs
            self.checkpoints.errors.append(f"final: {type(exc).__name__}: {exc}"[:300])
        return self.checkpoints.report()


def product_files() -> dict[str, str]:
    """sha256 of every file of the code under test (other people may edit it while the soak runs)."""
    import hashlib

    root = Path(__file__).resolve().parents[2]
    files = sorted([*root.glob("include/front_sync/**/*.py"), *root.glob("include/front_sync/**/*.sql"),
                    *root.glob("include/front_simulator/**/*.py"), *root.glob("simulator/front_simulator/**/*.py"),
                    *root.glob("dags/*.py")])
    return {str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest()[:12] for f in files}


def code_fingerprint(files: dict[str, str]) -> dict[str, Any]:
    """Which code was tested: git HEAD (read only) and a hash over the working tree's product files."""
    import hashlib
    import subprocess

    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).resolve().parents[2],
                          capture_output=True, text=True).stdout.strip()
    digest = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:12]
    return {"git_head": head or None, "working_tree_product_hash": digest, "files": len(files)}


def run(variant: Variant, seed: int, keep: Path | None, shared_postgres: bool = False,
        verify_days: int = 1) -> dict[str, Any]:
    soak = Soak(variant, seed, keep, shared_postgres, verify_days)
    summary: dict[str, Any] = {"variant": variant.name, "seed": seed, "ok": False,
                               "postgres": "one server, restarted with the warehouse" if shared_postgres
                               else "metadata and warehouse on separate servers; only the warehouse restarted"}
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
                f for f in code_before.keys() | code_after.keys() if code_before.get(f) != code_after.get(f))
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
    parser.add_argument("--verify-days", type=int, default=int(os.environ.get("SOAK_VERIFY_DAYS", "1")),
                        help="front_sync.config verify_days (when the product has it) and the number of nightly "
                             "runs in the quiet period: the window drift without an event must converge within")
    parser.add_argument("--shared-postgres", action="store_true",
                        help="Airflow's metadata DB on the warehouse's server, so the mid-load restart hits both")
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

