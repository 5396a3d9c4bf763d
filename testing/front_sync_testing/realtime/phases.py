"""The measured phases of the real-time benchmark: mutations through the simulator's control API on a schedule,
then, once their webhooks are applied (or a bound passed), the phase's figures from the warehouse, the metadata DB
and the simulator."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from front_sync_testing.soak.infra import log

from .figures import calls_per_webhook, lag_stats, phase_targets
from .plan import Planned
from .stack import REALTIME_DAG, RealtimeStack


@dataclass
class Driven:
    """What a mutation schedule did: the events it emitted (ids), per action, refused mutations, its timing."""

    started: datetime
    events: list[str] = field(default_factory=list)
    actions: Counter = field(default_factory=Counter)
    refused: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    behind_max_seconds: float = 0.0


def drive(control: Any, plan: list[Planned], stop_at: float | None = None) -> Driven:
    """Apply `plan` at its offsets (sequentially: a late call is reported as `behind_max_seconds`, not skipped);
    a mutation the simulator refuses (nothing left to reopen) is counted per action and the schedule goes on."""
    from front_simulator.control import SimulatorControlError

    out = Driven(datetime.now(UTC))
    start = time.monotonic()
    for item in plan:
        wait = start + item.at - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        out.behind_max_seconds = max(out.behind_max_seconds, -wait)
        if stop_at is not None and time.monotonic() >= stop_at:
            break
        try:
            result = control.mutate(item.action, count=1)
        except SimulatorControlError:
            out.refused[item.action] += 1
            continue
        out.actions[item.action] += 1
        out.events.extend(result["events"])
    out.seconds = round(time.monotonic() - start, 2)
    out.behind_max_seconds = round(out.behind_max_seconds, 2)
    return out


def sent_events(control: Any, after_seq: int, events: list[str]) -> set[str]:
    """The phase's events the simulator sent (a first attempt in its delivery log), not dropped ones."""
    wanted = set(events)
    log_entries = control.webhook_deliveries(after=after_seq, kind="event")
    return {d["event_id"] for d in log_entries if d["attempt"] == 1 and d["event_id"] in wanted}


def wait_applied(stack: RealtimeStack, events: list[str], timeout: float) -> float:
    """Wait (at most `timeout` seconds) until the simulator has nothing queued, held or in flight and every stored
    webhook of `events` is applied; returns the seconds waited (a phase that does not settle is measured as is)."""
    started = time.monotonic()
    while time.monotonic() < started + timeout:
        status = stack.control.webhook_status()
        pending = stack.wh(
            "SELECT count(*) FROM front.webhook_events WHERE event_id = ANY(%s) AND applied_at IS NULL", (events,)
        )[0][0]
        if not (status["queued"] or status["held"] or status["in_flight"] or pending):
            break
        time.sleep(1)
    return round(time.monotonic() - started, 1)


def measure(stack: RealtimeStack, name: str, driven: Driven, after_seq: int, ended: datetime) -> dict[str, Any]:
    """The phase's figures: lag of its own webhooks, applied vs sent, realtime runs started, API calls, 429s."""
    events = driven.events
    lag = lag_stats(
        stack.wh("SELECT sent_at, applied_at FROM front.webhook_events WHERE event_id = ANY(%s)", (events,))
    )
    # Split by what the webhook's event names: a message or comment (fetched by id unless stored, through the
    # company budget) or only the conversation (its preview is the whole change).
    named = "COALESCE(COALESCE(payload->'payload', payload)->'target'->'_meta'->>'type', '') IN ('message', 'comment')"
    by_kind = {
        kind: lag_stats(
            stack.wh(
                f"SELECT sent_at, applied_at FROM front.webhook_events WHERE event_id = ANY(%s) AND {cond}",  # noqa: S608
                (events,),
            )
        )
        for kind, cond in (("names_a_message_or_comment", named), ("conversation_only", f"NOT ({named})"))
    }
    sent = sent_events(stack.control, after_seq, events)
    runs = stack.site.query(
        "SELECT count(*) FROM dag_run WHERE dag_id = %s AND coalesce(start_date, queued_at) BETWEEN %s AND %s",
        (REALTIME_DAG, driven.started, ended),
    )[0][0]
    logged = stack.wh(
        "SELECT count(*), sum(api_calls), count(*) FILTER (WHERE status <> 'success') FROM front.sync_logs "
        "WHERE resource = 'webhooks' AND sync_type = 'realtime' AND started_at BETWEEN %s AND %s",
        (driven.started, ended),
    )[0]
    totals = stack.control.stats()["totals"]
    figures = {
        "mutations": sum(driven.actions.values()),
        "mutations_refused": dict(driven.refused),
        "mutation_seconds": driven.seconds,
        "mutations_behind_schedule_max_seconds": driven.behind_max_seconds,
        "events": len(events),
        "webhooks_sent": len(sent),
        "webhooks_stored": stack.wh("SELECT count(*) FROM front.webhook_events WHERE event_id = ANY(%s)", (events,))[0][
            0
        ],
        "lag": lag,
        "lag_by_kind": by_kind,
        "dag_runs": runs,
        "realtime_task_runs": logged[0],
        "realtime_task_runs_not_success": logged[2],
        "api_calls_sync_logs": int(logged[1] or 0),
        "api_calls_simulator": totals["calls"],
        "api_calls_per_webhook": calls_per_webhook(int(logged[1] or 0), lag["applied"]),
        "api_calls_per_webhook_simulator": calls_per_webhook(totals["calls"], lag["applied"]),
        "responses_429": totals["429s"],
    }
    figures["targets"] = phase_targets(name, figures)
    return figures


def run_phase(stack: RealtimeStack, name: str, plan: list[Planned], settle_seconds: float) -> dict[str, Any]:
    """Drive `plan`, wait for its webhooks to be applied (at most `settle_seconds` after the last mutation), measure."""
    after_seq = stack.control.webhook_status()["last_seq"]
    stack.control.reset_stats()
    log(f"phase {name}: {len(plan)} mutations over {plan[-1].at if plan else 0:.0f} s")
    driven = drive(stack.control, plan)
    waited = wait_applied(stack, driven.events, settle_seconds)
    ended = datetime.now(UTC)
    figures = measure(stack, name, driven, after_seq, ended)
    figures["settle_seconds"] = waited
    log(f"phase {name}: {figures['lag']} runs {figures['dag_runs']} calls {figures['api_calls_sync_logs']}")
    return figures
