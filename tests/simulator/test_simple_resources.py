"""A simple listed resource is one table entry plus its data generator (issue 20 item 5): storage, list and get
routes, pagination, rendering and truth come from ``resources.common.simple``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from front_simulator.app.lists import add_routes, resource_routes
from front_simulator.data import Generator
from front_simulator.model import SimpleRecord
from front_simulator.resources import BY_NAME
from front_simulator.resources.common import simple
from front_simulator.server import SimulatorServer
from front_simulator.table import Listing, sizes

from .support import TOKEN, Api


def knowledge_bases(gen: Generator) -> Iterator[SimpleRecord]:
    """The test's data generator: a resource the simulator does not have."""
    rng = gen.rng("knowledge_bases")
    for number in range(gen.size("knowledge_bases")):
        base_id = gen.data.next_id("knb")
        kind = "internal" if rng.random() < 0.5 else "external"
        yield SimpleRecord(
            base_id, {"name": f"Base {number}", "type": kind}, {"articles": f"/knowledge_bases/{base_id}/articles"}
        )


KNOWLEDGE_BASES = simple(
    "knowledge_bases",
    "Knowledge base",
    knowledge_bases,
    sizes=sizes(knowledge_bases=7),
    listing=Listing(max_limit=3, default_limit=3, default_order="asc"),
)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[SimulatorServer, Api]]:
    """A server with the entry plugged in the way the table loop does it: its generation step, then its routes."""
    with SimulatorServer(
        seed=3, sizes={"contacts": 5, "conversations": 2}, token=TOKEN, host="127.0.0.1", port=0
    ) as server:
        gen = Generator(3, {**server.state.sizes, **KNOWLEDGE_BASES.sizes})
        gen.data = server.state.data
        KNOWLEDGE_BASES.generate(gen)
        add_routes(server.app.app, resource_routes(server.state, (KNOWLEDGE_BASES,)))
        yield server, Api(server.base_url, TOKEN)


def test_a_resource_added_as_one_entry_lists_pages_and_finds_over_http(served):
    server, api = served
    pages = api.pages("/knowledge_bases")
    assert [len(p["_results"]) for p in pages] == [3, 3, 1]
    listed = [r for p in pages for r in p["_results"]]
    stored = server.state.data.simple["knowledge_bases"]
    assert [r["id"] for r in listed] == sorted(stored)
    first = listed[0]
    base = server.link_base
    assert first == {
        "_links": {
            "self": f"{base}/knowledge_bases/{first['id']}",
            "related": {"articles": f"{base}/knowledge_bases/{first['id']}/articles"},
        },
        "id": first["id"],
        "name": stored[first["id"]].fields["name"],
        "type": stored[first["id"]].fields["type"],
    }
    assert api.get_json(f"/knowledge_bases/{first['id']}") == first
    missing = api.get("/knowledge_bases/knb_nope")
    assert missing.status_code == 404 and missing.json()["_error"]["message"] == "Knowledge base not found"
    truth = [KNOWLEDGE_BASES.render(server.state.renderer, r) for r in KNOWLEDGE_BASES.records(server.state)]
    assert sorted(truth, key=lambda r: r["id"]) == listed


def test_a_deleted_record_of_a_simple_resource_leaves_the_listing_and_answers_404(served):
    server, api = served
    gone = sorted(server.state.data.simple["knowledge_bases"])[1]
    with server.state.lock:
        server.state.data.simple["knowledge_bases"][gone].deleted = True
        server.state.touch("knowledge_bases")
    pages = api.pages("/knowledge_bases")
    assert [len(p["_results"]) for p in pages] == [2, 3, 1]  # it keeps its slot: a short page, as at Front
    assert gone not in {r["id"] for p in pages for r in p["_results"]}
    assert api.get(f"/knowledge_bases/{gone}").status_code == 404


def test_contact_lists_are_one_simple_entry_listed_and_embedded_in_contacts_alike(sim, api, control):
    assert all(isinstance(r, SimpleRecord) for r in BY_NAME["contact_lists"].records(sim.state))
    listed = api.get_json("/contact_lists")
    assert "_pagination" not in listed and listed["_results"] == control.truth("contact_lists")["_results"]
    by_id = {r["id"]: r for r in listed["_results"]}
    assert all(set(r) == {"_links", "id", "name", "is_private"} for r in by_id.values())
    assert all(("owner" in r["_links"]["related"]) == r["is_private"] for r in by_id.values())
    embedded = [lst for contact in api.all_results("/contacts") for lst in contact["lists"]]
    assert embedded and all(by_id[lst["id"]] == lst for lst in embedded)
    assert api.get(f"/contact_lists/{next(iter(by_id))}").status_code == 404  # Front has no get by id
