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


def run(*args: str | Path, env: dict[str, str] | None = None, stdin: str | None = None,
        cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """`python -m scheduler ARGS` in `cwd` (the repository), with `env` added to the
    environment (the package found from anywhere)."""
    return subprocess.run(
        [sys.executable, "-m", "scheduler", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, timeout=300, input=stdin,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


def errors(stderr: str) -> str:
    """`stderr` without the line each database command starts with (`database: …`)."""
    return "".join(line for line in stderr.splitlines(keepends=True)
                   if not line.startswith("database: "))
