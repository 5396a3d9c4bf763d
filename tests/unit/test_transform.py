"""Pure transforms: exact timestamps, NUL stripping, canonical JSON, Front links and the typed rows of each table."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from front_sync.resources import (
    CHANNELS,
    CONTACT_CUSTOM_FIELDS,
    CONTACTS,
    CONVERSATIONS,
    MESSAGES,
    TAGS,
    TEAMMATES,
    transform,
)
from front_sync.warehouse.prepare import prepare


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1454453901.012"), Decimal("1454453901.012")),
        (1701292639, Decimal("1701292639.000")),
        ("1703102616.5", Decimal("1703102616.500")),
        (None, None),
    ],
    ids=["three-decimals", "whole-seconds", "string", "null"],
)
def test_front_timestamp_is_exact(value, expected):
    assert transform.front_timestamp(value, "updated_at") == expected


@pytest.mark.parametrize(
    "value",
    ["soon", True, [1], -5, Decimal("1e13"), Decimal("NaN")],
    ids=["text", "bool", "list", "negative", "milliseconds", "nan"],
)
def test_front_timestamp_rejects_garbage(value):
    with pytest.raises(transform.BadRecord):
        transform.front_timestamp(value, "updated_at")


def test_canonical_json_is_stable_and_nul_free():
    a = transform.canonical_json({"b": 1, "a": "x\x00y", "t": Decimal("1.5")})
    b = transform.canonical_json({"t": Decimal("1.5"), "a": "x\x00y", "b": 1})
    assert a == b == '{"a":"xy","b":1,"t":1.5}'
    assert transform.row_hash(a) == transform.row_hash(b)


def test_contact_row_and_handles():
    record = {
        "id": "crd_1",
        "name": "Zoë 🎉",
        "is_private": False,
        "links": ["https://x"],
        "custom_fields": {"Tier": "gold"},
        "updated_at": Decimal("1700000000.123"),
        "handles": [{"handle": "Zoe@Example.COM", "source": "email"}],
    }
    row = CONTACTS.row(record)
    assert row[0] == "crd_1" and row[1] == "Zoë 🎉" and row[-1] == Decimal("1700000000.123")
    assert CONTACTS.nested[0].rows(record) == [("email", "Zoe@Example.COM", "zoe@example.com")]


@pytest.mark.parametrize(
    "record",
    [{"name": "no id"}, {"id": 42}, {"id": "crd_\x00"}, {"id": "crd_1" * 100}, "not an object", None],
    ids=["missing-id", "id-wrong-type", "id-with-nul", "id-too-long", "not-object", "null"],
)
def test_records_without_a_usable_id_are_dead_lettered_and_others_kept(record):
    good = {"id": "crd_ok", "updated_at": 1}
    prepared, dead, _ = prepare(CONTACTS, [record, good], "run")
    assert list(prepared) == ["crd_ok"]
    assert len(dead) == 1 and dead[0][0] is record


def untyped_column(resource, item) -> list[dict[str, str]] | None:
    """The untyped_fields value of a prepared item's row (the column after the typed ones)."""
    value = item.row[len(resource.columns)]
    return None if value is None else json.loads(value)


