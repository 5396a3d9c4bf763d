"""resources/drift.py: unmapped and missing fields of a batch, generic paths with examples, never values."""

from __future__ import annotations

from front_sync.resources import get_resource
from front_sync.resources.drift import MISSING_MIN_RECORDS, observe


def message(i, **extra):
    record = {
        "id": f"msg_{i}",
        "type": "email",
        "is_inbound": True,
        "created_at": 1.0,
        "blurb": "b",
        "body": "x",
        "subject": "s",
        "text": None,
        "draft_mode": None,
        "message_uid": "u",
        "is_draft": False,
        "author": {"id": "tea_1", "anything": "else"},
        "metadata": {"headers": {}},
        "_links": {"self": "u", "related": {"conversation": "u/cnv_1", "message_seen": "u"}},
        "recipients": [{"handle": "a@b", "role": "to", "name": None, "_links": {"related": {}}}],
        "attachments": [],
    }
    record.update(extra)
    return record


def test_unknown_fields_anywhere_are_unmapped_with_one_example_path_and_no_value():
    records = [message(i) for i in range(3)]
    records[1]["sentiment"] = "secret"
    records[2]["recipients"].append({"handle": "c@d", "role": "cc", "verified": "secret"})
    drift = observe(get_resource("messages"), records)
    assert dict(drift.unmapped) == {"sentiment": 1, "recipients[].verified": 1}
    assert drift.examples == {"sentiment": "sentiment", "recipients[].verified": "recipients[1].verified"}
    assert drift.missing == []  # a batch this small never says "stopped sending"
    assert "secret" not in repr(drift.rows())


def test_navigation_links_covered_objects_and_raw_only_fields_are_not_drift():
    records = [message(i, signature={"id": "sig_1"}) for i in range(2)]
    records[0]["_links"]["related"]["brand_new_link"] = "u"
    records[0]["author"]["new_teammate_field"] = 1  # the author is a teammate record: covered as a whole
    drift = observe(get_resource("messages"), records)
    assert not drift.unmapped


def test_a_read_field_absent_from_a_whole_batch_is_missing():
    records = [message(i) for i in range(MISSING_MIN_RECORDS)]
    for record in records:
        del record["blurb"]
        record["recipients"][0].pop("role")
    drift = observe(get_resource("messages"), records)
    assert drift.missing == ["blurb", "recipients[].role"]
    assert ("missing", "blurb", "blurb", MISSING_MIN_RECORDS) in drift.rows()
    records[0]["blurb"] = "back"
    assert "blurb" not in observe(get_resource("messages"), records).missing
