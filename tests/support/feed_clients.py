"""The independent iCalendar parsers the feed tests read feeds back with: Mozilla's ical.js
(Thunderbird) through node, and libical (Evolution) through Debian's GObject bindings."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support import REPO

CLIENTS = REPO / "tests" / "feeds_clients"
SKIP_CLIENTS = os.environ.get("SCHEDULER_SKIP_CLIENT_PARSERS") == "1"
INSTALL_HINT = "see tests/feeds_clients/README.md (or SCHEDULER_SKIP_CLIENT_PARSERS=1)"


def run_client(command: list[str], body: bytes) -> dict[str, Any]:
    done = subprocess.run(command, input=body, capture_output=True, timeout=60, check=False)
    if done.returncode != 0:
        pytest.fail(f"{command[-1]} failed: {done.stderr.decode(errors='replace')[-800:]}")
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed


@pytest.fixture(scope="module")
def icaljs() -> list[str]:
    if SKIP_CLIENTS:
        pytest.skip("SCHEDULER_SKIP_CLIENT_PARSERS=1")
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"node is not installed; {INSTALL_HINT}")
    if not (CLIENTS / "node_modules" / "ical.js" / "package.json").exists():
        pytest.fail(f"ical.js is not installed: npm ci --prefix {CLIENTS}; {INSTALL_HINT}")
    return [node, str(CLIENTS / "icaljs_events.mjs")]


@pytest.fixture(scope="module")
def libical() -> list[str]:
    if SKIP_CLIENTS:
        pytest.skip("SCHEDULER_SKIP_CLIENT_PARSERS=1")
    python = "/usr/bin/python3"
    probe = "import gi; gi.require_version('ICalGLib', '3.0'); from gi.repository import ICalGLib"
    if (
        not Path(python).exists()
        or subprocess.run([python, "-c", probe], capture_output=True, check=False).returncode != 0
    ):
        pytest.fail(
            f"libical for {python} is missing (gir1.2-ical-3.0, python3-gi); {INSTALL_HINT}"
        )
    return [python, str(CLIENTS / "libical_events.py")]