@pytest.mark.parametrize(
    ("resource", "record", "column", "untyped"),
    [
        (
            CONTACTS,
            {"id": "crd_1", "updated_at": -5},
            "updated_at",
            [{"field": "updated_at", "reason": "out of range for epoch seconds"}],
        ),
        (
            CONTACTS,
            {"id": "crd_1", "updated_at": Decimal("1e12")},
            "updated_at",
            [{"field": "updated_at", "reason": "out of range for epoch seconds"}],
        ),
        (
            CONTACTS,
            {"id": "crd_1", "updated_at": "later"},
            "updated_at",
            [{"field": "updated_at", "reason": "not a number"}],
        ),
        (CONTACTS, {"id": "crd_1", "name": 5}, "name", [{"field": "name", "reason": "not a string: int"}]),
        (
            TEAMMATES,
            {"id": "tea_1", "license_type": 5},
            "license_type",
            [{"field": "license_type", "reason": "not a string: int"}],
        ),
        (
            MESSAGES,
            {"id": "msg_1", "is_inbound": "yes", "_links": ["x"]},
            "is_inbound",
            [{"field": "_links", "reason": "not an object"}, {"field": "is_inbound", "reason": "not a boolean: str"}],
        ),
        (
            CHANNELS,
            {"id": "cha_1", "settings": {"undo_send_time": "15"}},
            "undo_send_time",
            [{"field": "settings.undo_send_time", "reason": "not an integer: str"}],
        ),
        (
            CONVERSATIONS,
            {"id": "cnv_1", "assignee": {"email": "x"}, "recipient": {"handle": 7}},
            "assignee_id",
            [
                {"field": "assignee.id", "reason": "missing"},
                {"field": "recipient.handle", "reason": "not a string: int"},
            ],
        ),
    ],
    ids=[
        "negative-timestamp",
        "millisecond-timestamp",
        "timestamp-text",
        "name-number",
        "license-type-number",
        "boolean-text-and-links-list",
        "nested-setting",
        "nested-objects",
    ],
)
def test_a_record_with_a_field_that_cannot_be_typed_is_kept_with_that_column_null(resource, record, column, untyped):
    prepared, dead, _ = prepare(resource, [record], "run")
    assert not dead
    item = prepared[record["id"]]
    values, _, notes = transform.typed_leniently(resource.row, [c.rows for c in resource.nested], record)
    assert values[resource.columns.index(column)] is None
    assert notes == untyped == untyped_column(resource, item) and item.untyped


@pytest.mark.parametrize(
    ("resource", "record", "rows", "untyped"),
    [
        (
            CONTACTS,
            {"id": "crd_1", "handles": [{"source": "email"}, {"source": "phone", "handle": "+1"}]},
            [[("phone", "+1", "+1")], []],
            [{"field": "handles[0].handle", "reason": "missing"}],
        ),
        (
            CONTACTS,
            {"id": "crd_1", "handles": "a@x.io", "lists": [{"id": "grp_1"}, 3]},
            [[], [("grp_1",)]],
            [{"field": "handles", "reason": "not a list"}, {"field": "lists[1]", "reason": "not an object"}],
        ),
        (
            MESSAGES,
            {
                "id": "msg_1",
                "attachments": [{"id": "fil_1", "size": -1, "metadata": {"is_inline": 1}}, {"size": 3}],
                "recipients": ["junk", {"handle": "a@x.io", "role": "to", "_links": {"related": {"contact": 3}}}],
            },
            [[("to", "a@x.io", None, None, "a@x.io")], [("fil_1", None, None, None, None, None, None)]],
            [
                {"field": "recipients[0]", "reason": "not an object"},
                {"field": "recipients[1]._links.related.contact", "reason": "not a URL"},
                {"field": "attachments[0].size", "reason": "negative"},
                {"field": "attachments[0].metadata.is_inline", "reason": "not a boolean: int"},
                {"field": "attachments[1].id", "reason": "missing"},
            ],
        ),
        (
            CONVERSATIONS,
            {
                "id": "cnv_1",
                "tags": [{"name": "no id"}, {"id": "tag_2", "name": "ok"}],
                "scheduled_reminders": [{"scheduled_at": "soon"}],
            },
            [[("tag_2", "ok")], [], [(0, None, None, None, None)]],
            [
                {"field": "tags[0].id", "reason": "missing"},
                {"field": "scheduled_reminders[0].scheduled_at", "reason": "not a number"},
            ],
        ),
    ],
    ids=[
        "handle-without-value",
        "handles-not-a-list-and-list-item-not-object",
        "message-children",
        "tag-without-id-and-reminder",
    ],
)
def test_a_child_item_that_cannot_be_keyed_is_left_out_and_listed(resource, record, rows, untyped):
    prepared, dead, _ = prepare(resource, [record], "run")
    assert not dead and untyped_column(resource, prepared[record["id"]]) == untyped
    _, child_rows, notes = transform.typed_leniently(resource.row, [c.rows for c in resource.nested], record)
    assert child_rows == rows and notes == untyped


