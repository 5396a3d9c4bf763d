"""How task logs show what people read in them: Front timestamps as epoch plus ISO UTC, and long error messages
shortened and wrapped (Airflow's log viewer does not wrap; front.sync_logs.error keeps the full text)."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from decimal import Decimal

ERROR_LIMIT = 1000  # characters of an error message shown in a log line; the rest is cut from the middle
WRAP_WIDTH = 120  # characters per line of a wrapped message


def stamp(value: Decimal | None) -> str:
    """A Front epoch timestamp as `1764504000.000 (2025-11-30T12:00:00.000Z)`; None stays "none"."""
    if value is None:
        return "none"
    try:
        moment = datetime.fromtimestamp(float(value), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return f"{value:.3f}"
    return f"{value:.3f} ({moment.isoformat(timespec='milliseconds').replace('+00:00', 'Z')})"


def window(lower: Decimal | None, upper: Decimal | None) -> str:
    """A sync window [lower, upper) with both ends readable; a missing lower end is a complete listing."""
    return f"[{stamp(lower) if lower is not None else 'everything'}, {stamp(upper) if upper is not None else 'now'})"


def error(text: str, *, limit: int = ERROR_LIMIT, width: int = WRAP_WIDTH) -> str:
    """An error message fit for a log line: at most `limit` characters (head and tail kept, the middle cut and
    counted) and wrapped at `width` characters, continuation lines indented."""
    if len(text) > limit:
        keep = limit // 2
        cut = len(text) - 2 * keep
        text = f"{text[:keep]} [... {cut} characters cut; the full text is in front.sync_logs.error ...] {text[-keep:]}"
    lines = []
    for line in text.splitlines() or [""]:
        lines.extend(
            textwrap.wrap(line, width=width, break_long_words=True, break_on_hyphens=False, subsequent_indent="    ")
            or [""]
        )
    return "\n".join(lines)
