"""Browser tests' plumbing: the real app served by uvicorn on loopback, and Debian's chromium
driven by Playwright (never `playwright install`)."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 800}
TABLET = {"width": 768, "height": 1024}
TIMEOUT_MS = 15_000


def require_chromium() -> None:
    """Fail (or skip, when told to) the module when Debian's chromium is missing."""
    if CHROMIUM.exists():
        return
    if os.environ.get("SCHEDULER_SKIP_BROWSER") == "1":
        pytest.skip("chromium missing (SCHEDULER_SKIP_BROWSER=1)", allow_module_level=True)
    pytest.fail(f"{CHROMIUM} is missing: run `make system-deps` (apt-get install chromium), or "
                "set SCHEDULER_SKIP_BROWSER=1 to skip the browser tests", pytrace=False)


def listening_socket() -> tuple[socket.socket, str]:
    """A socket listening on a free loopback port, and the base URL that reaches it. The
    browser's first request simply waits in the backlog: nothing polls for readiness."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    return listener, f"http://127.0.0.1:{listener.getsockname()[1]}"


@contextmanager
def serving(app: FastAPI, listener: socket.socket) -> Iterator[None]:
    """Serve `app` on `listener` in a thread until the block ends."""
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        listener.close()
    assert not thread.is_alive(), "the server did not stop"
