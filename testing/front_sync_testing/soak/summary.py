"""The soak's human summary: the last lines `scripts/soak.py` prints (the JSON before it has everything)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from .checkpoints import COUNTS


def human_summary(summary: dict[str, Any]) -> str:
    lines = [
        f"== soak ({summary['variant']}, seed {summary['seed']}): "
        f"{'PASSED' if summary.get('ok') else 'FAILED'} in {summary.get('wall_seconds', 0):.0f} s"
    ]
    if summary.get("error"):
        lines.append(f"   error: {summary['error']}")
    phases = summary.get("phases") or {}
    if phases:
        lines.append("   phases: " + ", ".join(f"{k.removesuffix('_seconds')} {v:.0f} s" for k, v in phases.items()))
    airflow = summary.get("airflow") or {}
    if airflow:
        by_dag: dict[str, Counter] = {}
        for row in airflow["dag_runs"]:
            by_dag.setdefault(row["dag_id"], Counter())[f"{row['run_type']}/{row['state']}"] += row["count"]
        lines.append("   DAG runs:")
        for dag_id, counts in sorted(by_dag.items()):
            lines.append(f"     {dag_id:<24} " + ", ".join(f"{k} {n}" for k, n in sorted(counts.items())))
        lines.append(
            f"   task tries {airflow['task_tries']} (earlier tries kept in history: "
            f"{airflow['retried_tries']}, task instances retried: {airflow['task_instances_retried']})"
        )
    sim = summary.get("simulator") or {}
    if sim:
        lines.append(
            f"   Front API calls {sim['api_calls']}, 429s {sim['http_429']} (limiter {sim['rate_limited']}, "
            f"burst {sim['burst_limited']}), faults served {sim['faults_served']}"
        )
        lines.append("   faults by kind: " + ", ".join(f"{k} {v}" for k, v in sim["faults_by_kind"].items()))
    muts = summary.get("mutations") or {}
    if muts:
        lines.append(
            f"   mutations: {muts['calls']} calls, {muts['records_changed']} records, {muts['kinds']} kinds"
            + (f", errors {muts['errors']}" if muts["errors"] else "")
        )
    for item in summary.get("faults_survived") or []:
        lines.append(
            f"   fault window {item['layer']} t+{item['from']}..{item['to']}: failed task tries "
            f"{item['failed_task_tries']}, failed DAG runs {item['failed_dag_runs']}, an incremental run "
            f"succeeded {item['first_successful_incremental_after_s']} s after it ended"
        )
    for item in summary.get("disruptions") or []:
        lines.append("   disruption: " + json.dumps(item, default=str))
    tables = summary.get("tables") or {}
    if tables:
        lines.append(f"   {'table':<30}{'truth':>8}{'stored':>8}{'compared':>10}{'mismatch':>10}{'drift':>7}")
        for name, t in tables.items():
            lines.append(
                f"   {name:<30}{t['truth_rows']:>8}{t['warehouse_rows']:>8}{t['compared']:>10}"
                f"{t['mismatches']:>10}{t['drift_without_event']:>7}"
            )
        if summary.get("not_compared"):
            lines.append(f"   not compared: {summary['not_compared']}")
        lines.append(
            f"   rows compared {summary['rows_compared']}, mismatches {summary['mismatches']}, "
            f"drift without an event {summary['drift_without_event']} (not mismatches: tags renamed or "
            f"deleted, contacts edited/merged/deleted, comments deleted; see tests/soak/README.md)"
        )
        for name, t in tables.items():
            if t["mismatches"]:
                lines.append(
                    f"   MISMATCH {name}: missing {t['missing_ids']} extra {t['extra_ids']} "
                    f"differing {t['differing_ids']} typed {t['typed_ids']}"
                )
                for example in t["examples"][:2]:
                    lines.append(f"      {json.dumps(example, default=str)[:600]}")
    books = summary.get("bookkeeping") or {}
    if books:
        totals = books["sync_logs_totals"]
        lines.append(
            f"   sync_logs totals: fetched {totals['fetched']}, created {totals['created']}, updated "
            f"{totals['updated']}, unchanged {totals['unchanged']}, stale {totals['stale']}, deleted "
            f"{totals['deleted']}; API calls {totals['api_calls']}, request retries "
            f"{totals['request_retries']}, rate-limit waits {totals['rate_limit_waits']}"
        )
        lines.append(
            f"   sync_logs {books['sync_logs_rows']} rows {books['sync_logs_by_status']}; "
            f"left running {len(books['running_rows'])}; identity violations "
            f"{len(books['identity_violations'])}; queued {len(books['pending'])}; "
            f"dead letters {books['dead_letters']}; open conflicts {books['open_conflicts']}; "
            f"runs stopped by a max_results cap {books.get('capped_runs_by_resource')}"
        )
        for row in (books.get("running_rows_explained") or books["running_rows"])[:10]:
            lines.append(f"      running: {json.dumps(row, default=str)}")
        for row in books.get("capped_runs_without_progress", [])[:5]:
            lines.append(f"      capped without progress: {row}")
        for row in books["identity_violations"][:5]:
            lines.append(f"      identity: {row}")
        for row in books["pending"][:5]:
            lines.append(f"      queued: {row}")
    if summary.get("code_fingerprint"):
        lines.append(f"   code under test: {summary['code_fingerprint']}")
    if summary.get("code_changed_during_run"):
        lines.append(f"   note: code under test changed while the soak ran: {summary['code_changed_during_run']}")
    if summary.get("checkpoints"):
        lines.extend(checkpoint_lines(summary["checkpoints"]))
    for item in summary.get("recovery_actions") or []:
        lines.append(
            "   recovery action: " + json.dumps({k: v for k, v in item.items() if k != "cli_tail"}, default=str)[:600]
        )
    checks = summary.get("checks") or {}
    if checks:
        lines.append("   checks: " + ", ".join(f"{k} {'ok' if v else 'FAILED'}" for k, v in checks.items()))
    return "\n".join(lines)


def checkpoint_lines(report: dict[str, Any], limit: int = 300) -> list[str]:
    """The checkpoint part of the human summary: one line per checkpoint, then each drifted row's convergence."""
    lines = [
        f"   checkpoints {report['count']} (runs not checked: {report['runs_not_checked']}), rows compared "
        f"{report['compared']}, older than Front {report['mismatches']} (in {report['with_mismatches']} "
        f"checkpoints), resurrections {len(report['resurrections'])}"
    ]
    for item in report["per_checkpoint"]:
        bad = {
            t: {k: v for k, v in c.items() if k not in COUNTS}
            for t, c in item["by_table"].items()
            if c.get("mismatches")
        }
        lines.append(
            f"     t+{item['t']:.0f}s {item['checkpoint']}: compared {item['compared']}, older "
            f"{item['mismatches']} {json.dumps(bad) if bad else ''}, drift {item['drift']}, dead-lettered "
            f"{item['dead_lettered']}, served with injected fields {item['served_with_injected_fields']}, "
            f"queued {item['queued_skipped']}, changed since the cutoff {item['unchanged_unknown']}"
        )
        for example in item["examples"][:3]:
            lines.append(f"        {json.dumps(example, default=str)[:300]}")
    for entry in report["resurrections"][:20]:
        lines.append(
            f"     RESURRECTED {entry['table']} {entry['id']}: soft-deleted at "
            f"{entry['soft_deleted_at_checkpoint']}, live again at {entry['live_again_at_checkpoint']}"
        )
    conv = report["convergence"]
    lines.append(
        f"   drift without an event: {conv['converged']} rows converged (max {conv['max_seconds']} s, p50 "
        f"{conv['p50_seconds']} s), {conv['not_converged']} did not"
    )
    for entry in conv["rows"][:limit]:
        took = f"{entry['seconds']} s" if entry.get("converged_at") else "NOT converged"
        lines.append(f"     {entry['table']} {entry['id']}: {took} (first seen {entry['first_seen']})")
    if len(conv["rows"]) > limit:
        lines.append(f"     ... {len(conv['rows']) - limit} more rows in the JSON summary")
    return lines
