"""Retention: front_sync_monitor's purge_expired_bodies removes old message bodies and attachment metadata, writes
a sync_logs row, and the next sync neither fills them in again nor takes the purge for a local edit."""

from __future__ import annotations

import json
import math
import time

import pytest

from front_sync_testing.truth import SIZES, query, run

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server

BODY_KEYS = ("body", "text", "blurb")


def _messages(url):
    return {
        r["id"]: r
        for r in query(
            url, "SELECT id, body, text, blurb, raw, row_hash, created_at, local_updated_at FROM front.messages"
        )
    }


def _attachments(url):
    return query(
        url, "SELECT message_id, attachment_id, filename, url, content_type, size, cid FROM front.message_attachments"
    )


def test_old_bodies_are_purged_and_stay_purged_after_the_next_sync(
    dags, simulator, warehouse_url, clean_variables, monkeypatch
):
    from front_sync.ops import retention

    monkeypatch.setattr(retention, "CHUNK", 10)
    monkeypatch.setattr(retention, "MAX_CHUNKS", 2)  # 20 messages a run: a capped purge goes on in the next run
    simulator.reset(seed=31, sizes={**SIZES, "contacts": 20, "conversations": 30, "messages_per_conversation": 3})
    assert run(dags["front_sync_backfill"]).state == "success"
    before = _messages(warehouse_url)
    stamps = sorted(float(m["created_at"]) for m in before.values())
    days = math.ceil((time.time() - stamps[len(stamps) // 2]) / 86400)  # about half the messages are older
    cutoff = time.time() - days * 86400
    old = {i for i, m in before.items() if float(m["created_at"]) < cutoff}
    assert 0 < len(old) < len(before)
    files = {(a["message_id"], a["attachment_id"]): a for a in _attachments(warehouse_url)}
    assert any(a["filename"] for key, a in files.items() if key[0] in old)

    clean_variables.set("front_sync.config", json.dumps({"retention_days": days}))
    runs = math.ceil((len(old) + 1) / 20)
    for _ in range(runs):
        assert dags["front_sync_monitor"].test().state == "success"

    after = _messages(warehouse_url)
    for message_id, row in after.items():
        if message_id in old:
            assert (row["body"], row["text"], row["blurb"]) == (None, None, None)
            assert not set(BODY_KEYS) & set(row["raw"])
            assert all(set(a) == {"id"} for a in row["raw"].get("attachments") or [])
        else:
            assert row["raw"] == before[message_id]["raw"] and row["body"] == before[message_id]["body"]
        assert row["row_hash"] == before[message_id]["row_hash"] and row["local_updated_at"] is None
    for attachment in _attachments(warehouse_url):
        if attachment["message_id"] in old:
            assert [attachment[k] for k in ("filename", "url", "content_type", "size", "cid")] == [None] * 5
        else:
            assert attachment == files[attachment["message_id"], attachment["attachment_id"]]
    log = query(warehouse_url, "SELECT * FROM front.sync_logs WHERE sync_type = 'retention' ORDER BY id")
    assert len(log) == runs and {(r["status"], r["resource"]) for r in log} == {("success", "messages")}
    assert [r["metadata"]["capped"] for r in log] == [True] * (runs - 1) + [False]
    assert sum(r["metadata"]["messages_purged"] for r in log) == len(old)
    assert {r["metadata"]["retention_days"] for r in log} == {days}
    assert sum(r["metadata"]["attachments_purged"] for r in log) == sum(
        1 for a in _attachments(warehouse_url) if a["message_id"] in old
    )

    # Every message fetched again: the purged ones are unchanged content (same row_hash), so not written back.
    assert run(dags["front_sync_backfill"], restart=True, refetch_children=True).state == "success"
    again = _messages(warehouse_url)
    assert all(again[i]["body"] is None and "body" not in again[i]["raw"] for i in old)
    assert all(again[i]["local_updated_at"] is None for i in again)
    assert query(warehouse_url, "SELECT count(*) AS n FROM front.sync_conflicts")[0]["n"] == 0
    sync = query(
        warehouse_url,
        "SELECT created, updated, unchanged, conflicts FROM front.sync_logs"
        " WHERE resource = 'messages' AND sync_type = 'backfill' ORDER BY id DESC LIMIT 1",
    )[0]
    assert (sync["created"], sync["updated"], sync["conflicts"]) == (0, 0, 0)
    assert sync["unchanged"] == len(before)

    # The purge scans messages at most once a day: the next monitor run leaves it.
    assert dags["front_sync_monitor"].test().state == "success"
    assert len(query(warehouse_url, "SELECT 1 FROM front.sync_logs WHERE sync_type = 'retention'")) == runs


def test_retention_is_off_by_default(dags, simulator, warehouse_url, clean_variables):
    simulator.reset(seed=32, sizes={**SIZES, "contacts": 5, "conversations": 5})
    assert run(dags["front_sync_backfill"]).state == "success"
    before = _messages(warehouse_url)
    assert dags["front_sync_monitor"].test().state == "success"
    assert _messages(warehouse_url) == before
    assert query(warehouse_url, "SELECT count(*) AS n FROM front.sync_logs WHERE sync_type = 'retention'")[0]["n"] == 0
