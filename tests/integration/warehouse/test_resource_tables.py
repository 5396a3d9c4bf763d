"""Every resource loads from Front-shaped records into typed columns, children follow their parent, rules hold."""

from __future__ import annotations

from decimal import Decimal

import pytest
from psycopg import sql

from front_sync import resources
from front_sync.warehouse.load import load_batch

from . import records as r
from .records import fetch

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server

SAMPLES = {
    "teammates": lambda: [r.teammate("tea_1"), r.teammate("tea_2", "fry@planet-express.com")],
    "inboxes": lambda: [r.inbox("inb_1")],
    "channels": lambda: [r.channel("cha_1"), r.channel("cha_2", inbox_id=None)],
    "contact_lists": lambda: [r.contact_list("grp_1")],
    "teams": lambda: [r.team("tim_1")],
    "conversation_statuses": lambda: [r.conversation_status("sts_1"), r.conversation_status("sts_2", "resolved")],
    "accounts": lambda: [r.account("acc_1")],
    "links": lambda: [r.link("top_1")],
    "tags": lambda: [r.tag("tag_1"), r.tag("tag_2", parent="tag_1")],
    "contact_custom_fields": lambda: [r.custom_field("fld_1")],
    "conversation_custom_fields": lambda: [r.custom_field("fld_2", "Priority")],
    "inbox_custom_fields": lambda: [r.custom_field("fld_3", "Region")],
    "teammate_custom_fields": lambda: [r.custom_field("fld_4", "Team")],
    "account_custom_fields": lambda: [r.custom_field("fld_5", "Tier")],
    "link_custom_fields": lambda: [r.custom_field("fld_6", "Sprint")],
    "contacts": lambda: [r.contact("crd_1", lists=("grp_1",)), r.contact("crd_2", handles=(("phone", "+1555"),))],
    "conversations": lambda: [r.conversation("cnv_1"), r.conversation("cnv_2", status="deleted", tags=())],
    "messages": lambda: [r.message("msg_1"), r.message("msg_2", inbound=False, attachments=())],
    "comments": lambda: [r.comment("com_1")],
}


def test_every_resource_has_a_sample():
    assert set(SAMPLES) == {res.name for res in resources.ALL_RESOURCES}


@pytest.mark.parametrize("resource", resources.ALL_RESOURCES, ids=lambda res: res.name)
def test_each_resource_loads_and_a_second_load_changes_nothing(migrated, resource):
    batch = SAMPLES[resource.name]()
    first = load_batch(migrated, resource, batch, "run1")
    assert first.counts["created"] == len(batch) and first.counts["dead_lettered"] == 0
    snapshot = sql.SQL("SELECT id, row_hash, last_synced_at, sync_run_id FROM {} ORDER BY id").format(
        sql.Identifier(*resource.table)
    )
    before = fetch(migrated, snapshot)
    again = load_batch(migrated, resource, SAMPLES[resource.name](), "run2")
    assert again.counts["unchanged"] == len(batch)
    assert sum(again.counts[k] for k in ("created", "updated", "stale", "conflicts", "dead_lettered")) == 0
    assert fetch(migrated, snapshot) == before


def test_typed_columns_follow_front_semantics(migrated):
    load_batch(migrated, resources.TAGS, SAMPLES["tags"](), "r")
    load_batch(migrated, resources.CHANNELS, SAMPLES["channels"](), "r")
    load_batch(migrated, resources.CONVERSATIONS, SAMPLES["conversations"](), "r")
    load_batch(migrated, resources.MESSAGES, SAMPLES["messages"](), "r")
    load_batch(migrated, resources.CONTACT_CUSTOM_FIELDS, SAMPLES["contact_custom_fields"](), "r")
    assert fetch(
        migrated,
        "SELECT id, parent_tag_id, updated_at, updated_at_ts = to_timestamp(1682538996.583) "
        "FROM front.tags ORDER BY id",
    ) == [("tag_1", None, Decimal("1682538996.583"), True), ("tag_2", "tag_1", Decimal("1682538996.583"), True)]
    assert fetch(migrated, "SELECT id, inbox_id, type, undo_send_time FROM front.channels ORDER BY id") == [
        ("cha_1", "inb_1", "gmail", 15),
        ("cha_2", None, "gmail", 15),
    ]
    assert fetch(
        migrated,
        "SELECT id, status, is_trashed, assignee_id, recipient_contact_id, last_message_id "
        "FROM front.conversations ORDER BY id",
    ) == [
        ("cnv_1", "assigned", False, "tea_1", "crd_1", "msg_last"),
        ("cnv_2", "deleted", True, None, "crd_1", "msg_last"),
    ]
    assert fetch(
        migrated,
        "SELECT id, conversation_id, is_inbound, is_draft, author_id, created_at FROM front.messages ORDER BY id",
    ) == [
        ("msg_1", "cnv_1", True, False, None, Decimal("1701292639.000")),
        ("msg_2", "cnv_1", False, False, "tea_1", Decimal("1701292639.000")),
    ]
    assert fetch(migrated, "SELECT id, scope, name FROM front.custom_fields") == [("fld_1", "contact", "Plan")]