def test_untyped_fields_are_listed_once_and_capped():
    record = {"id": "msg_1", "recipients": [{"role": "to"}] * 150 + [3]}
    _, _, notes = transform.typed_leniently(MESSAGES.row, [MESSAGES.nested[0].rows], record)
    assert len(notes) == transform.MAX_UNTYPED + 1
    assert notes[0] == {"field": "recipients[0].handle", "reason": "missing"}
    assert notes[-1] == {"field": "*", "reason": "51 more fields"}
    _, _, notes = transform.typed_leniently(MESSAGES.row, [], {"id": "msg_1", "_links": 1})
    assert notes == [{"field": "_links", "reason": "not an object"}]  # read for three columns, listed once


def test_clean_records_have_no_untyped_fields_and_readers_still_raise_outside_the_loader():
    prepared, _, _ = prepare(CONTACTS, [{"id": "crd_1", "updated_at": 1}], "run")
    assert untyped_column(CONTACTS, prepared["crd_1"]) is None and not prepared["crd_1"].untyped
    with pytest.raises(transform.BadRecord, match="size is not an integer"):
        MESSAGES.nested[1].rows({"attachments": [{"id": "fil_1", "size": "big"}]})
    with pytest.raises(transform.BadRecord, match="missing id"):  # even leniently, a record needs its own id
        transform.typed_leniently(TAGS.row, [], {"name": "no id"})


def test_repeated_id_in_a_batch_keeps_the_newest():
    old = {"id": "crd_1", "name": "old", "updated_at": 2}
    new = {"id": "crd_1", "name": "new", "updated_at": 3}
    prepared, dead, counts = prepare(CONTACTS, [new, old], "run")
    assert prepared["crd_1"].row[1] == "new"
    assert counts == {"stale": 1} and not dead


def test_prepared_rows_hold_no_nul_even_where_a_reader_keeps_it():
    record = {"id": "tag_1", "name": "a\x00b", "_links": {"related": {"parent_tag": "https://x.io/tags/tag_\x00p"}}}
    prepared, dead, _ = prepare(TAGS, [record], "run")
    row = prepared["tag_1"].row
    assert not dead and row[TAGS.columns.index("name")] == "ab"
    assert row[TAGS.columns.index("parent_tag_id")] == "tag_p" and b"\\u0000" not in row[-1]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://acme.api.frontapp.com/tags/tag_3h07ym", "tag_3h07ym"),
        ("https://acme.api.frontapp.com/messages/msg_1q15qmtq?referer=conversation", "msg_1q15qmtq"),
        ("https://acme.api.frontapp.com/teams/tim_k30/", "tim_k30"),
    ],
    ids=["tag", "query-string", "trailing-slash"],
)
def test_ids_come_from_the_end_of_front_links(url, expected):
    assert transform.id_from_url(url) == expected
    assert transform.linked_id({"_links": {"related": {"x": url}}}, "x") == expected


def test_missing_or_null_links_give_none():
    assert transform.linked_id({}, "parent_tag") is None
    assert transform.linked_id({"_links": {"related": {"parent_tag": None}}}, "parent_tag") is None
    with pytest.raises(transform.BadRecord):
        transform.linked_id({"_links": {"related": {"parent_tag": 3}}}, "parent_tag")


@pytest.mark.parametrize(
    ("fields", "is_draft"),
    [
        ({"is_draft": True, "draft_mode": None}, True),
        ({"draft_mode": "shared"}, True),
        ({"draft_mode": None}, False),
        ({"is_draft": False, "draft_mode": "private"}, False),
    ],
    ids=["documented-flag", "draft-mode-only", "sent", "flag-wins"],
)
def test_message_draft_state(fields, is_draft):
    row = MESSAGES.row({"id": "msg_1", **fields})
    assert row[MESSAGES.columns.index("is_draft")] is is_draft


