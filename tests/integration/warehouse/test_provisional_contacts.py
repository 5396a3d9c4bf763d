"""Contacts without an id: matched by case-folded email, kept provisional otherwise, merged when the real one comes."""

from __future__ import annotations

import pytest

from front_sync.resources import CONTACTS, CONVERSATIONS, MESSAGES
from front_sync.warehouse.load import load_batch

from . import records as r
from .records import fetch

pytestmark = pytest.mark.integration  # needs the session's PostgreSQL server


def test_unmatched_contact_is_kept_as_a_provisional_row(migrated):
    result = load_batch(
        migrated, CONTACTS, [r.contact(None, name="Ann", handles=(("email", "Ann@Example.com"),))], "r1"
    )
    assert result.counts["created"] == 1
    assert fetch(migrated, "SELECT id, is_provisional, name FROM front.contacts") == [
        ("provisional:ann@example.com", True, "Ann")
    ]
    again = load_batch(migrated, CONTACTS, [r.contact(None, name="Ann", handles=(("email", "ANN@example.com"),))], "r2")
    assert again.counts["updated"] == 1  # the same placeholder, now with the handle as sent this time
    assert fetch(migrated, "SELECT count(*) FROM front.contacts") == [(1,)]


def test_contact_without_id_is_matched_to_the_stored_contact_by_email(migrated):
    load_batch(migrated, CONTACTS, [r.contact("crd_1", "100", handles=(("email", "ann@example.com"),))], "r1")
    match = r.contact(None, "200", name="Ann B.", handles=(("email", "ANN@EXAMPLE.COM"),))
    result = load_batch(migrated, CONTACTS, [match], "r2")
    assert result.counts["updated"] == 1
    assert fetch(migrated, "SELECT id, name, is_provisional FROM front.contacts") == [("crd_1", "Ann B.", False)]
    older = r.contact(None, "50", name="Old", handles=(("email", "ann@example.com"),))
    assert load_batch(migrated, CONTACTS, [older], "r3").counts["stale"] == 1


def test_a_contact_with_its_id_beats_an_id_less_copy_in_the_same_batch(migrated):
    real = r.contact("crd_1", "100", name="Real", handles=(("email", "ann@example.com"),))
    copy = r.contact(None, "900", name="Copy", handles=(("email", "Ann@example.com"),))
    result = load_batch(migrated, CONTACTS, [copy, real], "r1")
    assert {k: v for k, v in result.counts.items() if v} == {"created": 1, "unchanged": 1}
    assert fetch(migrated, "SELECT id, name FROM front.contacts") == [("crd_1", "Real")]


def test_provisional_contact_merges_into_the_real_one_with_handles_and_references(migrated):
    load_batch(
        migrated,
        CONTACTS,
        [r.contact(None, handles=(("email", "ann@example.com"), ("phone", "+1555")), lists=("grp_9",))],
        "r1",
    )
    provisional = "provisional:ann@example.com"
    load_batch(migrated, MESSAGES, [r.message("msg_1")], "r1")
    load_batch(migrated, CONVERSATIONS, [r.conversation("cnv_1")], "r1")
    with migrated.cursor() as cur:  # references that point at the placeholder
        cur.execute(
            "UPDATE front.message_recipients SET contact_id = %s WHERE handle = 'ann@example.com'", (provisional,)
        )
        cur.execute("UPDATE front.conversations SET recipient_contact_id = %s", (provisional,))
    migrated.commit()

    real = r.contact("crd_7", handles=(("email", "Ann@Example.com"),), lists=("grp_1",))
    result = load_batch(migrated, CONTACTS, [real], "r2")

    assert result.counts["created"] == 1 and result.counts["provisional_merged"] == 1
    assert fetch(migrated, "SELECT id FROM front.contacts") == [("crd_7",)]
    assert fetch(migrated, "SELECT source, handle FROM front.contact_handles ORDER BY 1, 2") == [
        ("email", "Ann@Example.com"),
        ("phone", "+1555"),
    ]
    assert fetch(migrated, "SELECT contact_list_id FROM front.contact_list_members ORDER BY 1") == [
        ("grp_1",),
        ("grp_9",),
    ]
    assert fetch(migrated, "SELECT contact_id FROM front.message_recipients WHERE handle = 'ann@example.com'") == [
        ("crd_7",)
    ]
    assert fetch(migrated, "SELECT recipient_contact_id FROM front.conversations") == [("crd_7",)]


def test_id_less_contact_reuses_the_placeholder_of_any_of_its_emails(migrated):
    load_batch(migrated, CONTACTS, [r.contact(None, handles=(("email", "b@x.io"),))], "r1")
    load_batch(migrated, CONTACTS, [r.contact(None, handles=(("email", "a@x.io"), ("email", "b@x.io")))], "r2")
    assert fetch(migrated, "SELECT id FROM front.contacts") == [("provisional:b@x.io",)]


def test_merge_also_happens_when_new_contacts_take_the_all_new_fast_path(migrated):
    load_batch(migrated, CONTACTS, [r.contact(None, handles=(("email", "zoe@x.io"),))], "r1")
    load_batch(migrated, CONTACTS, [r.contact("crd_1", handles=(("email", "a@x.io"),))], "r2")  # all new
    result = load_batch(migrated, CONTACTS, [r.contact("crd_2", handles=(("email", "Zoe@X.io"),))], "r3")
    assert result.counts["created"] == 1 and result.counts["provisional_merged"] == 1
    assert fetch(migrated, "SELECT id FROM front.contacts ORDER BY id") == [("crd_1",), ("crd_2",)]
