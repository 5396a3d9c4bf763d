"""The command line and the in-process server: start, announce, serve, stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

from front_simulator.server import SimulatorServer

SIMULATOR = Path(__file__).resolve().parents[2] / "simulator"  # the front-sync-simulator distribution


def test_cli_announces_serves_and_stops_on_sigterm():
    env = dict(os.environ, PYTHONPATH=str(SIMULATOR))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "front_simulator",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--seed",
            "3",
            "--contacts",
            "120",
            "--conversations",
            "5",
            "--token",
            "cli-token",
            "--company-id",
            "cmp_cli1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = process.stdout.readline().strip()
        assert line.startswith("front_simulator listening on http://127.0.0.1:"), line
        base = line.rsplit(" ", 1)[1]
        response = requests.get(
            f"{base}/contacts",
            params={"limit": 100},
            headers={"Authorization": "Bearer cli-token"},
            timeout=5,
        )
        assert response.status_code == 200 and len(response.json()["_results"]) == 100
        me = requests.get(f"{base}/me", headers={"Authorization": "Bearer cli-token"}, timeout=5).json()
        assert me["id"] == "cmp_cli1"  # --company-id: /me and webhooks' authorization.id (issue 21)
        assert (
            requests.get(f"{base}/contacts", headers={"Authorization": "Bearer test-token"}, timeout=5).status_code
            == 401
        )
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_server_context_manager_releases_port_and_sizes_zero_work():
    with SimulatorServer(
        seed=1,
        sizes={"contacts": 0, "conversations": 0, "teammates": 0, "tags": 0, "inboxes": 0, "channels": 0},
        port=0,
    ) as sim:
        headers = {"Authorization": f"Bearer {sim.token}"}
        page = requests.get(f"{sim.base_url}/contacts", headers=headers, timeout=5).json()
        assert page["_results"] == [] and page["_pagination"]["next"] is None
        assert requests.get(f"{sim.base_url}/conversations", headers=headers, timeout=5).json()["_results"] == []
        port = sim.port
    # the port is free again once stopped
    with SimulatorServer(seed=1, sizes={"contacts": 1}, port=port) as again:
        assert again.port == port
