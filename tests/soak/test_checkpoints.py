"""The soak's checkpoint comparison can fail (issue 19 "Prove it"): a message moved back into a conversation merged
away before the cutoff is older than Front, one merged after the cutoff is not judged, a comment soft-deleted and
live again is a resurrection, and a deleted comment's drift is timed until it converges. Pure Python, no services:
the classification the soak applies at every checkpoint, on hand-made truth and warehouse rows."""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace

from front_sync_testing.soak.checkpoints import COUNTS, Checkpoints
from front_sync_testing.soak.expected import Truth

BASE = "http://front/"


def _message(conversation: str) -> dict:
    return {
        "id": "msg_1",
        "created_at": 10.0,
        "recipients": [],
        "_links": {"related": {"conversation": f"{BASE}conversations/{conversation}"}},
    }


DELETED = {"com_1": {"conversation": "cnv_s", "at": 50.0}}  # deleted in Front at 50 (no event)


def _checkpoints() -> Checkpoints:
    soak = SimpleNamespace(
        sim_url="http://127.0.0.1:9",
        soak_started_wall=0.0,
        note=lambda *a, **k: None,
        mutator=SimpleNamespace(deleted_comments=DELETED, started_since=lambda since, kinds: []),
    )
    return Checkpoints(soak)


def _truth(**records) -> Truth:
    base = {"conversations": {}, "messages": {}, "comments": {}, "contacts": {}, "tags": {}, "events": {}}
    return Truth({**base, **records}, {}, {"cnv_x": "cnv_s"}, set())


def _compare(
    cp: Checkpoints,
    table: str,
    truth: Truth,
    rows: dict,
    cutoff: float,
    label: str = "c1",
    taken: float = 200.0,
    context: dict | None = None,
) -> dict:
    result = {"checkpoint": label, **dict.fromkeys(COUNTS, 0), "by_table": {}, "examples": [], "resurrections": []}
    cp.compare_table(
        table,
        truth.records[table],
        rows,
        truth,
        cutoff,
        set(),
        context or {"deleted_comments": DELETED},
        defaultdict(list),
        result,
        taken,
    )
    return result


def test_checkpoint_flags_a_message_moved_back_into_a_merged_away_conversation_item_1():
    truth = _truth(conversations={"cnv_s": {"id": "cnv_s", "updated_at": 100.0}}, messages={"msg_1": _message("cnv_s")})
    stale = {"msg_1": (_message("cnv_x"), False)}
    result = _compare(_checkpoints(), "messages", truth, stale, cutoff=150.0)
    assert result["mismatches"] == 1 and result["examples"][0]["why"] == "older than Front"
    # merged after the cutoff: Front's version at the cutoff is not known, the row is not judged
    assert _compare(_checkpoints(), "messages", truth, stale, cutoff=90.0)["mismatches"] == 0


def test_checkpoint_reports_a_resurrected_comment_never_as_drift():
    cp = _checkpoints()
    truth = _truth()  # the comment is gone from Front
    row = {"id": "com_1", "posted_at": 10.0}
    first = _compare(cp, "comments", truth, {"com_1": (row, True)}, cutoff=100.0, label="c1")
    assert not first["resurrections"]
    second = _compare(cp, "comments", truth, {"com_1": (row, False)}, cutoff=160.0, label="c2")
    assert second["resurrections"] == [
        {"table": "comments", "id": "com_1", "soft_deleted_at_checkpoint": "c1", "live_again_at_checkpoint": "c2"}
    ]
    assert cp.report()["resurrections"]


def test_checkpoint_times_a_deleted_comment_until_it_converges():
    cp = _checkpoints()
    truth = _truth()
    row = {"id": "com_1", "posted_at": 10.0}
    drifting = _compare(cp, "comments", truth, {"com_1": (row, False)}, cutoff=100.0, taken=120.0)
    assert drifting["drift"] == 1 and drifting["mismatches"] == 0
    # deleted after the cutoff: not judged yet
    assert _compare(_checkpoints(), "comments", truth, {"com_1": (row, False)}, cutoff=40.0)["drift"] == 0
    assert cp.report()["convergence"]["not_converged"] == 1
    _compare(cp, "comments", truth, {"com_1": (row, True)}, cutoff=200.0, label="c2", taken=230.0)
    convergence = cp.report()["convergence"]
    assert convergence["not_converged"] == 0 and convergence["max_seconds"] == 180.0
