"""Retention (data privacy): message bodies and attachment metadata older than retention_days are purged.

What goes: messages.body, text and blurb, the raw JSON's body/text/blurb, and attachment metadata (file name,
URL, type, size, content id; in message_attachments and in raw, where each attachment keeps only its id).
What stays: the message row, its ids, subject, recipients, timestamps and row_hash. Keeping row_hash is what
keeps a purged row purged: when Front sends the same message again, the loader finds the same content hash
and counts it unchanged without writing it (classify.sql rule 3). The purge runs on a warehouse connection
(front_sync.writer = on), so the local-edit triggers do not stamp local_updated_at and the next sync sees no
local edit (no conflict). Each chunk is its own transaction; the counts go to a sync_logs row (sync_type
'retention', resource 'messages', metadata: messages_purged, attachments_purged, retention_days, cutoff,
capped: the run stopped at MAX_CHUNKS and the next monitor run goes on).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from front_sync.ops import audit
from front_sync.warehouse.sql_files import load_sql
from front_sync.warehouse.transaction import transaction

log = logging.getLogger(__name__)
CHUNK = 5000
# A run purges at most this many chunks, so it never holds up the monitor DAG for long; a capped purge goes on
# in the next monitor run.
MAX_CHUNKS = 20
# The purge scans messages by created_at: at most once per this interval (unless the last one was capped).
EVERY = timedelta(hours=23)


@dataclass(frozen=True)
class PurgeResult:
    """What one purge did (skipped: retention off, or the last purge is recent)."""

    messages: int = 0
    attachments: int = 0
    skipped: str | None = None


def due(conn, now: datetime) -> bool:
    """Whether a purge is due: none yet, the last one was capped, or it is older than EVERY."""
    with conn.cursor() as cur:
        cur.execute(load_sql("ops/last_retention"))
        last = cur.fetchone()
    conn.rollback()
    return last is None or last[1] or now - last[0] >= EVERY


def purge(
    conn, who: audit.RunIdentity, retention_days: int | None, now: datetime, *, force: bool = False
) -> PurgeResult:
    """Purge what is older than retention_days before `now`, chunk by chunk, with its sync_logs row."""
    if retention_days is None:
        log.info("Retention purge skipped: retention_days is not set in front_sync.config (keep forever)")
        return PurgeResult(skipped="retention off")
    if not force and not due(conn, now):
        log.info("Retention purge skipped: the last one finished less than %s ago", EVERY)
        return PurgeResult(skipped="recent")
    cutoff = now - timedelta(days=retention_days)
    cutoff_epoch = Decimal(str(round(cutoff.timestamp(), 3)))
    with audit.audited(conn, who, "messages", "retention", None, cutoff_epoch) as row:
        purged = row.metadata
        purged.update(
            retention_days=retention_days,
            cutoff=cutoff.isoformat(),
            capped=False,
            messages_purged=0,
            attachments_purged=0,
        )
        for chunk in range(MAX_CHUNKS):
            with transaction(conn) as cur:
                cur.execute(load_sql("ops/purge_messages"), {"cutoff": cutoff_epoch, "limit": CHUNK})
                ids = [found[0] for found in cur.fetchall()]
                if ids:
                    cur.execute(load_sql("ops/purge_attachments"), {"ids": ids})
                    purged["attachments_purged"] += cur.rowcount
            purged["messages_purged"] += len(ids)
            if len(ids) < CHUNK:
                break
            purged["capped"] = chunk == MAX_CHUNKS - 1
    messages, attachments = purged["messages_purged"], purged["attachments_purged"]
    log.info(
        "Retention: purged the bodies of %d message(s) and %d attachment(s) older than %s",
        messages,
        attachments,
        cutoff.isoformat(),
    )
    return PurgeResult(messages, attachments)
