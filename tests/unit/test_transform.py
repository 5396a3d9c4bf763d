"""Pure transforms: exact timestamps, NUL stripping, canonical JSON and typed contact rows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from front_sync import transform
from front_sync.load import _copy_text, prepare
from front_sync.resources import CONTACTS


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


@pytest.mark.parametrize("value", ["soon", True, [1], -5, Decimal("1e13"), Decimal("NaN")],
                         ids=["text", "bool", "list", "negative", "milliseconds", "nan"])
def test_front_timestamp_rejects_garbage(value):
    with pytest.raises(transform.BadRecord):
        transform.front_timestamp(value, "updated_at")


def test_canonical_json_is_stable_and_nul_free():
    a = transform.canonical_json({"b": 1, "a": "x\x00y", "t": Decimal("1.5")})
    b = transform.canonical_json({"t": Decimal("1.5"), "a": "x\x00y", "b": 1})
    assert a == b == '{"a":"xy","b":1,"t":1.5}'
    assert transform.row_hash(a) == transform.row_hash(b)


def test_contact_row_and_handles():
    record = {"id": "crd_1", "name": "Zoë 🎉", "is_private": False, "links": ["https://x"],
              "custom_fields": {"Tier": "gold"}, "updated_at": Decimal("1700000000.123"),
              "handles": [{"handle": "Zoe@Example.COM", "source": "email"}]}
    row = transform.contact_row(record)
    assert row[0] == "crd_1" and row[1] == "Zoë 🎉" and row[-1] == Decimal("1700000000.123")
    assert transform.contact_handle_rows(record) == [("email", "Zoe@Example.COM", "zoe@example.com")]


@pytest.mark.parametrize(
    "record",
    [{"name": "no id"}, {"id": 42}, {"id": "crd_1", "updated_at": "later"}, {"id": "crd_1", "name": 5},
     {"id": "crd_1", "handles": [{"source": "email"}]}, "not an object"],
    ids=["missing-id", "id-wrong-type", "bad-timestamp", "name-wrong-type", "handle-without-value", "not-object"],
)
def test_bad_records_are_dead_lettered_and_others_kept(record):
    good = {"id": "crd_ok", "updated_at": 1}
    prepared, dead, _ = prepare(CONTACTS, [record, good], "run")
    assert list(prepared) == ["crd_ok"]
    assert len(dead) == 1 and dead[0][0] is record


def test_repeated_id_in_a_batch_keeps_the_newest():
    old = {"id": "crd_1", "name": "old", "updated_at": 2}
    new = {"id": "crd_1", "name": "new", "updated_at": 3}
    prepared, dead, counts = prepare(CONTACTS, [new, old], "run")
    assert prepared["crd_1"].values[1] == "new"
    assert counts["unchanged"] == 1 and not dead


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "\\N"), (True, "t"), (False, "f"), ("a\tb\nc\\d\r", "a\\tb\\nc\\\\d\\r"), ("x\x00", "x"),
     (Decimal("1.500"), "1.500")],
    ids=["null", "true", "false", "escapes", "nul", "decimal"],
)
def test_copy_text_format(value, expected):
    assert _copy_text(value) == expected
