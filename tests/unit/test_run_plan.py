"""The run plan (issue 20 item 1): one row per kind of run and class of resource, every field of the plan asserted.

Resource classes: a listed resource Front filters by time (contacts), a small listed one listed in full (tags), the
conversations (change feed) and a per-conversation one (messages). What each row pins is what the operators did
before the plan existed (mode strings, uses_watermark/tracks_watermark, sync_type overrides, PRIORITY_OF_MODE).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from front_sync.config import SyncConfig
from front_sync.resources import get_resource
from front_sync.sync.run_plan import RunKind, RunRequest, WatermarkUse, keeps_watermark, run_plan
from front_sync.sync.window import epoch
from front_sync.warehouse.pending import Priority

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
MARK = epoch(T0) - 30  # the stored watermark, half a minute before the interval
CONFIG = SyncConfig()  # overlap_seconds 300, directory_refresh_minutes 360
SCHEDULED = RunRequest("scheduled", T0, T1, T1)
RERUN = RunRequest("backfill", T0, T1, T1)  # an Airflow backfill run of an hourly interval
MANUAL = RunRequest("manual", None, None, T1)
FORCED = replace(SCHEDULED, force_listing=True)

FROM_MARK = (MARK - 300, epoch(T1), False)
FROM_INTERVAL = (epoch(T0) - 300, epoch(T1), True)
EVERYTHING = (None, epoch(T1), False)

ADVANCE, NONE, INITIALISE = WatermarkUse.ADVANCE, WatermarkUse.NONE, WatermarkUse.INITIALISE
HOURLY, BACKFILL, ON_DEMAND, VERIFY = Priority.HOURLY, Priority.BACKFILL, Priority.ON_DEMAND, Priority.VERIFY

# (kind, resource, request, stored watermark) -> (window (lower, upper, rereads_interval), watermark read,
#  watermark use, complete listing, sync_type, priority, skip applied events, fresh listing minutes, only requested)
# fmt: off
ROWS = [  # a table: one row per line (the formatter would stack the long rows vertically)
    ("incremental", "contacts", SCHEDULED, MARK, FROM_MARK, MARK, ADVANCE, False, "incremental", HOURLY, False, 0, False),
    ("incremental", "contacts", SCHEDULED, None, EVERYTHING, None, ADVANCE, True, "full", HOURLY, False, 0, False),
    ("incremental", "contacts", RERUN, MARK, FROM_INTERVAL, MARK, ADVANCE, False, "backfill", HOURLY, False, 0, False),
    ("incremental", "tags", SCHEDULED, None, EVERYTHING, None, NONE, True, "full", HOURLY, False, 360, False),
    ("incremental", "tags", FORCED, None, EVERYTHING, None, NONE, True, "full", HOURLY, False, 0, False),
    ("incremental", "tags", RERUN, None, FROM_INTERVAL, None, NONE, True, "full", HOURLY, False, 360, False),
    ("full", "contacts", SCHEDULED, MARK, FROM_MARK, MARK, ADVANCE, True, "full", HOURLY, False, 0, False),
    ("full", "tags", SCHEDULED, None, EVERYTHING, None, NONE, True, "full", HOURLY, False, 0, False),
    ("incremental", "conversations", SCHEDULED, MARK, FROM_MARK, MARK, ADVANCE, False, "incremental", HOURLY, True, 0, False),
    ("incremental", "conversations", SCHEDULED, None, EVERYTHING, None, ADVANCE, True, "full", HOURLY, True, 0, False),
    ("incremental", "conversations", RERUN, MARK, FROM_INTERVAL, MARK, ADVANCE, False, "backfill", HOURLY, False, 0, False),
    ("full", "conversations", SCHEDULED, MARK, EVERYTHING, None, NONE, True, "full", HOURLY, False, 0, False),
    ("backfill", "conversations", MANUAL, MARK, EVERYTHING, None, INITIALISE, False, "backfill", BACKFILL, False, 0, False),
    ("incremental", "messages", SCHEDULED, None, EVERYTHING, None, NONE, False, "incremental", HOURLY, False, 0, False),
    ("incremental", "messages", RERUN, None, FROM_INTERVAL, None, NONE, False, "incremental", HOURLY, False, 0, False),
    ("full", "messages", SCHEDULED, None, EVERYTHING, None, NONE, False, "full", HOURLY, False, 0, False),
    ("backfill", "messages", MANUAL, None, EVERYTHING, None, NONE, False, "backfill", BACKFILL, False, 0, False),
    ("on_demand", "messages", MANUAL, None, EVERYTHING, None, NONE, False, "on_demand", ON_DEMAND, False, 0, True),
    ("verification", "messages", SCHEDULED, None, EVERYTHING, None, NONE, False, "full", VERIFY, False, 0, False),
]
# fmt: on


def row_id(row) -> str:
    kind, resource, request, stored = row[:4]
    extra = "forced" if request.force_listing else request.run_type
    return f"{kind}-{resource}-{extra}-{'mark' if stored is not None else 'unset'}"


@pytest.mark.parametrize("row", ROWS, ids=[row_id(r) for r in ROWS])
def test_each_kind_and_resource_class_has_one_plan(row):
    kind, name, request, stored, window, watermark, use, complete, sync_type, priority, skip, fresh, only = row
    plan = run_plan(RunKind(kind), get_resource(name), request, stored, CONFIG)
    assert (plan.window.lower, plan.window.upper, plan.window.rereads_interval) == window
    assert plan.kind is RunKind(kind)
    assert (plan.watermark, plan.watermark_use, plan.advances_watermark) == (watermark, use, use is ADVANCE)
    assert (plan.complete_listing, plan.sync_type, plan.priority) == (complete, sync_type, priority)
    assert (plan.skip_applied_events, plan.fresh_listing_minutes, plan.only_requested) == (skip, fresh, only)


def test_every_kind_and_resource_class_is_in_the_table():
    covered = {(kind, name) for kind, name, *_ in ROWS}
    valid = {
        (kind.value, name)
        for kind in RunKind
        for name in ("contacts", "tags", "conversations", "messages")
        if _plans(kind, name)
    }
    assert covered == valid


def _plans(kind: RunKind, name: str) -> bool:
    try:
        run_plan(kind, get_resource(name), SCHEDULED, None, CONFIG)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("on_demand", "contacts"),
        ("backfill", "tags"),
        ("verification", "conversations"),
        ("on_demand", "conversations"),
    ],
)
def test_a_kind_a_resource_cannot_run_as_is_refused_naming_its_runs(kind, name):
    with pytest.raises(ValueError, match=f"{name} cannot run as a {kind} run; its runs are: "):
        run_plan(RunKind(kind), get_resource(name), SCHEDULED, None, CONFIG)


def test_only_resources_with_a_cursor_keep_a_watermark():
    kept = {
        name
        for name in ("contacts", "tags", "conversations", "messages", "comments")
        if keeps_watermark(get_resource(name))
    }
    assert kept == {"contacts", "conversations"}


def test_no_directory_refresh_means_the_small_resources_are_always_listed():
    plan = run_plan(RunKind.INCREMENTAL, get_resource("tags"), SCHEDULED, None, SyncConfig(directory_refresh_minutes=0))
    assert plan.fresh_listing_minutes == 0


def test_kinds_are_strings_so_operator_arguments_stay_json():
    assert [k.value for k in RunKind] == ["incremental", "full", "backfill", "on_demand", "verification"]
    assert all(isinstance(k, str) and RunKind(str(k)) is k for k in RunKind)


def test_the_request_is_read_from_the_airflow_context():
    class Run:
        run_type, run_after = "manual", T1

    context = {
        "dag_run": Run(),
        "data_interval_start": T0,
        "data_interval_end": T1,
        "params": {"force_directory_refresh": True},
    }
    assert RunRequest.of(context) == RunRequest("manual", T0, T1, T1, force_listing=True)
    assert RunRequest.of({"dag_run": Run()}) == RunRequest("manual", None, None, T1)
