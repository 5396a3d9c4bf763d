"""Incremental cursors in Airflow Variables: read as exact Decimals, advanced only forward, only after commit; set
back only by an explicit re-sync from a point in time."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from front_sync.config import ConfigError, watermark_key
from front_sync.sync.logtext import stamp

log = logging.getLogger(__name__)


def parse(text: str | None, resource: str, tenant: str | None = None) -> Decimal | None:
    """The cursor in a watermark Variable's JSON ({"value": "<epoch seconds>", ...}); None when unset."""
    if text in (None, ""):
        return None
    try:
        data = json.loads(text)
        value = data["value"] if isinstance(data, dict) else data
        return None if value is None else Decimal(str(value))
    except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
        raise ConfigError(
            f'Variable {watermark_key(resource, tenant)} must be JSON like {{"value": "1700000000.123"}}; got {text!r}'
        ) from exc


def render(value: Decimal, run_id: str, advanced_at: str) -> str:
    """The Variable's JSON for a cursor value."""
    return json.dumps({"value": f"{value:.3f}", "run_id": run_id, "advanced_at": advanced_at})


def read(variables, resource: str, tenant: str | None = None) -> Decimal | None:
    """Current cursor of a resource (of a tenant), from an object with Airflow's Variable.get signature."""
    return parse(variables.get(watermark_key(resource, tenant), default=None), resource, tenant)


def advance(
    variables,
    resource: str,
    candidate: Decimal | None,
    run_id: str,
    advanced_at: str,
    *,
    read_from: Decimal | None = None,
    on_change: Callable[[Decimal | None, Decimal], None] | None = None,
    tenant: str | None = None,
) -> Decimal | None:
    """Move the cursor to `candidate` if it is larger than the stored one; returns the cursor now stored.

    `read_from` is where the caller's reading started (None for a complete listing): the cursor moves only when
    that is at or before the stored cursor, so a run over a later interval (an Airflow backfill of 09:00-10:00
    while the cursor is at 00:00) never jumps it over time nobody read. The stored value is re-read just before
    writing, so a slower run never moves it backwards. `on_change(before, after)` records a change. `tenant`
    names a Front company of a multi-tenant deployment (its own Variables); None is the single default.
    """
    key = watermark_key(resource, tenant)
    current = read(variables, resource, tenant)
    if candidate is None or (current is not None and candidate <= current):
        return current
    if read_from is not None and (current is None or read_from > current):
        log.info(
            "Watermark %s stays at %s: this run read from %s only, moving it to %s would skip the time between",
            key,
            stamp(current),
            stamp(read_from),
            stamp(candidate),
        )
        return current
    variables.set(key, render(candidate, run_id, advanced_at))
    log.info("Watermark %s advanced from %s to %s", key, stamp(current), stamp(candidate))
    if on_change is not None:
        on_change(current, candidate)
    return candidate


def initialise(
    variables,
    resource: str,
    value: Decimal,
    run_id: str,
    advanced_at: str,
    *,
    on_change: Callable[[Decimal | None, Decimal], None] | None = None,
    tenant: str | None = None,
) -> bool:
    """Set the cursor only when there is none yet (a first load marks where the change feed must take over)."""
    if read(variables, resource, tenant) is not None:
        return False
    variables.set(watermark_key(resource, tenant), render(value, run_id, advanced_at))
    log.info("Watermark %s initialised to %s", watermark_key(resource, tenant), stamp(value))
    if on_change is not None:
        on_change(None, value)
    return True


def set_back(
    variables,
    resource: str,
    value: Decimal,
    run_id: str,
    advanced_at: str,
    *,
    on_change: Callable[[Decimal | None, Decimal], None] | None = None,
    tenant: str | None = None,
) -> Decimal | None:
    """Move the cursor back to `value` (a re-sync from a point in time; never forward); returns the one before."""
    key = watermark_key(resource, tenant)
    current = read(variables, resource, tenant)
    if current is not None and current <= value:
        log.info("Watermark %s stays at %s: already at or before %s", key, stamp(current), stamp(value))
        return current
    variables.set(key, render(value, run_id, advanced_at))
    log.warning("Watermark %s set back from %s to %s", key, stamp(current), stamp(value))
    if on_change is not None:
        on_change(current, value)
    return current
