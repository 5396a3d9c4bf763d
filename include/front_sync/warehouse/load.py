"""Load batches of Front records: transform, classify with the conflict rules, COPY what changed, one commit each.

Every record of a batch ends in exactly one of OUTCOMES. The transform side (prepare.py) turns records into rows
without the database; the database side (write.py) classifies them with the four conflict rules and writes them
in a few set-based statements (COPY in binary format, one UPDATE, one INSERT of conflicts, nested rows replaced).
This module runs one batch per transaction, pipelines batches (load_batches) and keeps every record accounted for.

A record one of whose values cannot be typed still loads: that column is null, raw keeps the value, and the
row's untyped_fields lists the field (transform.typed_leniently); "untyped" counts such rows written. Records
that cannot be keyed (no usable id, not an object) are dead-lettered before anything is sent. What only the
database can reject (a constraint, an index limit) is isolated by bisection down to the single bad record
(write.apply), which is dead-lettered with the rest of the batch loaded.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from front_sync.resources import Resource, transform
from front_sync.warehouse import checkpoints, contacts_provisional, dead_letters, drift, write
from front_sync.warehouse.prepare import UNKNOWN_VIEW, PreparedBatch, View, keep_one, prepare, prepare_batch
from front_sync.warehouse.transaction import transaction
from front_sync.warehouse.write import LoadHistory

log = logging.getLogger(__name__)

OUTCOMES = ("created", "updated", "unchanged", "stale", "conflicts", "dead_lettered")


@dataclass
class BatchResult:
    """What happened to each record of a batch, and the largest cursor among the records loaded.

    Besides OUTCOMES, counts may hold "untyped" (rows written with untyped fields) and "provisional_merged".
    """

    counts: Counter = field(default_factory=Counter)
    max_cursor: Decimal | None = None

    def add(self, other: BatchResult) -> None:
        """Fold another batch's counts and cursor into this one."""
        self.counts.update(other.counts)
        self.max_cursor = transform.latest(self.max_cursor, other.max_cursor)


def load_batch(
    conn,
    resource: Resource,
    records: list[Any],
    run_id: str,
    *,
    view: View = UNKNOWN_VIEW,
    checkpoint: tuple[checkpoints.CheckpointKey, Any] | None = None,
    parent_id: str | None = None,
    history: LoadHistory | None = None,
    commit: bool = True,
) -> BatchResult:
    """Load a batch in one transaction and return its outcome counts; bad records go to dead_letters.

    `view` says when the records were seen in Front (the version rule: an older view than a row's is stale).
    With `checkpoint` = (key, cursor), the cursor is saved in the same transaction, so it is committed exactly
    when the batch is. `parent_id`: the id the records were listed under (Resource.parent_column). A caller that
    loads a stream of batches passes one `history` for all (a batch after an all-new one is first tried as a plain
    COPY). `commit=False` leaves the transaction open for the caller to commit with more writes (the real-time DAG
    commits several resources and the webhooks they apply at once). Anything but a record's data error rolls the
    whole transaction back and raises.
    """
    return write_batch(
        conn,
        resource,
        prepare_batch(resource, records, run_id, view, parent_id),
        run_id,
        checkpoint=checkpoint,
        history=history,
        commit=commit,
    )


def load_batches(
    conn,
    resource: Resource,
    batches: Iterable[tuple[list[Any], Any]],
    run_id: str,
    *,
    checkpoint_key: checkpoints.CheckpointKey | None = None,
    read_ahead: int = 2,
    view: View = UNKNOWN_VIEW,
) -> Iterator[BatchResult]:
    """Load (records, cursor) batches one transaction each, yielding each batch's result after its commit.

    A worker thread pulls the next batches from `batches` (e.g. pages from Front) and transforms them, up to
    `read_ahead` batches ahead, while the current one is written: the database, the transform and the API
    overlap. With `checkpoint_key`, each batch's cursor (when not None) is saved in that batch's transaction.
    `view` applies to every batch (a listing: its request start). A batch after an all-new one is first tried as
    a plain COPY (LoadHistory, one per call).
    """
    ready: queue.Queue = queue.Queue(maxsize=read_ahead)
    stop = threading.Event()

    def produce() -> None:
        """Worker thread: read and transform batches, hand them over in order, then a None end marker."""
        try:
            for records, cursor in batches:
                item = (prepare_batch(resource, records, run_id, view), cursor)
                while not stop.is_set():
                    try:
                        ready.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        except BaseException as exc:  # handed to the consumer, which re-raises it in the task's thread
            ready.put((_Failed(exc), None))
            return
        ready.put((None, None))

    producer = threading.Thread(target=produce, name=f"prepare_{resource.name}", daemon=True)
    history = LoadHistory()
    producer.start()
    try:
        while True:
            batch, cursor = ready.get()
            if batch is None:
                return
            if isinstance(batch, _Failed):
                raise batch.error
            save = (checkpoint_key, cursor) if checkpoint_key is not None and cursor is not None else None
            yield write_batch(conn, resource, batch, run_id, checkpoint=save, history=history)
    finally:
        stop.set()
        producer.join()


@dataclass
class _Failed:
    """An exception raised while reading or transforming batches, carried to the consuming thread."""

    error: BaseException


def write_batch(
    conn,
    resource: Resource,
    batch: PreparedBatch,
    run_id: str,
    *,
    checkpoint: tuple[checkpoints.CheckpointKey, Any] | None = None,
    history: LoadHistory | None = None,
    commit: bool = True,
) -> BatchResult:
    """The database half of load_batch: ids for id-less contacts, conflict rules, dead letters, one commit.

    The transaction is marked as the sync's own (load/sync_writer.sql), so the local-edit triggers leave it alone.
    """
    if conn.autocommit:
        raise ValueError("the loader needs a connection with autocommit off: each batch is one transaction")
    with transaction(conn, sync_writer=True, commit=commit) as cur:
        dead, counts = list(batch.dead), Counter(batch.counts)
        prepared = dict(batch.prepared)
        if batch.id_less:
            assigned = contacts_provisional.assign_ids(cur, batch.id_less, batch.records)
            extra, extra_dead, extra_counts = prepare(
                resource, batch.id_less, run_id, assigned, View(batch.view.at, None, batch.view.partial)
            )
            for item in extra.values():
                keep_one(prepared, counts, item)
            dead.extend(extra_dead)
            counts.update(extra_counts)
        items = list(prepared.values())
        rejected = write.apply(cur, resource, items, counts, history)
        dead.extend((item.record, error) for item, error in rejected)
        dead_letters.write(cur, resource.name, dead, run_id, batch.view.at)
        counts["dead_lettered"] += len(dead)
        counts["drift_fields"] += drift.record(cur, resource, batch.drift, run_id)
        if checkpoint is not None:
            checkpoints.write(cur, checkpoint[0], checkpoint[1], run_id)
    rejected_ids = {item.id for item, _ in rejected}
    cursors = [item.cursor for item in items if item.cursor is not None and item.id not in rejected_ids]
    if dead:
        log.warning("%s: %d record(s) dead-lettered in this batch (see front.dead_letters)", resource.name, len(dead))
    return BatchResult(counts=counts, max_cursor=transform.latest(*cursors))
