"""The soak's verdict and report: the warehouse against the truth, bookkeeping, what each disruption and fault
window did to Airflow's runs, the simulator's counters, and which code was tested."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections import Counter
from datetime import timedelta
from typing import Any

from front_sync_testing import ROOT

from .compare import bookkeeping, compare_all


class SoakReport:
    """Mixed into Soak: reads what its run recorded (kills, restarts, backfills, fault windows, checkpoints)."""

    def airflow_report(self) -> dict[str, Any]:
        q = self.site.query
        runs = [
            {"dag_id": d, "run_type": t, "state": s, "count": n}
            for d, t, s, n in q(
                "SELECT dag_id, run_type, state, count(*) FROM dag_run GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
            )
        ]
        history = q(
            "SELECT count(*), count(*) FILTER (WHERE state = 'failed' OR state = 'up_for_retry') "
            "FROM task_instance_history"
        )[0]
        current = q(
            "SELECT count(*) FILTER (WHERE start_date IS NOT NULL), count(*) FILTER (WHERE try_number > 1) "
            "FROM task_instance"
        )[0]
        ti_states = dict(q("SELECT coalesce(state, 'none'), count(*) FROM task_instance GROUP BY 1"))
        failed_tries = [
            f"{d}.{t}: {n}"
            for d, t, n in q(
                "SELECT dag_id, task_id, count(*) FROM task_instance_history GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 15"
            )
        ]
        return {
            "dag_runs": runs,
            "task_tries": int(history[0]) + int(current[0]),
            "retried_tries": int(history[0]),
            "task_instances_retried": int(current[1]),
            "task_instance_states": ti_states,
            "earlier_tries_by_task": failed_tries,
        }

    def explain_running_row(self, row: list[str]) -> dict[str, Any]:
        """A sync_logs row left 'running': which try wrote it, how Airflow ended that try, and what the soak did."""
        _id, dag_id, run_id, task_id, try_number = row[0], row[1], row[2], row[3], int(row[4])
        key = (dag_id, run_id, task_id)
        ended = self.site.query(
            "SELECT state FROM task_instance_history WHERE dag_id = %s AND run_id = %s "
            "AND task_id = %s AND try_number = %s",
            (*key, try_number),
        )
        final = self.site.query(
            "SELECT state, try_number FROM task_instance WHERE dag_id = %s AND run_id = %s AND task_id = %s", key
        )
        causes = [
            f"SIGKILL at t+{k['t']}"
            for k in self.kills
            if (k["dag_id"], k["run_id"], k["task_id"], k["try_number"]) == (*key, try_number)
        ]
        causes += [
            f"warehouse restart at t+{r['t']}"
            for r in self.restarts
            if [dag_id, run_id, task_id, try_number] in r["task_keys"]
        ]
        return {
            "sync_logs_id": int(_id),
            "task": f"{dag_id}.{task_id}",
            "run_id": run_id,
            "try": try_number,
            "try_ended_as": ended[0][0] if ended else None,
            "task_final": list(final[0]) if final else None,
            "soak_cause": causes or None,
        }

    def disruption_outcomes(self) -> list[dict[str, Any]]:
        q = self.site.query
        out = []
        for kill in self.kills:
            rows = q(
                "SELECT state, try_number FROM task_instance WHERE dag_id = %s AND run_id = %s AND task_id = %s",
                (kill["dag_id"], kill["run_id"], kill["task_id"]),
            )
            killed_try = q(
                "SELECT state FROM task_instance_history WHERE dag_id = %s AND run_id = %s "
                "AND task_id = %s AND try_number = %s",
                (kill["dag_id"], kill["run_id"], kill["task_id"], kill["try_number"]),
            )
            state, tries = rows[0] if rows else (None, None)
            out.append(
                {
                    "disruption": "task process SIGKILL",
                    "task": f"{kill['dag_id']}.{kill['task_id']}",
                    "run_id": kill["run_id"],
                    "killed_try": kill["try_number"],
                    "killed_try_recorded_as": killed_try[0][0] if killed_try else None,
                    "final_state": state,
                    "final_try": tries,
                    "survived": state == "success" and tries is not None and tries > kill["try_number"],
                }
            )
        for restart in self.restarts:
            hit = []
            for dag_id, run_id, task_id, try_number in restart["task_keys"]:
                rows = q(
                    "SELECT state, try_number FROM task_instance WHERE dag_id = %s AND run_id = %s AND task_id = %s",
                    (dag_id, run_id, task_id),
                )
                state, tries = rows[0] if rows else (None, None)
                hit.append(
                    {
                        "task": f"{dag_id}.{task_id}",
                        "run_id": run_id,
                        "try_hit": try_number,
                        "final_state": state,
                        "final_try": tries,
                    }
                )
            out.append(
                {
                    "disruption": "warehouse PostgreSQL restart",
                    "at": restart["t"],
                    "in_transaction": restart["in_transaction"],
                    "tasks_hit": hit,
                    "survived": all(h["final_state"] == "success" for h in hit),
                }
            )
        for backfill in self.backfills:
            rows = q(
                "SELECT state, count(*) FROM dag_run WHERE backfill_id = %s GROUP BY 1", (backfill["backfill_id"],)
            )
            states = dict(rows)
            out.append(
                {
                    "disruption": "airflow backfill create",
                    "over": backfill["kind"],
                    "from": backfill["from"],
                    "to": backfill["to"],
                    "runs": states,
                    "survived": bool(states.get("success")) and not states.get("failed"),
                }
            )
        for dag_id in ("front_sync_messages", "front_sync_backfill"):
            for run_id in self.triggered.get(dag_id, []):
                out.append(
                    {"disruption": f"triggered {dag_id}", "run_id": run_id, "state": self.run_state(dag_id, run_id)}
                )
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
                "'up_for_retry')) AS t WHERE end_date BETWEEN %s AND %s",
                (start, end),
            )[0][0]
            failed_runs = self.site.query(
                "SELECT count(*) FROM dag_run WHERE state = 'failed' AND end_date BETWEEN %s AND %s",
                (start, end + timedelta(minutes=3)),
            )[0][0]
            recovered = self.site.query(
                "SELECT min(end_date) FROM dag_run WHERE dag_id = 'front_sync_incremental' AND state = 'success' "
                "AND start_date >= %s",
                (end,),
            )[0][0]
            out.append(
                {
                    **window,
                    "failed_task_tries": failed,
                    "failed_dag_runs": failed_runs,
                    "first_successful_incremental_after_s": None
                    if recovered is None
                    else round((recovered - end).total_seconds(), 1),
                    "survived": recovered is not None,
                }
            )
        return out

    def simulator_report(self) -> dict[str, Any]:
        stats = self.control.stats()
        kinds: Counter = Counter()
        for endpoint in stats["endpoints"].values():
            for combination, n in (endpoint.get("faults") or {}).items():
                for kind in combination.split(","):  # one response can carry several faults
                    kinds[kind] += n
        totals = stats["totals"]
        return {
            "api_calls": totals.get("calls"),
            "http_429": totals.get("429s"),
            "rate_limited": totals.get("rate_limited"),
            "burst_limited": totals.get("burst_limited"),
            "faults_served": totals.get("faults_served"),
            "faults_by_kind": dict(sorted(kinds.items())),
        }

    def steps_not_done(self) -> list[dict[str, Any]]:
        """The timetable's steps that could not be done (their notes: the step and why)."""
        return [e for e in self.events if str(e.get("what", "")).endswith("could not be done")]

    def verdict(self) -> dict[str, Any]:
        context = {
            "deleted_comments": dict(self.mutator.deleted_comments) if self.mutator else {},
            "backfill_started": self.refetch_backfill_starts(),
        }
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
            # A scenario of the timetable that could not be staged proves nothing: the soak must not pass without it.
            "timetable_done": not self.steps_not_done(),
        }
        return {
            "tables": tables,
            "rows_compared": sum(r.compared for r in reports.values()),
            "mismatches": mismatches,
            "drift_without_event": sum(len(r.drift) for r in reports.values()),
            "bookkeeping": books,
            "checks": checks,
            "truth_sizes": {k: len(v) for k, v in truth.records.items()},
            "not_compared": skipped,
            "comments_deleted_by_mutations": len(context["deleted_comments"]),
            "checkpoints": during,
            "checkpoint_comparisons": {"count": during["count"], "mismatches": during["mismatches"]},
            "resurrections": len(during["resurrections"]),
            "steps_not_done": self.steps_not_done(),
            "convergence_seconds": {
                k: during["convergence"][k] for k in ("max_seconds", "p50_seconds", "converged", "not_converged")
            },
        }

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

    root = ROOT
    files = sorted(
        [
            *root.glob("include/front_sync/**/*.py"),
            *root.glob("include/front_sync/**/*.sql"),
            *root.glob("include/front_simulator/**/*.py"),
            *root.glob("simulator/front_simulator/**/*.py"),
            *root.glob("dags/*.py"),
        ]
    )
    return {str(f.relative_to(root)): hashlib.sha256(f.read_bytes()).hexdigest()[:12] for f in files}


def code_fingerprint(files: dict[str, str]) -> dict[str, Any]:
    """Which code was tested: git HEAD (read only) and a hash over the working tree's product files."""

    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    digest = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:12]
    return {"git_head": head or None, "working_tree_product_hash": digest, "files": len(files)}
