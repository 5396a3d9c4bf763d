"""The simulator's schema-drift knob: fields added to and dropped from what the API serves, never the truth."""

from __future__ import annotations

import pytest
import requests

from front_simulator.control import SimulatorControlError
from front_simulator.server import SimulatorServer


@pytest.fixture(scope="module")
def sim():
    with SimulatorServer(seed=1, sizes={"contacts": 5}, token="t", host="127.0.0.1", port=0) as server:
        yield server


def _first_contact(sim):
    response = requests.get(f"{sim.base_url}/contacts", headers={"Authorization": "Bearer t"}, timeout=10)
    return response.json()["_results"][0]


def test_fields_are_added_and_dropped_in_lists_and_nested_items_until_cleared(sim):
    from front_simulator.control import SimulatorControl

    control = SimulatorControl(sim.base_url)
    control.set_schema_drift("contacts", add={"loyalty_tier": "gold", "handles[].verified": True}, drop=["description"])
    served = _first_contact(sim)
    assert served["loyalty_tier"] == "gold" and "description" not in served
    assert all(h["verified"] is True for h in served["handles"])
    assert "description" in control.truth("contacts")["_results"][0]  # the truth keeps the data

    control.clear_schema_drift()
    served = _first_contact(sim)
    assert "loyalty_tier" not in served and "description" in served


def test_unknown_resources_and_bad_rules_are_refused(sim):
    from front_simulator.control import SimulatorControl

    control = SimulatorControl(sim.base_url)
    with pytest.raises(SimulatorControlError, match="resource must be one of"):
        control.set_schema_drift("nope", add={"x": 1})
    with pytest.raises(SimulatorControlError, match="drop must be a list"):
        control._call("PUT", "/schema", {"resource": "contacts", "drop": "description"})
