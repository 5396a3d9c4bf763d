"""The schema-drift report of the full DAG: drift not reported yet (front.schema_drift), sent once on Slack (and
email when configured) with the resource, the field path and an example path; never a value."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from front_sync.config import SyncConfig, tenant_label
from front_sync.ops import delivery
from front_sync.warehouse.sql_files import load_sql
from front_sync.warehouse.transaction import transaction

log = logging.getLogger(__name__)
RUNBOOK_ANCHOR = "alert-schema-drift"
MAX_LINES = 40  # fields listed in one message; the rest are counted (the table has them all)


@dataclass(frozen=True)
class Drift:
    """One row of front.schema_drift that is not reported yet."""

    resource: str
    kind: str
    field_path: str
    example_path: str
    records: int
    batches: int
    first_seen_at: datetime


def _line(d: Drift) -> str:
    if d.kind == "unmapped":
        return (
            f"• {d.resource}: new field `{d.field_path}` (e.g. `{d.example_path}`), in {d.records} record(s): "
            "Front sends it, no column reads it (raw keeps it)"
        )
    return (
        f"• {d.resource}: field `{d.field_path}` no longer sent: absent from every record of {d.batches} "
        f"batch(es) ({d.records} records); its column is null for them"
    )


def message(found: list[Drift], config: SyncConfig, tenant: str | None = None) -> str:
    """The Slack text: one line per drifted field, then the runbook link."""
    lines = [_line(d) for d in found[:MAX_LINES]]
    if len(found) > MAX_LINES:
        lines.append(f"• ... and {len(found) - MAX_LINES} more (front.schema_drift, reported_at is null)")
    return "\n".join(
        [
            f":triangular_ruler: front-sync ({tenant_label(tenant)}): Front's API changed shape "
            f"({len(found)} field(s) new since the last report)",
            *lines,
            f"What to do: {config.runbook_url}#{RUNBOOK_ANCHOR}",
        ]
    )


def report(conn, config: SyncConfig, tenant: str | None = None) -> list[Drift]:
    """Send the drift not reported yet and mark it reported (in one transaction: a failed delivery leaves it
    unreported for the next run). Returns what was sent; nothing is marked when no channel is configured."""
    with transaction(conn) as cur:
        cur.execute(load_sql("drift/unreported"))
        found = [Drift(*row) for row in cur.fetchall()]
        if not found:
            log.info("Schema drift: nothing new")
            return []
        used = delivery.deliver(
            f"front-sync ({tenant_label(tenant)}): schema drift", message(found, config, tenant), config
        )
        if not used:
            log.warning(
                "Schema drift: %d new field(s), but no alert channel is configured; they stay "
                "unreported (front.schema_drift)",
                len(found),
            )
            return []
        cur.execute(
            load_sql("drift/reported"),
            {
                "resources": [d.resource for d in found],
                "kinds": [d.kind for d in found],
                "paths": [d.field_path for d in found],
            },
        )
    log.info("Schema drift: reported %d field(s) on %s", len(found), ", ".join(used))
    return found