def test_message_children_are_replaced_with_their_message(migrated):
    load_batch(
        migrated,
        resources.MESSAGES,
        [
            r.message(
                "msg_1",
                recipients=(("ann@example.com", "from"), ("support@acme.com", "to"), ("boss@acme.com", "cc")),
                attachments=("fil_1", "fil_2"),
            )
        ],
        "r1",
    )
    result = load_batch(
        migrated,
        resources.MESSAGES,
        [
            r.message(
                "msg_1", recipients=(("ann@example.com", "from"), ("support@acme.com", "to")), attachments=("fil_2",)
            )
        ],
        "r2",
    )
    assert result.counts["updated"] == 1
    assert fetch(migrated, "SELECT role, handle, contact_id FROM front.message_recipients ORDER BY role") == [
        ("from", "ann@example.com", "crd_1"),
        ("to", "support@acme.com", None),
    ]
    assert fetch(migrated, "SELECT attachment_id, size FROM front.message_attachments") == [("fil_2", 1024)]


def test_conversation_children_follow_the_newest_version_only(migrated):
    load_batch(migrated, resources.CONVERSATIONS, [r.conversation("cnv_1", "200", tags=("tag_1", "tag_2"))], "r1")
    stale = load_batch(migrated, resources.CONVERSATIONS, [r.conversation("cnv_1", "100", tags=())], "r2")
    assert stale.counts["stale"] == 1
    assert fetch(migrated, "SELECT tag_id FROM front.conversation_tags ORDER BY 1") == [("tag_1",), ("tag_2",)]
    load_batch(migrated, resources.CONVERSATIONS, [r.conversation("cnv_1", "300", tags=("tag_2",), reminders=0)], "r3")
    assert fetch(migrated, "SELECT tag_id FROM front.conversation_tags") == [("tag_2",)]
    assert fetch(migrated, "SELECT count(*) FROM front.conversation_reminders") == [(0,)]


@pytest.mark.parametrize(
    ("resource", "older", "newer"),
    [
        (resources.CONVERSATIONS, r.conversation("cnv_1", "100"), r.conversation("cnv_1", "200", status="archived")),
        (resources.TAGS, r.tag("tag_1", updated_at="100"), {**r.tag("tag_1", updated_at="200"), "name": "New"}),
    ],
    ids=["conversations", "tags"],
)
def test_conflict_rules_hold_for_other_timestamped_resources(migrated, resource, older, newer):
    load_batch(migrated, resource, [newer], "r1")
    assert load_batch(migrated, resource, [older], "r2").counts["stale"] == 1
    with migrated.cursor() as cur:
        cur.execute(
            sql.SQL("UPDATE {} SET local_updated_at = to_timestamp(9e9)").format(sql.Identifier(*resource.table))
        )
    migrated.commit()
    edited = {**newer, "updated_at": Decimal("300")}
    assert load_batch(migrated, resource, [edited], "r3").counts["conflicts"] == 1
    assert fetch(migrated, "SELECT resource, record_id FROM front.sync_conflicts") == [(resource.name, newer["id"])]


def test_a_local_edit_on_a_resource_without_timestamps_is_never_overwritten(migrated):
    load_batch(migrated, resources.INBOXES, [r.inbox("inb_1")], "r1")
    with migrated.cursor() as cur:
        cur.execute("UPDATE front.inboxes SET name = 'Local', local_updated_at = now()")
    migrated.commit()
    result = load_batch(migrated, resources.INBOXES, [{**r.inbox("inb_1"), "name": "Renamed in Front"}], "r2")
    assert result.counts["conflicts"] == 1
    assert fetch(migrated, "SELECT name FROM front.inboxes") == [("Local",)]
