"""What kind of run a sync task is, and everything that follows from it, decided once per task by `run_plan`.

| kind         | DAG       | listed (contacts / small ones)   | conversations                | messages, comments   |
|--------------|-----------|----------------------------------|------------------------------|----------------------|
| incremental  | hourly    | since the watermark / in full    | the change feed (watermark)  | drain, hourly        |
| full         | nightly   | in full, deletions reconciled    | re-listing (no watermark)    | drain, hourly        |
| backfill     | backfill  | -                                | a scope (sets the watermark) | drain, backfill      |
| on_demand    | messages  | -                                | -                            | the ids asked, first |
| verification | nightly   | -                                | -                            | tonight's slice      |

Only a resource that keeps a cursor (a listed one Front can filter by time, the conversations) has a watermark; a
run that reads it starts its window there and advances it after every committed batch. The sync_logs type follows
the kind, except that a run that lists everything is "full" and an Airflow backfill run re-reading its interval
from a watermark is "backfill".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from front_sync.config import SyncConfig
from front_sync.resources.model import CONVERSATION_FEED, LISTED, PER_CONVERSATION, Resource
from front_sync.sync.window import Window, sync_window
from front_sync.warehouse.pending import Priority


class RunKind(StrEnum):
    """Why a task runs (a string enum: operator arguments stay JSON in Airflow's serialized DAG)."""

    INCREMENTAL = "incremental"
    FULL = "full"
    BACKFILL = "backfill"
    ON_DEMAND = "on_demand"
    VERIFICATION = "verification"


class WatermarkUse(StrEnum):
    """What a run does with its resource's watermark (front_sync.watermark.<resource>)."""

    NONE = "none"  # neither reads nor writes it
    ADVANCE = "advance"  # reads it (the window starts there), advances it after every committed batch
    INITIALISE = "initialise"  # sets it only when unset: where the change feed takes over after a backfill


@dataclass(frozen=True)
class KindRule:
    """What a kind allows and implies: the flows it may run, its queue priority, its sync_logs type."""

    flows: frozenset[str]
    priority: Priority
    sync_type: str


KINDS: dict[RunKind, KindRule] = {
    RunKind.INCREMENTAL: KindRule(
        frozenset({LISTED, CONVERSATION_FEED, PER_CONVERSATION}), Priority.HOURLY, "incremental"
    ),
    RunKind.FULL: KindRule(frozenset({LISTED, CONVERSATION_FEED, PER_CONVERSATION}), Priority.HOURLY, "full"),
    RunKind.BACKFILL: KindRule(frozenset({CONVERSATION_FEED, PER_CONVERSATION}), Priority.BACKFILL, "backfill"),
    RunKind.ON_DEMAND: KindRule(frozenset({PER_CONVERSATION}), Priority.ON_DEMAND, "on_demand"),
    RunKind.VERIFICATION: KindRule(frozenset({PER_CONVERSATION}), Priority.VERIFY, "full"),
}

# (kind, flow) -> what the run does with the watermark; every pair not named here leaves it alone. A listed
# resource Front cannot filter by time keeps no watermark at all (run_plan).
WATERMARKS: dict[tuple[RunKind, str], WatermarkUse] = {
    (RunKind.INCREMENTAL, LISTED): WatermarkUse.ADVANCE,
    (RunKind.FULL, LISTED): WatermarkUse.ADVANCE,  # a complete listing reaches every record's updated_at
    (RunKind.INCREMENTAL, CONVERSATION_FEED): WatermarkUse.ADVANCE,
    (RunKind.BACKFILL, CONVERSATION_FEED): WatermarkUse.INITIALISE,
}


@dataclass(frozen=True)
class RunRequest:
    """When and how the run was asked for: what the plan needs from the Airflow context."""

    run_type: str
    interval_start: datetime | None = None
    interval_end: datetime | None = None
    run_after: datetime | None = None
    force_listing: bool = False  # DAG param force_directory_refresh: list the small resources now

    @classmethod
    def of(cls, context) -> RunRequest:
        dag_run = context["dag_run"]
        return cls(
            run_type=str(getattr(dag_run.run_type, "value", dag_run.run_type)),
            interval_start=context.get("data_interval_start"),
            interval_end=context.get("data_interval_end"),
            run_after=getattr(dag_run, "run_after", None),
            force_listing=bool((context.get("params") or {}).get("force_directory_refresh")),
        )


@dataclass(frozen=True)
class RunPlan:
    """Everything a sync task needs to know about its kind of run; computed once, in execute."""

    kind: RunKind
    window: Window  # what it asks Front for
    watermark: Decimal | None  # the stored watermark the window starts from (None: none read)
    watermark_use: WatermarkUse
    complete_listing: bool  # lists every record (a listed resource then reconciles deletions)
    sync_type: str  # front.sync_logs.sync_type
    priority: Priority  # of the children it queues or drains in sync_pending
    skip_applied_events: bool  # events an earlier run applied are skipped (the change feed)
    fresh_listing_minutes: int  # a complete listing younger than this lets the run skip (0: never skips)
    only_requested: bool  # drains only the conversations it was asked for

    @property
    def advances_watermark(self) -> bool:
        return self.watermark_use is WatermarkUse.ADVANCE


def keeps_watermark(resource: Resource) -> bool:
    """Whether the resource has a watermark to read: the listed ones Front filters by time, the conversations."""
    return resource.flow == CONVERSATION_FEED or (resource.flow == LISTED and resource.incremental)


def run_plan(
    kind: RunKind, resource: Resource, request: RunRequest, stored: Decimal | None, config: SyncConfig
) -> RunPlan:
    """The plan of a `kind` run of `resource`, given the run's request and its stored watermark (`stored`, None
    when unset or not read); raises ValueError for a kind the resource cannot run as."""
    rule = KINDS[kind]
    if resource.flow not in rule.flows:
        allowed = sorted(k.value for k, r in KINDS.items() if resource.flow in r.flows)
        raise ValueError(f"{resource.name} cannot run as a {kind.value} run; its runs are: {', '.join(allowed)}")
    use = WATERMARKS.get((kind, resource.flow), WatermarkUse.NONE) if keeps_watermark(resource) else WatermarkUse.NONE
    watermark = stored if use is WatermarkUse.ADVANCE else None
    window = sync_window(
        run_type=request.run_type,
        interval_start=request.interval_start,
        interval_end=request.interval_end,
        run_after=request.run_after,
        watermark=watermark,
        overlap_seconds=config.overlap_seconds,
    )
    small = resource.flow == LISTED and not resource.incremental
    complete = resource.flow != PER_CONVERSATION and (
        kind is RunKind.FULL or small or (use is WatermarkUse.ADVANCE and window.lower is None)
    )
    if complete:
        sync_type = "full"
    elif use is WatermarkUse.ADVANCE and window.rereads_interval:
        sync_type = "backfill"
    else:
        sync_type = rule.sync_type
    fresh = (
        config.directory_refresh_minutes if kind is RunKind.INCREMENTAL and small and not request.force_listing else 0
    )
    return RunPlan(
        kind=kind,
        window=window,
        watermark=watermark,
        watermark_use=use,
        complete_listing=complete,
        sync_type=sync_type,
        priority=rule.priority,
        skip_applied_events=use is WatermarkUse.ADVANCE
        and resource.flow == CONVERSATION_FEED
        and not window.rereads_interval,
        fresh_listing_minutes=fresh,
        only_requested=kind is RunKind.ON_DEMAND,
    )
