"""`python -m front_sync.realtime`: the webhook receiver as a service (uvicorn; FRONT_SYNC_WEBHOOK_* settings)."""

from __future__ import annotations

import logging
import signal
import sys

import uvicorn

from front_sync.realtime.receiver import create_app
from front_sync.realtime.settings import ReceiverSettings


def main() -> None:
    """Serve the receiver until SIGINT/SIGTERM (uvicorn finishes the requests in flight, then flushes counters)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = ReceiverSettings.from_env()
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal to the handler it found: make that
    # a clean exit (status 0, log buffers flushed) rather than a kill or a KeyboardInterrupt traceback.
    for stop in (signal.SIGTERM, signal.SIGINT):
        if signal.getsignal(stop) is not signal.SIG_IGN:
            signal.signal(stop, lambda *_: sys.exit(0))
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        proxy_headers=True,
        server_header=False,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
