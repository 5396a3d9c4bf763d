"""A catalogue of bad records: each is dead-lettered or loaded as documented, and its batch-mates always load.

Only a record that cannot be keyed (no usable id, not an object) or stored at all is dead-lettered; one with a
value that cannot be typed loads with that column null, raw whole and the field listed in untyped_fields.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from psycopg import sql

from front_sync import resources
from front_sync.resources import CONTACTS, CONVERSATIONS, MESSAGES, TAGS
from front_sync.warehouse.load import OUTCOMES, load_batch, write_batch
from front_sync.warehouse.prepare import prepare_batch

from . import records as r
from .records import fetch

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server


@dataclass(frozen=True)
class Dead:
    """The record goes to dead_letters with this text in its error."""

    error: str


@dataclass(frozen=True)
class Loaded:
    """The record loads; the query returns the expected rows."""

    query: str
    expected: list[tuple]


def untyped(table: str, rid: str, column: str, raw: str, sent: str, fields: list[tuple[str, str]]) -> Loaded:
    """The record loads with `column` null, raw at path `raw` still `sent`, and untyped_fields listing `fields`."""
    query = (
        f"SELECT {column} IS NULL, raw #>> '{{{raw}}}', untyped_fields "  # noqa: S608 - constants of this file
        f"FROM front.{table} WHERE id = '{rid}'"
    )
    return Loaded(query, [(True, sent, [{"field": f, "reason": why} for f, why in fields])])


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"level": value}
    return value


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**base, **changes}


def without(base: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in base.items() if k != key}


BIG_BODY = "<p>" + "x" * (5 * 1024 * 1024) + "</p>"
RANDOM_HANDLE = "".join(random.Random(5).choices(string.ascii_letters + string.digits, k=10_000)) + "@x.io"
RTL_EMOJI = "שלום עולם 👋🏽 مرحبا بالعالم 🇫🇷 Zoë"

CATALOGUE = [
    ("missing-id", MESSAGES, lambda: without(r.message("msg_bad"), "id"), Dead("missing id")),
    ("id-wrong-type", MESSAGES, lambda: with_(r.message("x"), id=12345), Dead("id is not a non-empty string")),
    ("id-empty", MESSAGES, lambda: with_(r.message("x"), id="  "), Dead("id is not a non-empty string")),
    ("id-with-nul", MESSAGES, lambda: r.message("msg_\x00bad"), Dead("contains NUL")),
    ("id-too-long", MESSAGES, lambda: r.message("msg_" + "9" * 300), Dead("longer than 255")),
    ("not-an-object", MESSAGES, lambda: "msg_bad", Dead("record is not an object")),
    ("null-record", MESSAGES, lambda: None, Dead("record is not an object")),
    (
        "contact-without-id-or-email",
        CONTACTS,
        lambda: r.contact(None, handles=(("phone", "+1555"),)),
        Dead("missing id"),
    ),
    (
        "nul-characters",
        CONTACTS,
        lambda: with_(r.contact("crd_bad", name="A\x00nn"), custom_fields={"No\x00te": "x\x00y"}),
        Loaded(
            "SELECT name, custom_fields::text, position('\\u0000' in raw::text) FROM front.contacts "
            "WHERE id = 'crd_bad'",
            [("Ann", '{"Note": "xy"}', 0)],
        ),
    ),
    (
        "timestamp-not-a-number",
        MESSAGES,
        lambda: with_(r.message("msg_bad"), created_at="yesterday"),
        untyped("messages", "msg_bad", "created_at", "created_at", "yesterday", [("created_at", "not a number")]),
    ),
    (
        "timestamp-in-milliseconds",
        CONTACTS,
        lambda: with_(r.contact("crd_bad"), updated_at=1700000000000),
        untyped(
            "contacts",
            "crd_bad",
            "updated_at",
            "updated_at",
            "1700000000000",
            [("updated_at", "out of range for epoch seconds")],
        ),
    ),
    (
        "timestamp-negative",
        CONVERSATIONS,
        lambda: with_(r.conversation("cnv_bad"), updated_at=-1),
        untyped(
            "conversations",
            "cnv_bad",
            "updated_at",
            "updated_at",
            "-1",
            [("updated_at", "out of range for epoch seconds")],
        ),
    ),
    (
        "timestamp-boolean",
        CONVERSATIONS,
        lambda: with_(r.conversation("cnv_bad"), created_at=True),
        untyped(
            "conversations", "cnv_bad", "created_at", "created_at", "true", [("created_at", "not a timestamp: bool")]
        ),
    ),
    (
        "timestamp-nan",
        MESSAGES,
        lambda: with_(r.message("msg_bad"), created_at=float("nan")),
        Loaded(
            "SELECT created_at, raw->'created_at', untyped_fields FROM front.messages WHERE id = 'msg_bad'",
            [(None, None, [{"field": "created_at", "reason": "out of range for epoch seconds"}])],
        ),
    ),
    (
        "timestamp-six-decimals",
        MESSAGES,
        lambda: with_(r.message("msg_bad"), created_at=Decimal("1701292639.123456")),
        Loaded("SELECT created_at FROM front.messages WHERE id = 'msg_bad'", [(Decimal("1701292639.123"),)]),
    ),
    (
        "timestamp-as-string",
        CONVERSATIONS,
        lambda: with_(r.conversation("cnv_bad"), updated_at="1701292639.5"),
        Loaded("SELECT updated_at FROM front.conversations WHERE id = 'cnv_bad'", [(Decimal("1701292639.500"),)]),
    ),
    (
        "five-megabyte-body",
        MESSAGES,
        lambda: r.message("msg_bad", body=BIG_BODY),
        Loaded(
            "SELECT length(body), length(raw->>'body') FROM front.messages WHERE id = 'msg_bad'",
            [(len(BIG_BODY), len(BIG_BODY))],
        ),
    ),
    (
        "custom-fields-100-levels-deep",
        CONTACTS,
        lambda: with_(r.contact("crd_bad"), custom_fields=nested(100)),
        Loaded(
            "SELECT jsonb_path_query_first(custom_fields, ('$' || repeat('.level', 100))::jsonpath) #>> '{}' "
            "FROM front.contacts WHERE id = 'crd_bad'",
            [("bottom",)],
        ),
    ),
    (
        "custom-fields-deeper-than-the-encoder",
        CONTACTS,
        lambda: with_(r.contact("crd_bad"), custom_fields=nested(5000)),
        Dead("RecursionError"),
    ),
    (
        "unknown-fields",
        MESSAGES,
        lambda: with_(r.message("msg_bad"), sentiment={"score": 0.9}, is_spammer=None),
        Loaded(
            "SELECT raw->'sentiment'->>'score', raw ? 'is_spammer' FROM front.messages WHERE id = 'msg_bad'",
            [("0.9", True)],
        ),
    ),
    (
        "wrong-enum-values",
        MESSAGES,
        lambda: with_(r.message("msg_bad", recipients=(("ann@example.com", "sender"),)), type="carrier_pigeon"),
        Loaded(
            "SELECT m.type, r.role FROM front.messages AS m JOIN front.message_recipients AS r "
            "ON r.message_id = m.id WHERE m.id = 'msg_bad'",
            [("carrier_pigeon", "sender")],
        ),
    ),
    (
        "wrong-conversation-status",
        CONVERSATIONS,
        lambda: r.conversation("cnv_bad", status="snoozed"),
        Loaded("SELECT status, is_trashed FROM front.conversations WHERE id = 'cnv_bad'", [("snoozed", False)]),
    ),
    (
        "emoji-and-right-to-left",
        CONTACTS,
        lambda: r.contact("crd_bad", name=RTL_EMOJI),
        Loaded("SELECT name, raw->>'name' FROM front.contacts WHERE id = 'crd_bad'", [(RTL_EMOJI, RTL_EMOJI)]),
    ),
    (
        "copy-control-characters",
        MESSAGES,
        lambda: r.message("msg_bad", body="a\tb\nc\\N\r\\d"),
        Loaded("SELECT body FROM front.messages WHERE id = 'msg_bad'", [("a\tb\nc\\N\r\\d",)]),
    ),
    (
        "nul-in-a-link",
        TAGS,
        lambda: with_(r.tag("tag_bad"), _links={"related": {"parent_tag": f"{r.HOST}/tags/tag_\x00p"}}),
        Loaded("SELECT parent_tag_id FROM front.tags WHERE id = 'tag_bad'", [("tag_p",)]),
    ),
    (
        "repeated-child-keys-once-nul-removed",
        CONTACTS,
        lambda: r.contact("crd_bad", handles=(("email", "a@x.io"), ("email", "a\x00@x.io"), ("phone", "+1"))),
        Loaded(
            "SELECT source, handle FROM front.contact_handles WHERE contact_id = 'crd_bad' ORDER BY 1",
            [("email", "a@x.io"), ("phone", "+1")],
        ),
    ),
    ("lone-surrogate", CONTACTS, lambda: r.contact("crd_bad", name="broken \ud800 text"), Dead("lone surrogate")),
    (
        "boolean-as-string",
        MESSAGES,
        lambda: with_(r.message("msg_bad"), is_inbound="yes"),
        untyped("messages", "msg_bad", "is_inbound", "is_inbound", "yes", [("is_inbound", "not a boolean: str")]),
    ),
    (
        "handles-not-a-list",
        CONTACTS,
        lambda: with_(r.contact("crd_bad"), handles="ann@example.com"),
        Loaded(
            "SELECT raw->>'handles', untyped_fields, (SELECT count(*) FROM front.contact_handles "
            "WHERE contact_id = 'crd_bad') FROM front.contacts WHERE id = 'crd_bad'",
            [("ann@example.com", [{"field": "handles", "reason": "not a list"}], 0)],
        ),
    ),
    (
        "recipient-without-handle",
        MESSAGES,
        lambda: with_(
            r.message("msg_bad"),
            recipients=[{"_links": {"related": {}}, "name": "x", "role": "to"}, r.recipient("ann@example.com", "from")],
        ),
        Loaded(
            "SELECT raw #>> '{recipients,0,role}', untyped_fields, (SELECT array_agg(handle) FROM "
            "front.message_recipients WHERE message_id = 'msg_bad') FROM front.messages WHERE id = 'msg_bad'",
            [("to", [{"field": "recipients[0].handle", "reason": "missing"}], ["ann@example.com"])],
        ),
    ),
    (
        "attachment-size-as-string",
        MESSAGES,
        lambda: with_(r.message("msg_bad"), attachments=[r.attachment("fil_1", size="1 kB")]),
        Loaded(
            "SELECT a.size, m.raw #>> '{attachments,0,size}', m.untyped_fields FROM front.messages AS m "
            "JOIN front.message_attachments AS a ON a.message_id = m.id WHERE m.id = 'msg_bad'",
            [(None, "1 kB", [{"field": "attachments[0].size", "reason": "not an integer: str"}])],
        ),
    ),
    (
        "attachment-size-negative",
        MESSAGES,
        lambda: with_(r.message("msg_bad"), attachments=[r.attachment("fil_1", size=-1)]),
        Loaded(
            "SELECT a.attachment_id, a.size, m.raw #>> '{attachments,0,size}', m.untyped_fields "
            "FROM front.messages AS m JOIN front.message_attachments AS a ON a.message_id = m.id "
            "WHERE m.id = 'msg_bad'",
            [("fil_1", None, "-1", [{"field": "attachments[0].size", "reason": "negative"}])],
        ),
    ),
    (
        "attachment-size-beyond-bigint",
        MESSAGES,
        lambda: with_(r.message("msg_bad"), attachments=[r.attachment("fil_1", size=2**70)]),
        Loaded(
            "SELECT a.size, m.raw #>> '{attachments,0,size}', m.untyped_fields FROM front.messages AS m "
            "JOIN front.message_attachments AS a ON a.message_id = m.id WHERE m.id = 'msg_bad'",
            [(None, str(2**70), [{"field": "attachments[0].size", "reason": "out of range"}])],
        ),
    ),
    (
        "links-not-an-object",
        MESSAGES,
        lambda: with_(r.message("msg_bad"), _links=["conversation"]),
        untyped("messages", "msg_bad", "conversation_id", "_links", '["conversation"]', [("_links", "not an object")]),
    ),
    (
        "link-url-not-a-string",
        resources.TAGS,
        lambda: with_(r.tag("tag_bad"), _links={"related": {"parent_tag": 42}}),
        untyped(
            "tags",
            "tag_bad",
            "parent_tag_id",
            "_links,related,parent_tag",
            "42",
            [("_links.related.parent_tag", "not a URL")],
        ),
    ),
    (
        "license-type-not-a-string",
        resources.TEAMMATES,
        lambda: with_(r.teammate("tea_bad"), license_type=5),
        untyped("teammates", "tea_bad", "license_type", "license_type", "5", [("license_type", "not a string: int")]),
    ),
    (
        "custom-field-without-name",
        resources.CONTACT_CUSTOM_FIELDS,
        lambda: without(r.custom_field("fld_bad"), "name"),
        Loaded(
            "SELECT name, scope, untyped_fields FROM front.custom_fields WHERE id = 'fld_bad'",
            [(None, "contact", [{"field": "name", "reason": "missing"}])],
        ),
    ),
    (
        "tag-without-id-in-a-conversation",
        CONVERSATIONS,
        lambda: with_(
            r.conversation("cnv_bad", tags=("tag_2",)), tags=[{"name": "no id", "_links": {}}, r.tag("tag_2")]
        ),
        Loaded(
            "SELECT raw #>> '{tags,0,name}', untyped_fields, (SELECT array_agg(tag_id) FROM "
            "front.conversation_tags WHERE conversation_id = 'cnv_bad') FROM front.conversations "
            "WHERE id = 'cnv_bad'",
            [("no id", [{"field": "tags[0].id", "reason": "missing"}], ["tag_2"])],
        ),
    ),
    (
        "custom-fields-not-an-object",
        CONTACTS,
        lambda: with_(r.contact("crd_bad"), custom_fields=["Plan", "VIP"]),
        Loaded("SELECT jsonb_typeof(custom_fields) FROM front.contacts WHERE id = 'crd_bad'", [("array",)]),
    ),
    (
        "id-with-tab-and-backslash",
        CONTACTS,
        lambda: r.contact("crd_\tb\\ad"),
        Loaded("SELECT id FROM front.contacts WHERE position(chr(9) in id) > 0", [("crd_\tb\\ad",)]),
    ),
    (
        "handle-too-long-for-the-index",
        CONTACTS,
        lambda: r.contact("crd_bad", handles=(("email", RANDOM_HANDLE),)),
        Dead("ProgramLimitExceeded"),
    ),
]


def good_pair(resource) -> list[Any]:
    factories = {
        "contacts": lambda n: r.contact(f"crd_good{n}", handles=(("email", f"good{n}@example.com"),)),
        "messages": lambda n: r.message(f"msg_good{n}"),
        "conversations": lambda n: r.conversation(f"cnv_good{n}"),
        "tags": lambda n: r.tag(f"tag_good{n}"),
        "teammates": lambda n: r.teammate(f"tea_good{n}", f"good{n}@example.com"),
        "contact_custom_fields": lambda n: r.custom_field(f"fld_good{n}", f"Field {n}"),
    }
    return [factories[resource.name](n) for n in (1, 2)]


def test_the_catalogue_has_at_least_twenty_kinds_of_bad_record():
    assert len(CATALOGUE) >= 20


@pytest.mark.parametrize(("resource", "make", "expected"), [c[1:] for c in CATALOGUE], ids=[c[0] for c in CATALOGUE])
def test_bad_record_is_handled_and_its_batch_loads(migrated, resource, make, expected):
    first, second = good_pair(resource)
    result = load_batch(migrated, resource, [first, make(), second], "run")
    assert sum(result.counts[k] for k in OUTCOMES) == 3
    good_ids = {first["id"], second["id"]}
    stored = {i for (i,) in fetch(migrated, sql.SQL("SELECT id FROM {}").format(sql.Identifier(*resource.table)))}
    assert good_ids <= stored
    dead = fetch(
        migrated, "SELECT resource, error, payload IS NOT NULL OR payload_text IS NOT NULL FROM front.dead_letters"
    )
    if isinstance(expected, Dead):
        assert result.counts["dead_lettered"] == 1 and result.counts["created"] == 2
        assert len(dead) == 1 and dead[0][0] == resource.name and dead[0][2], dead
        assert expected.error in dead[0][1]
        assert stored == good_ids
    else:
        assert result.counts["created"] == 3 and dead == []
        assert fetch(migrated, expected.query) == expected.expected
    with_untyped = fetch(
        migrated,
        sql.SQL("SELECT count(*) FROM {} WHERE untyped_fields IS NOT NULL").format(sql.Identifier(*resource.table)),
    )[0][0]
    assert result.counts["untyped"] == with_untyped


def test_duplicate_ids_in_a_batch_keep_the_newest_copy(migrated):
    batch = [
        r.conversation("cnv_1", "300", status="archived"),
        r.conversation("cnv_1", "200"),
        r.conversation("cnv_1", "300", status="archived"),
    ]
    result = load_batch(migrated, CONVERSATIONS, batch, "run")
    assert {k: v for k, v in result.counts.items() if v} == {"created": 1, "stale": 1, "unchanged": 1}
    assert fetch(migrated, "SELECT status, updated_at FROM front.conversations") == [("archived", Decimal("300"))]


def test_dead_letter_payloads_keep_what_jsonb_cannot(migrated):
    load_batch(
        migrated,
        CONTACTS,
        [r.contact("crd_1", name="bad \ud800"), with_(r.contact("crd_2"), custom_fields=nested(5000))],
        "run",
    )
    rows = fetch(
        migrated,
        "SELECT record_id, payload IS NULL, payload_text, payload::text FROM front.dead_letters ORDER BY record_id",
    )
    assert rows[0][:2] == ("crd_1", True) and "\\ud800" in rows[0][2]
    assert rows[1][:2] == ("crd_2", False) and "cut: nested deeper than 100 levels" in rows[1][3]


def test_database_rejections_are_isolated_by_bisection(warehouse):
    from front_sync.warehouse import migrations

    migrations.migrate(warehouse)
    warehouse.autocommit = False
    with warehouse.cursor() as cur:  # a rule only the database knows about
        cur.execute("ALTER TABLE front.contacts ADD CONSTRAINT test_no_rejects CHECK (name <> 'reject me')")
    warehouse.commit()
    batch = [
        r.contact(f"crd_{i}", name="reject me" if i in (3, 4, 77) else f"n{i}", handles=(("email", f"c{i}@x.io"),))
        for i in range(100)
    ]
    result = load_batch(warehouse, CONTACTS, batch, "run")
    assert result.counts["created"] == 97 and result.counts["dead_lettered"] == 3
    dead = fetch(warehouse, "SELECT record_id, error FROM front.dead_letters ORDER BY record_id")
    assert [d[0] for d in dead] == ["crd_3", "crd_4", "crd_77"]
    assert all("CheckViolation" in e and "test_no_rejects" in e and "reject me" not in e for _, e in dead)
    assert fetch(warehouse, "SELECT count(*) FROM front.contact_handles") == [(97,)]


def test_text_that_utf8_cannot_hold_met_while_copying_is_isolated_like_a_database_rejection(migrated):
    # The transform dead-letters lone surrogates (raw cannot be encoded); were one to reach a COPY anyway, the
    # encoding error there is bisected down to its record like a data error, and the rest of the batch loads.
    batch = prepare_batch(
        CONTACTS, [r.contact(f"crd_{i}", handles=(("email", f"c{i}@x.io"),)) for i in range(8)], "run"
    )
    item = batch.prepared["crd_5"]
    item.row = (item.row[0], "broken \ud800", *item.row[2:])
    result = write_batch(migrated, CONTACTS, batch, "run")
    assert result.counts["created"] == 7 and result.counts["dead_lettered"] == 1
    assert fetch(migrated, "SELECT record_id, error FROM front.dead_letters") == [
        ("crd_5", "UnicodeEncodeError: text is not valid Unicode (surrogates not allowed)")
    ]
    assert fetch(migrated, "SELECT count(*) FROM front.contact_handles") == [(7,)]
