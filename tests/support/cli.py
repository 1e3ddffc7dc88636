"""Running the real `scheduler` command in a subprocess, and the scenario files it is given."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support import REPO

ROOT = REPO
TINY = ROOT / "scenarios" / "tiny.yaml"
CHIV = ROOT / "scenarios" / "chiv-summer-2026.yaml"
BAD = ROOT / "tests" / "data" / "scenarios"


def run(*args: str | Path, env: dict[str, str] | None = None, stdin: str | None = None
        ) -> subprocess.CompletedProcess[str]:
    """`python -m scheduler ARGS` in the repository, with `env` added to the environment."""
    return subprocess.run(
        [sys.executable, "-m", "scheduler", *map(str, args)],
        capture_output=True, text=True, cwd=ROOT, timeout=300, input=stdin,
        env={**os.environ, **(env or {})},
    )
