"""Re-sync conversations from a point in time (issue 19 item 8): the incremental DAG's `resync_from` param.

Setting the conversations watermark back alone does nothing for events the warehouse remembers as applied
(front.applied_events: they are skipped) and leaves sub-resources as the old event payloads had them. So a re-sync
(1) sets the watermark back to the point, (2) forgets the events applied since the point minus the overlap, so
the run reads and applies them again through the loader (whose version rule keeps newer stored views), and (3)
queues a fetch of the messages and comments of every stored conversation updated since the point, so the
sub-resources end as Front has them now. The same run then goes on as usual from the point.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from front_sync.config import ConfigError
from front_sync.resources import CONVERSATIONS, synced
from front_sync.resources.model import PER_CONVERSATION
from front_sync.sync import watermarks
from front_sync.sync.logtext import stamp
from front_sync.sync.window import epoch
from front_sync.warehouse import pending
from front_sync.warehouse.sql_files import load_sql

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResyncResult:
    """What a re-sync prepared: the watermark before, events forgotten, conversations queued per sub."""

    watermark_before: Decimal | None
    point: Decimal
    events_forgotten: int
    queued: dict[str, int]


def parse_point(value: str | float | int) -> Decimal:
    """The point in time as Front epoch seconds: an ISO-8601 time with a zone, or epoch seconds."""
    text = str(value).strip()
    try:
        return Decimal(text).quantize(Decimal("0.001"))
    except InvalidOperation:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ConfigError(
            f"resync_from must be an ISO-8601 time with a zone (2026-12-01T00:00:00Z) or epoch "
            f"seconds (1764547200); got {text!r}"
        )
    return epoch(moment)


def resync_from(
    conn,
    variables,
    point: Decimal,
    run_id: str,
    *,
    overlap_seconds: int,
    on_change: Callable[[Decimal | None, Decimal], None] | None = None,
    tenant: str | None = None,
) -> ResyncResult:
    """Prepare the re-sync of conversations from `point` (see the module docstring); committed."""
    since = max(point - overlap_seconds, Decimal(0))
    before = watermarks.set_back(
        variables, CONVERSATIONS.name, point, run_id, f"{point:.3f}", on_change=on_change, tenant=tenant
    )
    with conn.cursor() as cur:
        cur.execute(load_sql("resync/forget_applied"), {"since": since})
        forgotten = cur.rowcount
        cur.execute(load_sql("resync/changed_since"), {"since": point})
        ids = [row[0] for row in cur.fetchall()]
        queued = {
            sub.name: pending.enqueue(cur, sub.name, ids, run_id, pending.Priority.HOURLY)
            for sub in synced(PER_CONVERSATION)
        }
    conn.commit()
    log.warning(
        "Re-sync of conversations from %s: watermark set back from %s, %d applied event(s) forgotten (they "
        "are applied again), sub-resources of %d conversation(s) queued for a fetch",
        stamp(point),
        stamp(before),
        forgotten,
        len(ids),
    )
    return ResyncResult(before, point, forgotten, queued)
