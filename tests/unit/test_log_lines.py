"""What task logs say: readable timestamps beside epoch values, page counts that match the pages, short errors."""

from __future__ import annotations

import logging
from decimal import Decimal
from types import SimpleNamespace

from front_sync.resources import get_resource
from front_sync.sync import logtext, sub_resources, watermarks
from front_sync.sync.progress import Progress


def test_stamp_shows_the_epoch_value_and_iso_utc():
    assert logtext.stamp(Decimal("1764504000.123")) == "1764504000.123 (2025-11-30T12:00:00.123Z)"
    assert logtext.stamp(None) == "none"
    assert logtext.window(None, Decimal("0")) == "[everything, 0.000 (1970-01-01T00:00:00.000Z))"


def test_watermark_log_lines_are_readable(caplog):
    store: dict[str, str] = {}
    variables = SimpleNamespace(
        get=lambda key, default=None: store.get(key, default), set=lambda key, value: store.__setitem__(key, value)
    )
    with caplog.at_level(logging.INFO, logger="front_sync.sync.watermarks"):
        watermarks.advance(variables, "contacts", Decimal("1764504000.5"), "run", "now")
    assert "advanced from none to 1764504000.500 (2025-11-30T12:00:00.500Z)" in caplog.text


def test_long_errors_are_cut_in_the_middle_and_wrapped():
    text = "FrontAPIError: " + "x" * 5000 + " END"
    shown = logtext.error(text)
    assert len(shown) < 1200
    assert shown.startswith("FrontAPIError: xxx") and shown.endswith("END")
    assert "characters cut; the full text is in front.sync_logs.error" in shown
    assert max(len(line) for line in shown.splitlines()) <= logtext.WRAP_WIDTH
    assert logtext.error("short") == "short"


def _front(pages):
    return SimpleNamespace(
        metrics=SimpleNamespace(calls=len(pages), quota_remaining=None), iter_pages=lambda path, params: iter(pages)
    )


def test_one_page_of_one_record_logs_one_page_one_record(caplog):
    front = _front([[{"id": "msg_1"}]])
    fetched = sub_resources._fetch(front, get_resource("messages"), "cnv_1")
    progress = Progress("messages", front)
    with caplog.at_level(logging.INFO, logger="front_sync.sync.progress"):
        progress.add(pages=fetched.pages, records=len(fetched.records))
        progress.report(final=True)
    assert fetched.pages == 1
    assert "messages done: 1 page, 1 record (" in caplog.text
    assert "0 pages" not in caplog.text


def test_pages_are_counted_for_every_page_even_empty_ones():
    fetched = sub_resources._fetch(
        _front([[{"id": "a"}, {"id": "b"}], [], [{"id": "c"}]]), get_resource("comments"), "cnv_1"
    )
    assert (fetched.pages, len(fetched.records)) == (3, 3)
