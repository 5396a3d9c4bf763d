"""The disruptions the soak's timetable performs (each a `step_<action>` of a Step): faults on and off, a backlog,
a task process killed mid-sync, the warehouse restarted mid-load, an on-demand run during a backfill."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from pathlib import Path
from typing import Any

from .infra import SoakError, restart_postgres, wait_for


class DisruptionSteps:
    """Mixed into Soak: needs its site, control, faults, mutator, variant, clock() and note()."""

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
        self.note(
            "backlog: incremental paused, caps set, burst applied", caps=self.variant.caps, burst=self.variant.burst
        )

    def step_backlog_end(self) -> None:
        self.site.unpause("front_sync_incremental")
        self.incremental_paused = False
        self.note("backlog: incremental unpaused (caps stay until later)")

    # -- kill a task process mid-task --

    def running_syncs(self) -> list[dict[str, Any]]:
        """Task instances running now whose sync_logs row is open: they are inside a sync."""
        tis = self.site.query(
            "SELECT dag_id, run_id, task_id, try_number, pid FROM task_instance "
            "WHERE state = 'running' AND pid IS NOT NULL"
        )
        if not tis:
            return []
        rows = self.wh("SELECT dag_id, run_id, task_id, try_number FROM front.sync_logs WHERE status = 'running'")
        open_rows = {tuple(r) for r in rows}
        return [
            {"dag_id": d, "run_id": r, "task_id": t, "try_number": n, "pid": p}
            for d, r, t, n, p in tis
            if (d, r, t, n) in open_rows
        ]

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
                activity = self.wh(
                    "SELECT state, xact_start IS NOT NULL, left(query, 80) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND backend_type = 'client backend'"
                )
                chosen = {
                    "tasks": [f"{s['dag_id']}.{s['task_id']}#{s['try_number']}" for s in pick],
                    "task_keys": [[s["dag_id"], s["run_id"], s["task_id"], s["try_number"]] for s in pick],
                    "backends": [list(a) for a in activity],
                    "in_transaction": any(a[1] for a in activity),
                }
                if chosen["in_transaction"] or time.monotonic() > ends - 5:
                    break
            time.sleep(0.05)
        if chosen is None:
            raise SoakError(f"no sync was running within {timeout:.0f} s")
        # Every sync running now is hit, not only the one waited for.
        every = self.running_syncs()
        chosen["tasks"] = [f"{s['dag_id']}.{s['task_id']}#{s['try_number']}" for s in every] or chosen["tasks"]
        chosen["task_keys"] = [[s["dag_id"], s["run_id"], s["task_id"], s["try_number"]] for s in every] or chosen[
            "task_keys"
        ]
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
            wait_for(
                "the earlier backfill run to finish",
                lambda: (
                    not self.site.query(
                        "SELECT 1 FROM dag_run WHERE dag_id = 'front_sync_backfill' AND state IN ('running', 'queued')"
                    )
                ),
                timeout,
                self.deadline,
                1,
            )
            run_id = self.trigger("front_sync_backfill")
            self.note("second backfill triggered (a re-load of every conversation)", run_id=run_id)

        def loading() -> str | None:
            rows = self.site.query(
                "SELECT r.run_id FROM dag_run r JOIN task_instance t ON t.dag_id = r.dag_id AND t.run_id = r.run_id "
                "WHERE r.dag_id = 'front_sync_backfill' AND r.state = 'running' AND t.task_id IN "
                "('backfill_conversations', 'sync_messages', 'sync_comments') AND t.state = 'running' LIMIT 1"
            )
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
        self.note(
            "on-demand messages run triggered while a backfill loads",
            run_id=on_demand,
            conversation_ids=ids,
            backfill_run=backfill_run,
            backfill_running=self.run_state("front_sync_backfill", backfill_run) == "running",
        )
