"""Issue 20 item 2: Resource.parent_column is what the loader fills a sub-resource's conversation id from, so a
sub-resource whose records do not link back to their conversation needs no loader code of its own."""

from __future__ import annotations

from front_sync.resources import Resource, synced
from front_sync.resources.columns import key, linked, text
from front_sync.resources.model import PER_CONVERSATION
from front_sync.warehouse.prepare import prepare_batch

NOTES = Resource(
    name="notes",
    path="/conversations/{parent_id}/notes",
    fields=(key(), linked("conversation_id", "conversation"), text("body")),
    flow=PER_CONVERSATION,
    parent_column="conversation_id",
)


def _conversation_ids(batch) -> dict[str, str | None]:
    return {item.id: item.row[1] for item in batch.prepared.values()}


def test_item2_a_sub_resource_record_that_does_not_link_back_gets_the_conversation_it_was_listed_under():
    records = [
        {"id": "nte_1", "body": "no link back"},
        {"id": "nte_2", "body": "links back", "_links": {"related": {"conversation": "/conversations/cnv_9"}}},
    ]
    batch = prepare_batch(NOTES, records, "run", parent_id="cnv_1")
    assert _conversation_ids(batch) == {"nte_1": "cnv_1", "nte_2": "cnv_9"}  # a link Front sends is kept


def test_item2_without_a_listing_parent_the_column_stays_as_the_record_has_it():
    """Records carried by events are not listed under a conversation: nothing is filled in."""
    batch = prepare_batch(NOTES, [{"id": "nte_1", "body": "x"}], "run")
    assert _conversation_ids(batch) == {"nte_1": None}


def test_item2_every_sub_resource_names_its_conversation_column():
    for resource in synced(PER_CONVERSATION):
        assert resource.parent_column in resource.columns, resource.name
        assert "{parent_id}" in resource.path, resource.name
