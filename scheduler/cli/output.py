"""What the commands write: progress lines on stderr, JSON files, folders written all or none."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from scheduler.domain.rota import Progress


def print_progress(event: Progress) -> None:
    """One progress line on stderr: elapsed time, stage, best value and bound."""
    print(f"  [{event.elapsed:6.1f} s] {event.stage:<18} best {event.value:>12.1f}  "
          f"bound {event.bound:>12.1f}", file=sys.stderr, flush=True)


def json_bytes(data: object) -> bytes:
    """Indented UTF-8 JSON with a final newline (problem.json, rota.json)."""
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_all(out: Path, files: dict[str, bytes]) -> None:
    """Write every file or none: stage in a sibling temporary folder, then move into place."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out, prefix=".staging-") as staging:
        for name, content in files.items():
            (Path(staging) / name).write_bytes(content)
        for name in files:
            (Path(staging) / name).replace(out / name)
