"""Issue 20 item 4: one helper per shape. The settings table (SyncConfig's fields carry their own checks) and
the max-cursor rule (transform.latest) have one definition each, tested here."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal

import pytest

from front_sync.config import ConfigError, SyncConfig
from front_sync.resources.transform import latest


@pytest.mark.parametrize("setting", [f.name for f in fields(SyncConfig)])
def test_item4_every_setting_is_checked_by_the_check_declared_with_its_field(setting):
    """A setting added to SyncConfig cannot go unchecked: its check is part of its declaration."""
    assert callable(next(f for f in fields(SyncConfig) if f.name == setting).metadata["check"])
    with pytest.raises(ConfigError, match=setting):
        SyncConfig.from_json(f'{{"{setting}": true}}')  # no setting takes a boolean


def test_item4_defaults_and_checked_values_come_from_the_same_table():
    assert SyncConfig.from_json(None) == SyncConfig()
    config = SyncConfig.from_json('{"max_results": {"contacts": 5}, "alert_emails": ["a@x.io"], "verify_days": 3}')
    assert (config.cap("contacts"), config.alert_emails, config.verify_days) == (5, ("a@x.io",), 3)


def test_item4_latest_keeps_the_largest_cursor_and_ignores_unknown_ones():
    assert latest(None, None) is None
    assert latest(None, Decimal("2")) == Decimal("2")
    assert latest(Decimal("3"), None, Decimal("2")) == Decimal("3")
    assert latest() is None
