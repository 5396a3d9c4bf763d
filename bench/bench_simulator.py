"""Benchmark: pages of 100 contacts per second that the Front simulator serves to one client, on one core.

The simulator runs as its own process (``python -m front_simulator``) pinned to one CPU; the client, a plain
keep-alive HTTP client following ``_pagination.next`` exactly as given, is pinned to another CPU
when there is one. Writes bench/results/bench_simulator.json and prints a table.

    PYTHONPATH=include .venv/bin/python bench/bench_simulator.py [--contacts 100000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import msgspec

from front_sync_testing.bench.machine import machine

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "bench_simulator.json"
TOKEN = "bench-token"

SCENARIOS = (
    ("full listing", {"limit": "100"}),
    (
        "incremental (q[updated_after], sort_by=updated_at asc)",
        {"limit": "100", "q[updated_after]": "1704067200", "sort_by": "updated_at", "sort_order": "asc"},
    ),
)


def start_server(contacts: int, cpu: int | None) -> tuple[subprocess.Popen[str], str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "include"))
    command = [
        sys.executable,
        "-m",
        "front_simulator",
        "--port",
        "0",
        "--seed",
        "1",
        "--contacts",
        str(contacts),
        "--conversations",
        "0",
        "--token",
        TOKEN,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(process.pid, {cpu})
    line = process.stdout.readline().strip() if process.stdout else ""
    if not line.startswith("front_simulator listening on "):
        process.kill()
        raise RuntimeError(f"simulator did not start: {line!r}")
    return process, line.rsplit(" ", 1)[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc), for server-side capacity."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Client:
    """One keep-alive HTTP/1.1 client that follows ``_pagination.next`` exactly as given (any host)."""

    def __init__(self) -> None:
        self.connections: dict[str, http.client.HTTPConnection] = {}
        self.headers = {"Authorization": f"Bearer {TOKEN}"}

    def get(self, url: str) -> tuple[int, bytes]:
        parts = urlsplit(url)
        conn = self.connections.get(parts.netloc)
        if conn is None:
            conn = self.connections[parts.netloc] = http.client.HTTPConnection(parts.netloc, timeout=30)
        conn.request("GET", f"{parts.path}?{parts.query}" if parts.query else parts.path, headers=self.headers)
        response = conn.getresponse()
        return response.status, response.read()


def run_scenario(base: str, params: dict[str, str], seconds: float, server_pid: int) -> dict[str, float]:
    """Page through /contacts again and again for ``seconds``; returns throughput and latency figures."""
    client = Client()
    latencies: list[float] = []
    records = 0
    body_bytes = 0
    passes = 0
    cpu_before = cpu_seconds(server_pid)
    started = time.perf_counter()
    deadline = started + seconds
    first = f"{base}/contacts?{urlencode(params)}"
    while time.perf_counter() < deadline:
        url: str | None = first
        while url and time.perf_counter() < deadline:
            t0 = time.perf_counter()
            status, body = client.get(url)
            payload = msgspec.json.decode(body)
            latencies.append(time.perf_counter() - t0)
            if status != 200:
                raise RuntimeError(f"unexpected {status}: {body[:200]!r}")
            records += len(payload["_results"])
            body_bytes += len(body)
            url = payload["_pagination"]["next"]
        passes += url is None
    elapsed = time.perf_counter() - started
    server_cpu = cpu_seconds(server_pid) - cpu_before
    latencies.sort()
    return {
        "pages": len(latencies),
        "seconds": round(elapsed, 3),
        "pages_per_second": round(len(latencies) / elapsed, 1),
        "contacts_per_second": round(records / elapsed),
        "mb_per_second": round(body_bytes / elapsed / 1e6, 2),
        "latency_ms_p50": round(statistics.median(latencies) * 1000, 2),
        "latency_ms_p95": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 2),
        "server_cpu_seconds": round(server_cpu, 3),
        "server_pages_per_cpu_second": round(len(latencies) / server_cpu, 1) if server_cpu else None,
        "full_passes": passes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="per scenario")
    args = parser.parse_args(argv)

    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    server_cpu = cpus[0] if cpus else None
    client_cpu = cpus[1] if len(cpus) > 1 else None
    if client_cpu is not None:
        os.sched_setaffinity(0, {client_cpu})
    process, base = start_server(args.contacts, server_cpu)
    try:
        figures = {name: run_scenario(base, params, args.seconds, process.pid) for name, params in SCENARIOS}
    finally:
        process.terminate()
        process.wait(timeout=10)

    result = {
        "name": "bench_simulator",
        "parameters": {
            "contacts": args.contacts,
            "page_size": 100,
            "seconds_per_scenario": args.seconds,
            "server_cpu": server_cpu,
            "client_cpu": client_cpu,
            "client": "http.client keep-alive + msgspec",
        },
        "figures": figures,
        "target": {"pages_per_second": 30},
        "machine": machine(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")

    print(f"Front simulator, {args.contacts:,} contacts, pages of 100, server pinned to CPU {server_cpu}")
    print(
        f"{'scenario':<58} {'pages/s':>8} {'contacts/s':>11} {'MB/s':>6} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'pages/server-cpu-s':>19}"
    )
    for name, fig in figures.items():
        print(
            f"{name:<58} {fig['pages_per_second']:>8} {fig['contacts_per_second']:>11,} "
            f"{fig['mb_per_second']:>6} {fig['latency_ms_p50']:>7} {fig['latency_ms_p95']:>7} "
            f"{fig['server_pages_per_cpu_second']:>19}"
        )
    print(f"results: {RESULTS.relative_to(ROOT)}")
    worst = min(fig["pages_per_second"] for fig in figures.values())
    return 0 if worst >= 30 else 1


if __name__ == "__main__":
    sys.exit(main())
