"""Run the simulator in-process: uvicorn in a background thread, for tests, benchmarks and the CLI.

with SimulatorServer(seed=1, sizes={"contacts": 500}, port=0) as sim:
    requests.get(f"{sim.base_url}/contacts", headers={"Authorization": f"Bearer {sim.token}"})
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import uvicorn

from front_simulator import DEFAULT_TOKEN
from front_simulator.app import create_app
from front_simulator.gateway import Gateway
from front_simulator.state import SimulatorState

_LINK_HOST_SWAP = {"127.0.0.1": "localhost", "localhost": "127.0.0.1", "::1": "localhost"}


def default_link_host(host: str) -> str:
    """The "company host" for links: another name for the same machine, like Front's company host."""
    if host in _LINK_HOST_SWAP:
        return _LINK_HOST_SWAP[host]
    if host in ("0.0.0.0", "", "::"):
        return "localhost"
    return host


class SimulatorServer:
    """A Front API simulator listening on ``host:port`` (port 0 picks a free port).

    Args:
        seed: data seed; the same seed and sizes give the same company.
        sizes: resource counts (see ``front_simulator.data.SIZE_DEFAULTS``).
        token: the only Bearer token accepted.
        host, port: where to listen.
        link_host: host name used in ``_links`` and ``_pagination.next`` (default: the other name of host).
        rpm, burst_per_second, window_seconds: rate limiting (``rpm=None`` = off).
        clock: time source for timestamps of mutations and for the rate limiter (tests inject one).
        company_id: the Front company id (``/me``, webhooks' ``authorization.id``); default derived from the seed.
    """

    def __init__(
        self,
        seed: int = 1,
        sizes: dict[str, Any] | None = None,
        token: str = DEFAULT_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        link_host: str | None = None,
        rpm: int | None = None,
        burst_per_second: float | None = 5.0,
        window_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
        log_level: str = "warning",
        company_id: str | None = None,
    ):
        self.host = host
        self.token = token
        self.link_host = link_host or default_link_host(host)
        self.state = SimulatorState(seed, sizes, clock=clock, company_id=company_id)
        if rpm is not None:
            self.state.limiter.configure(rpm=rpm, burst_per_second=burst_per_second, window_seconds=window_seconds)
        self._sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.port: int = self._sock.getsockname()[1]
        self.state.set_link_base(f"http://{self._url_host(self.link_host)}:{self.port}")
        self.app = Gateway(create_app(self.state), self.state, token)
        self._config = uvicorn.Config(
            self.app,
            log_level=log_level,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=30,
        )
        self._server = uvicorn.Server(self._config)
        self._thread: threading.Thread | None = None

    @staticmethod
    def _url_host(host: str) -> str:
        return f"[{host}]" if ":" in host else host

    @property
    def base_url(self) -> str:
        return f"http://{self._url_host(self.host)}:{self.port}"

    @property
    def link_base(self) -> str:
        return self.state.link_base

    def start(self, timeout: float = 10.0) -> SimulatorServer:
        """Serve in a background thread; returns once connections are accepted."""
        if self._thread is not None:
            return self
        self._sock.listen(512)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._sock]},
            name=f"front-simulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("front simulator did not start")
            time.sleep(0.005)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and sending webhooks, and release the port."""
        self.state.webhooks.close()
        if self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout)
            self._thread = None
        try:
            self._sock.close()
        except OSError:
            pass

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