def test_inbound_message_has_no_author_and_outbound_has_one():
    inbound = MESSAGES.row({"id": "msg_1", "is_inbound": True, "author": None, "text": None})
    outbound = MESSAGES.row({"id": "msg_2", "is_inbound": False, "author": {"id": "tea_1"}})
    author = MESSAGES.columns.index("author_id")
    assert inbound[author] is None and outbound[author] == "tea_1"


def test_recipients_attachments_and_reminders():
    record = {
        "recipients": [
            {
                "handle": "Ann@X.io",
                "role": "from",
                "name": None,
                "_links": {"related": {"contact": "https://a.api.frontapp.com/contacts/crd_1"}},
            }
        ],
        "attachments": [{"id": "fil_1", "filename": "a.png", "size": 10, "metadata": {"is_inline": True, "cid": "c1"}}],
        "scheduled_reminders": [
            {"_links": {"related": {"owner": "https://a.api.frontapp.com/teammates/t"}}, "scheduled_at": 1701392639}
        ],
    }
    assert MESSAGES.nested[0].rows(record) == [("from", "Ann@X.io", None, "crd_1", "ann@x.io")]
    assert MESSAGES.nested[1].rows(record) == [("fil_1", "a.png", None, None, 10, True, "c1")]
    assert CONVERSATIONS.nested[2].rows(record) == [(0, "t", None, Decimal("1701392639.000"), None)]


def test_channel_reads_the_old_types_field_and_custom_fields_carry_their_scope():
    channel = dict(
        zip(
            CHANNELS.columns,
            CHANNELS.row({"id": "cha_1", "types": "smtp", "settings": {"undo_send_time": 5}}),
            strict=True,
        )
    )
    assert channel["type"] == "smtp" and channel["undo_send_time"] == 5
    assert CONTACT_CUSTOM_FIELDS.row({"id": "fld_1", "name": "Plan"})[:3] == ("fld_1", "contact", "Plan")


def test_email_handles_are_case_folded_and_other_sources_ignored():
    record = {
        "handles": [
            {"source": "phone", "handle": "+1"},
            {"source": "email", "handle": "ÀNN@X.io"},
            {"source": "email", "handle": "  "},
        ]
    }
    assert transform.email_handles(record) == ["ànn@x.io"]


def test_lone_surrogates_and_odd_types_cannot_become_stored_json():
    with pytest.raises(transform.BadRecord, match="not JSON serialisable"):
        transform.canonical_json({"x": object()})
    with pytest.raises(transform.BadRecord, match="lone surrogate"):
        transform.raw_and_hash({"name": "\ud800"})


def test_an_id_from_front_beats_an_id_matched_by_email_in_the_same_batch():
    real = {"id": "crd_1", "name": "real", "updated_at": 1}
    matched = {"name": "matched", "updated_at": 9, "handles": [{"source": "email", "handle": "a@x.io"}]}
    prepared, dead, counts = prepare(CONTACTS, [real, matched], "run", {1: "crd_1"})
    assert prepared["crd_1"].row[1] == "real" and counts == {"unchanged": 1} and not dead


def test_dead_letter_payload_survives_what_jsonb_cannot_hold():
    from front_sync.warehouse import dead_letters

    deep: object = "x"
    for _ in range(3000):
        deep = [deep]
    as_json, as_text = dead_letters.payload({"id": "a", "deep": deep})
    assert as_text is None and "cut: nested deeper than 100 levels" in as_json
    as_json, as_text = dead_letters.payload({"id": "b", "name": "\ud800", "tag": object()})
    assert as_json is None and "b" in as_text
    assert dead_letters.record_id({"id": 42}) == "42" and dead_letters.record_id("junk") is None


def test_accounting_splits_fetched_into_outcomes_and_rolled_back():
    from collections import Counter

    from front_sync.ops.audit import accounting

    row = accounting(Counter(fetched=10, created=3, dead_lettered=1, stale=2))
    assert row["fetched"] == 6 and row["fetched_not_loaded"] == 4 and row["deleted"] == 0
