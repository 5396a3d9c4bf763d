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
import json
import signal
import time
from pathlib import Path
from typing import Any

from .cluster import log
from .oauth import OAuthRun
from .plan import (
    VARIANTS,
    Variant,
)
from .run import Run
from .tenants import TenantsRun


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
    lines = [
        f"== celery {summary['variant']}: {summary['wall_seconds']} s"
        + (f"; ERROR {summary['error']}" if "error" in summary else "")
    ]
    for name, t in summary.get("tenants", {}).items():
        lines.append(
            f"   tenant {name} ({t['sizes']}, rpm {t['rpm']}): tries per worker {t['tries_per_worker']}, "
            f"retries {t['retries']} {t['tasks_retried']}; simulator {t['api_calls']} calls, "
            f"{t['http_429']} HTTP 429 ({t['http_429_percent']} %), {t['http_401']} HTTP 401"
        )
    if "tenants" in summary:
        lines.append(f"   nothing crossed: {summary.get('crossing')}")
    else:
        lines.append(
            f"   tries per worker: {summary.get('tries_per_worker')}, retries {summary.get('retries')} "
            f"{summary.get('tasks_retried')}"
        )
        lines.append(
            f"   simulator: {summary.get('api_calls')} calls, {summary.get('http_429')} HTTP 429 "
            f"({summary.get('http_429_percent')} %)"
        )
    if "oauth" in summary:
        lines.append(f"   oauth: {summary['oauth']}")
    for r in summary.get("runs", []):
        lines.append(f"   {r['dag_id']} {r['run_id']}: {r['state']} in {r['seconds']} s")
    for k in summary.get("kills", []):
        lines.append(
            f"   SIGKILL {k['worker']} ({k['processes_killed']} processes) in {k['task_id']}: tries "
            + ", ".join(f"{t['try']}@{t['worker']}={t['state']}" for t in k["tries"])
        )
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
        raise KeyboardInterrupt(f"signal {signum}")  # run()'s finally stops the cluster and the simulator

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
        if tenant["http_401"]:  # each simulator accepts its own company's token only
            out.append(f"{tenant['http_401']} HTTP 401 at {name}'s simulator: another tenant's token reached it")
        if tenant["http_429_percent"] > MAX_429_PERCENT:
            out.append(
                f"{tenant['http_429']} HTTP 429 of {tenant['api_calls']} calls at {name}'s simulator: over "
                f"{MAX_429_PERCENT} % (its rate budget did not hold)"
            )
    if (summary.get("http_429_percent") or 0) > MAX_429_PERCENT:  # one budget per company across both workers
        out.append(
            f"{summary.get('http_429')} HTTP 429 of {summary.get('api_calls')} calls: over "
            f"{MAX_429_PERCENT} % (the shared rate budget did not hold across workers)"
        )
    out += oauth_problems(summary.get("oauth"))
    shutdown = summary.get("shutdown") or {}
    if (
        shutdown.get("processes_left")
        or shutdown.get("servers_still_listening")
        or shutdown.get("pg_data_removed") is False
    ):
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
        out.append(
            f"refreshes disagree (Front answered {oauth['refreshes']} of {oauth['refresh_requests']} "
            f"requests, the warehouse retired {oauth['refreshes_stored']}, the tasks did "
            f"{oauth['refreshes_by_tasks']})"
        )
    lowest = oauth["seconds_between_refreshes_min"]
    if lowest is not None and lowest < oauth["access_token_lifetime"] - oauth["margin"] - 1:
        out.append(f"two refreshes {lowest} s apart: more than one refresh for one expiry")
    if oauth["refresh_tokens_presented_twice"] or oauth["invalid_grant"]:
        out.append(
            f"a refresh token was sent again ({oauth['refresh_tokens_presented_twice']} twice, "
            f"{oauth['invalid_grant']} invalid_grant)"
        )
    if oauth["tokens_found_in_files"]:
        out.append(f"OAuth tokens in files: {oauth['tokens_found_in_files'][:5]}")
    return out
