"""What a soak run does: its DAGs, the compressed time constants, the fault layers and each variant's timetable."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .recovery import BAD_EVENTS

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
    {
        "name": "contacts_wrong_types",
        "endpoint": "/contacts",
        "kind": "bad_records",
        "variant": "wrong_types",
        "probability": 0.03,
    },
    {
        "name": "contacts_unknown_fields",
        "endpoint": "/contacts",
        "kind": "bad_records",
        "variant": "unknown_fields",
        "probability": 0.03,
    },
    {"name": "tags_nul_chars", "endpoint": "/tags", "kind": "bad_records", "variant": "nul_chars", "probability": 0.05},
    {
        "name": "contacts_move_while_paging",
        "endpoint": "/contacts",
        "kind": "mutate_during_paging",
        "count": 1,
        "probability": 0.1,
    },
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
        sizes={
            "contacts": 400,
            "conversations": 60,
            "teammates": 6,
            "inboxes": 3,
            "channels": 4,
            "tags": 25,
            "contact_lists": 4,
            "messages_per_conversation": 3,
            "max_messages_per_conversation": 40,
        },
        schedules={"incremental": "* * * * *", "full": "*/2 * * * *"},
        mutation_interval=1.5,
        soak_seconds=100,
        deadline_seconds=540,
        quiet_seconds=420,
        steps=[
            Step(0, "faults", {"layer": "background", "rules": BACKGROUND_FAULTS}),
            Step(0, "faults", {"layer": "slow_children", "rules": SLOW_CHILDREN}),
            Step(0, "on_demand_during_backfill", {"timeout": 120, "new_backfill": False}),
            Step(1, "kill", {"prefer": ("sync_messages", "sync_comments"), "timeout": 40}),
            Step(15, "faults", {"layer": "outage", "rules": OUTAGE_FAULTS}),
            Step(60, "clear", {"layer": "outage"}),
            Step(60, "faults", {"layer": "storm", "rules": STORM_FAULTS}),
            Step(65, "pg_restart", {"timeout": 30, "prefer": ("sync_messages", "sync_comments", "sync_contacts")}),
            Step(70, "faults", {"layer": "bad_events", "rules": BAD_EVENTS}),
            Step(80, "clear", {"layer": "storm"}),
            Step(82, "backfill_create", {"intervals": 2, "wait": 40}),
            Step(84, "relist_bumped", {"bumps": 3, "timeout": 180}),
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
        sizes={
            "contacts": 3000,
            "conversations": 250,
            "teammates": 8,
            "inboxes": 4,
            "channels": 6,
            "tags": 60,
            "contact_lists": 5,
            "messages_per_conversation": 4,
            "max_messages_per_conversation": 60,
        },
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
            Step(305, "on_demand_during_backfill", {"timeout": 300, "new_backfill": True}),
            Step(310, "pg_restart", {"timeout": 60, "prefer": ("sync_messages", "sync_comments")}),
            Step(330, "faults", {"layer": "bad_events", "rules": BAD_EVENTS}),
            Step(345, "relist_bumped", {"bumps": 5, "timeout": 300}),
            Step(350, "clear", {"layer": "bad_events"}),
            Step(
                370,
                "kill",
                {
                    "prefer": (
                        "sync_contacts",
                        "sync_conversations",
                        "sync_messages",
                        "sync_comments",
                        "backfill_conversations",
                    ),
                    "timeout": 60,
                },
            ),
            Step(400, "backfill_create", {"intervals": 3, "wait": 60}),
            Step(410, "watermark_back", {}),
            Step(415, "replay", {}),
            Step(420, "config", {"value": None}),
        ],
        caps={"contacts": 150, "conversations": 45, "messages": 120, "comments": 60},
        burst={"update_contacts": 500, "random_activity": 120, "new_conversations": 20, "new_inbound": 30},
    ),
}
