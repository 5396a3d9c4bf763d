"""Window math, the config Variable and watermark rules, without Airflow or a database."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from front_sync.config import ConfigError, SyncConfig
from front_sync.sync import watermarks
from front_sync.sync.window import epoch, sync_window

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 25, 11, 7, 30, 250000, tzinfo=UTC)


def test_first_run_is_a_full_listing_up_to_the_trigger_time():
    w = sync_window("manual", None, None, NOW, None, 300)
    assert (w.lower, w.upper, w.rereads_interval) == (None, epoch(NOW), False)
    assert w.upper == Decimal("1795604850.250")


def test_scheduled_run_reads_from_watermark_minus_overlap_to_interval_end():
    w = sync_window("scheduled", T0, T1, NOW, Decimal("1764060000.500"), 300)
    assert (w.lower, w.upper, w.rereads_interval) == (Decimal("1764059700.500"), epoch(T1), False)


def test_backfill_run_reads_its_own_interval():
    w = sync_window("backfill", T0, T1, NOW, Decimal("1764068000"), 60)
    assert (w.lower, w.upper, w.rereads_interval) == (epoch(T0) - 60, epoch(T1), True)


class FakeVariables:
    """Airflow's Variable.get/set signature over a dict."""

    def __init__(self):
        self.store = {}

    def get(self, key, default=None):
        return self.store.get(key, default)

    def set(self, key, value):
        self.store[key] = value


def test_watermark_only_moves_forward():
    v = FakeVariables()
    assert watermarks.advance(v, "contacts", Decimal("10.5"), "r1", "t") == Decimal("10.5")
    assert watermarks.advance(v, "contacts", Decimal("9"), "r2", "t") == Decimal("10.5")
    assert watermarks.advance(v, "contacts", None, "r3", "t") == Decimal("10.5")
    assert watermarks.read(v, "contacts") == Decimal("10.500")
    assert '"value": "10.500"' in v.store["front_sync.watermark.contacts"]


def test_bad_watermark_names_the_variable():
    v = FakeVariables()
    v.set("front_sync.watermark.contacts", "yesterday")
    with pytest.raises(ConfigError, match="front_sync.watermark.contacts"):
        watermarks.read(v, "contacts")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"overlap": 5}', "unknown setting"),
        ('{"overlap_seconds": "5"}', "overlap_seconds"),
        ("[1]", "JSON object"),
        ("{", "not valid JSON"),
        ('{"batch_pages": 0}', "batch_pages"),
    ],
    ids=["unknown-key", "wrong-type", "not-object", "not-json", "zero-batch"],
)
def test_bad_config_fails_fast_naming_the_setting(text, message):
    with pytest.raises(ConfigError, match=message):
        SyncConfig.from_json(text)


def test_config_defaults_and_overrides():
    assert SyncConfig.from_json(None).overlap_seconds == 300
    assert SyncConfig.from_json('{"overlap_seconds": 60}').overlap_seconds == 60


def test_item8_resync_point_reads_iso_times_and_epoch_seconds_and_refuses_the_rest():
    """Issue 19 item 8: the incremental DAG's resync_from param, parsed before anything changes."""
    from front_sync.config import ConfigError
    from front_sync.sync.resync import parse_point

    assert parse_point("2025-12-01T00:00:00Z") == Decimal("1764547200.000")
    assert parse_point("2025-12-01T01:00:00+01:00") == Decimal("1764547200.000")
    assert parse_point("1764547200.5") == Decimal("1764547200.500")
    for bad in ("yesterday", "2026-12-01T00:00:00", ""):
        with pytest.raises(ConfigError, match="resync_from"):
            parse_point(bad)


def test_item8_a_watermark_is_set_back_only_backwards():
    from front_sync.sync import watermarks

    store = {}

    class Variables:
        def get(self, key, default=None):
            return store.get(key, default)

        def set(self, key, value):
            store[key] = value

    changes = []
    watermarks.set_back(Variables(), "conversations", Decimal("100"), "r", "x", on_change=lambda *c: changes.append(c))
    assert watermarks.read(Variables(), "conversations") == Decimal("100") and changes == [(None, Decimal("100"))]
    assert watermarks.set_back(Variables(), "conversations", Decimal("200"), "r", "x") == Decimal("100")
    assert watermarks.read(Variables(), "conversations") == Decimal("100")
    assert watermarks.set_back(Variables(), "conversations", Decimal("50"), "r", "x") == Decimal("100")
    assert watermarks.read(Variables(), "conversations") == Decimal("50")
