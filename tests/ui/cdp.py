"""A minimal Chrome DevTools Protocol client: headless Debian chromium driven over its websocket, no downloads."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1100",
    "--remote-debugging-port=0",
)


def find_chromium() -> str | None:
    """The chromium binary (Debian's package), if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def install_chromium(timeout: float = 600) -> str | None:
    """apt-get install chromium when running as root with apt-get (CI's .ci/run does the same); the binary or None."""
    import os

    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        if subprocess.run(command, env=env, capture_output=True, timeout=timeout).returncode != 0:
            return None
    return find_chromium()


class CDPError(RuntimeError):
    """The browser answered a command with an error, or a wait ran out."""


class Browser:
    """A headless chromium with a new, empty profile; `page()` is its first tab."""

    def __init__(self, binary: str, profile: Path, log: Path) -> None:
        self.profile = profile
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"], stdout=self._log, stderr=subprocess.STDOUT
        )
        self.port = self._devtools_port()

    def _devtools_port(self, timeout: float = 30) -> int:
        marker = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise CDPError(f"chromium exited with {self.process.returncode}")
            if marker.exists() and marker.read_text().strip():
                return int(marker.read_text().split()[0])
            time.sleep(0.1)
        raise CDPError("chromium did not open its DevTools port")

    def page(self) -> Page:
        """A new tab (cookies are the browser's: shared by every tab)."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/json/new?about:blank", method="PUT")
        with urllib.request.urlopen(request, timeout=10) as response:
            target = json.load(response)
        return Page(target["webSocketDebuggerUrl"])

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


class Page:
    """One tab: commands, JavaScript evaluation, waits, screenshots; console errors are collected."""

    def __init__(self, ws_url: str) -> None:
        self._exit = ExitStack()
        self._ws = self._exit.enter_context(connect(ws_url, max_size=None, open_timeout=10))
        self._next_id = 0
        self.console_errors: list[str] = []
        self.send("Page.enable")
        self.send("Runtime.enable")

    def send(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        command_id = self._next_id
        self._ws.send(json.dumps({"id": command_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self._ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") == command_id:
                if "error" in message:
                    raise CDPError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._event(message)

    def _event(self, message: dict[str, Any]) -> None:
        if message.get("method") == "Runtime.exceptionThrown":
            self.console_errors.append(message["params"]["exceptionDetails"].get("text", "exception"))
        elif message.get("method") == "Runtime.consoleAPICalled" and message["params"]["type"] == "error":
            self.console_errors.append(" ".join(str(a.get("value", "")) for a in message["params"]["args"]))

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the top frame (promises awaited)."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise CDPError(f"JavaScript error: {result['exceptionDetails']}")
        return result["result"].get("value")

    def navigate(self, url: str) -> None:
        self.send("Page.navigate", url=url)

    def wait_for(self, expression: str, timeout: float = 30, what: str | None = None) -> Any:
        """Poll an expression until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        last_error = None
        while time.monotonic() < deadline:
            try:  # an element is not serialisable: it counts as found
                value = self.evaluate(f"(v => v instanceof Node ? true : v)({expression})")
            except CDPError as exc:  # the document may be navigating
                value, last_error = None, exc
            if value:
                return value
            time.sleep(0.25)
        raise CDPError(f"timed out waiting for {what or expression} (last error: {last_error})")

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        self._exit.close()
