"""load_batches: the pipelined loader (transform of the next batch while the current one is written)."""

from __future__ import annotations

import sys

import pytest

from front_sync.resources import CONTACTS
from front_sync.warehouse import checkpoints, write
from front_sync.warehouse.load import LoadHistory, load_batch, load_batches

from . import records as r
from .records import fetch

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server


def batch(start: int, size: int = 3, version: str = "100") -> list[dict]:
    return [r.contact(f"crd_{i}", version, handles=(("email", f"c{i}@x.io"),)) for i in range(start, start + size)]


def test_pipelined_batches_give_the_same_results_as_one_by_one(migrated):
    results = list(
        load_batches(migrated, CONTACTS, [(batch(0), None), (batch(3), None), (batch(0, 6, "200"), None)], "run")
    )
    assert [{k: v for k, v in x.counts.items() if v} for x in results] == [
        {"created": 3},
        {"created": 3},
        {"updated": 6},
    ]
    assert [str(x.max_cursor) for x in results] == ["100.000", "100.000", "200.000"]
    again = load_batch(migrated, CONTACTS, batch(0, 6, "200"), "run2")
    assert again.counts["unchanged"] == 6
    assert fetch(migrated, "SELECT count(*) FROM front.contact_handles") == [(6,)]


def test_each_batch_saves_its_checkpoint_with_its_commit(migrated):
    key = checkpoints.CheckpointKey("front_sync_backfill", "contacts", "all")
    seen = []
    for result in load_batches(
        migrated,
        CONTACTS,
        [(batch(0), {"page": 1}), (batch(3), None), (batch(6), {"page": 3})],
        "run",
        checkpoint_key=key,
    ):
        seen.append(checkpoints.load(migrated, key))
        assert result.counts["created"] == 3
    assert seen == [{"page": 1}, {"page": 1}, {"page": 3}]


def test_a_failure_while_reading_batches_reaches_the_caller_after_earlier_batches_committed(migrated):
    def source():
        yield batch(0), None
        raise ConnectionError("Front went away")

    results = []
    with pytest.raises(ConnectionError, match="Front went away"):
        for result in load_batches(migrated, CONTACTS, source(), "run"):
            results.append(result)
    assert len(results) == 1
    assert fetch(migrated, "SELECT count(*) FROM front.contacts") == [(3,)]
    assert sys.getswitchinterval() == pytest.approx(0.005)


def test_stopping_early_stops_reading(migrated):
    pulled = []

    def source():
        for n in range(100):
            pulled.append(n)
            yield batch(n * 3), None

    for _ in load_batches(migrated, CONTACTS, source(), "run", read_ahead=1):
        break
    assert len(pulled) <= 4


def test_the_loader_refuses_an_autocommit_connection(migrated):
    migrated.autocommit = True
    with pytest.raises(ValueError, match="autocommit off"):
        load_batch(migrated, CONTACTS, batch(0), "run")


@pytest.fixture
def classify_calls(monkeypatch):
    """How many times the loader went through the conflict rules (rather than the all-new fast path)."""
    calls = []
    original = write.write_classified
    monkeypatch.setattr(write, "write_classified", lambda *a: calls.append(1) or original(*a))
    return calls


def test_new_rows_after_a_batch_of_new_rows_are_copied_without_classifying(migrated, classify_calls):
    history = LoadHistory()
    assert load_batch(migrated, CONTACTS, batch(0), "run", history=history).counts["created"] == 3
    assert load_batch(migrated, CONTACTS, batch(3), "run", history=history).counts["created"] == 3
    assert len(classify_calls) == 1
    mixed = [*batch(6), r.contact("crd_0", "200", name="Changed", handles=(("email", "new@x.io"),))]
    result = load_batch(migrated, CONTACTS, mixed, "run", history=history)
    assert {k: v for k, v in result.counts.items() if v} == {"created": 3, "updated": 1}
    assert len(classify_calls) == 2
    assert fetch(migrated, "SELECT handle FROM front.contact_handles WHERE contact_id = 'crd_0'") == [("new@x.io",)]
    assert fetch(migrated, "SELECT count(*) FROM front.contact_handles") == [(9,)]


def test_item3_no_batch_steers_another_callers_batch_nothing_is_remembered_process_wide(migrated, classify_calls):
    """Issue 20 item 3: the all-new fast path follows the caller's own LoadHistory, never a module-level memory."""
    assert load_batch(migrated, CONTACTS, batch(0), "run").counts["created"] == 3
    assert load_batch(migrated, CONTACTS, batch(3), "run").counts["created"] == 3
    assert len(classify_calls) == 2


def test_item3_the_pipelined_loader_leaves_the_interpreters_switch_interval_alone(migrated):
    """Issue 20 item 3: library code changes no process-wide state (it used to lower sys.setswitchinterval)."""
    seen = [
        sys.getswitchinterval() for _ in load_batches(migrated, CONTACTS, [(batch(0), None), (batch(3), None)], "run")
    ]
    assert seen == [pytest.approx(0.005)] * 2


def test_nested_rows_left_by_a_row_deleted_by_hand_are_replaced(migrated, classify_calls):
    history = LoadHistory()
    load_batch(migrated, CONTACTS, batch(0), "run", history=history)
    with migrated.cursor() as cur:  # no foreign key: the handles of a hand-deleted contact stay behind
        cur.execute("DELETE FROM front.contacts WHERE id = 'crd_1'")
    migrated.commit()
    result = load_batch(
        migrated,
        CONTACTS,
        [r.contact("crd_1", handles=(("email", "c1@x.io"), ("phone", "+1")))],
        "run",
        history=history,
    )
    assert result.counts["created"] == 1 and len(classify_calls) == 2
    assert fetch(
        migrated, "SELECT source, handle FROM front.contact_handles WHERE contact_id = 'crd_1' ORDER BY 1"
    ) == [("email", "c1@x.io"), ("phone", "+1")]
