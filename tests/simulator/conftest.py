"""Fixtures for the simulator tests: one server per session, reset to a known state before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from front_simulator.control import SimulatorControl
from front_simulator.server import SimulatorServer

from .support import SEED, SIZES, TOKEN, Api


@pytest.fixture(scope="session")
def sim() -> Iterator[SimulatorServer]:
    with SimulatorServer(seed=SEED, sizes=SIZES, token=TOKEN, host="127.0.0.1", port=0) as server:
        yield server


@pytest.fixture(scope="session")
def control(sim: SimulatorServer) -> SimulatorControl:
    return SimulatorControl(sim.base_url)


@pytest.fixture(scope="session")
def make_api():
    """Build an ``Api`` client for any simulator server."""
    return lambda server: Api(server.base_url, server.token)


@pytest.fixture
def api(sim: SimulatorServer, control: SimulatorControl) -> Api:
    """A client against freshly reset data: seed SEED, sizes SIZES, no faults, rate limiting off."""
    control.set_rate_limit(None)
    control.reset(seed=SEED, sizes=SIZES)
    return Api(sim.base_url, sim.token)
