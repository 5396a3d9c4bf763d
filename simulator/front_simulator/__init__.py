"""A local stand-in for Front's Core API (frontapp.com): seeded data, Front's quirks, faults, control API.

Run it with ``python -m front_simulator``; embed it with ``front_simulator.server.SimulatorServer``;
drive it with ``front_simulator.control.SimulatorControl``. See README.md beside this file.
"""

CONTROL_PREFIX = "/_simulator"
DEFAULT_TOKEN = "test-token"
