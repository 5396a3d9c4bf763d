"""Schema drift into front.schema_drift: one statement per batch that showed any, in the batch's transaction.

resources/drift.py finds the drift of a batch without the database; this counts it per resource and field path
(first/last seen, records, batches). Field paths only: no value ever reaches the table.
"""

from __future__ import annotations

from front_sync.resources import Resource
from front_sync.resources.drift import BatchDrift
from front_sync.warehouse.sql_files import load_sql


def record(cur, resource: Resource, drift: BatchDrift | None, run_id: str) -> int:
    """Count a batch's drift (nothing to do, and no statement, when it showed none); returns the paths noted."""
    rows = drift.rows() if drift is not None else []
    if not rows:
        return 0
    kinds, paths, examples, records = (list(column) for column in zip(*rows, strict=True))
    cur.execute(
        load_sql("drift/record"),
        {
            "resource": resource.name,
            "run_id": run_id,
            "kinds": kinds,
            "paths": paths,
            "examples": examples,
            "records": records,
        },
    )
    return len(rows)
