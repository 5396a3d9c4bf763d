"""Command line: ``python -m front_simulator --port 8765 --seed 1 --contacts 10000``; serves until SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from front_simulator import DEFAULT_TOKEN
from front_simulator.resources import SIZE_DEFAULTS
from front_simulator.server import SimulatorServer


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m front_simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the Bearer token to accept")
    parser.add_argument(
        "--link-host",
        default=None,
        help="host name in _links and _pagination.next (default: localhost for 127.0.0.1)",
    )
    parser.add_argument("--rpm", type=int, default=None, help="requests per minute per company (default: off)")
    parser.add_argument(
        "--burst",
        type=float,
        default=5.0,
        help="per-resource requests per second when --rpm is set (0 = off)",
    )
    parser.add_argument("--window-seconds", type=float, default=60.0, help="rate-limit window length")
    parser.add_argument("--log-level", default="warning")
    parser.add_argument(
        "--company-id",
        default=None,
        help="Front company id (/me, webhooks' authorization.id); default derived from the seed",
    )
    sizes = parser.add_argument_group("sizes")
    for key, default in SIZE_DEFAULTS.items():
        kind = float if key.endswith("_per_conversation") else int
        sizes.add_argument(
            f"--{key.replace('_', '-')}",
            dest=f"size_{key}",
            type=kind,
            default=None,
            help=f"default {default:g}",
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    sizes = {key: getattr(args, f"size_{key}") for key in SIZE_DEFAULTS if getattr(args, f"size_{key}") is not None}
    server = SimulatorServer(
        seed=args.seed,
        sizes=sizes,
        token=args.token,
        host=args.host,
        port=args.port,
        link_host=args.link_host,
        rpm=args.rpm,
        burst_per_second=args.burst or None,
        window_seconds=args.window_seconds,
        log_level=args.log_level,
        company_id=args.company_id,
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server.start()
    print(f"front_simulator listening on {server.base_url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
