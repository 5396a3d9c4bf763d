"""The time window a sync run asks Front for, from the run's type, interval and the stored watermark."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

_MS = Decimal("0.001")


def epoch(moment: datetime) -> Decimal:
    """A timezone-aware datetime as Front epoch seconds with 3 decimals."""
    return Decimal(str(moment.timestamp())).quantize(_MS)


@dataclass(frozen=True)
class Window:
    """[lower, upper) in Front epoch seconds; lower None means a full listing. `rereads_interval`: an Airflow
    backfill run reading its own data interval again (not from the watermark)."""

    lower: Decimal | None
    upper: Decimal | None
    rereads_interval: bool = False


def sync_window(
    run_type: str,
    interval_start: datetime | None,
    interval_end: datetime | None,
    run_after: datetime | None,
    watermark: Decimal | None,
    overlap_seconds: int,
) -> Window:
    """Decide the window; never the wall clock, so a run is reproducible.

    Scheduled runs stop at their data interval's end; manual runs at the moment they were triggered (run_after);
    backfill runs re-read their own interval (minus the overlap) and leave the watermark as it is unless they pass it.
    Otherwise the window starts at the watermark minus the overlap, or is a full listing when there is none yet.
    """
    overlap = Decimal(overlap_seconds)
    run_type = str(getattr(run_type, "value", run_type))
    if run_type in ("scheduled", "backfill") and interval_end is not None:
        upper = epoch(interval_end)
    elif run_after is not None:
        upper = epoch(run_after)
    else:
        upper = None
    if run_type == "backfill" and interval_start is not None:
        return Window(max(epoch(interval_start) - overlap, Decimal(0)), upper, rereads_interval=True)
    if watermark is None:
        return Window(None, upper)
    return Window(max(watermark - overlap, Decimal(0)), upper)
