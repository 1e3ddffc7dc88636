"""What the commands write: progress lines on stderr, JSON files, folders written all or none."""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlmodel import Session

from scheduler.domain.errors import InputError
from scheduler.domain.rota import Progress


def print_progress(event: Progress) -> None:
    """One progress line on stderr: elapsed time, stage, best value and bound."""
    print(f"  [{event.elapsed:6.1f} s] {event.stage:<18} best {event.value:>12.1f}  "
          f"bound {event.bound:>12.1f}", file=sys.stderr, flush=True)


def json_bytes(data: object) -> bytes:
    """Indented UTF-8 JSON with a final newline (problem.json, rota.json)."""
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_files(out: Path, files: dict[str, bytes]) -> None:
    """`write_all`, a folder that cannot be written being bad input (`--out`)."""
    try:
        write_all(out, files)
    except OSError as exc:
        raise InputError.single("", "--out", f"cannot write into {out}: {exc}") from None


def write_all(out: Path, files: dict[str, bytes]) -> None:
    """Write every file or none: stage in a sibling temporary folder, then move into place."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out, prefix=".staging-") as staging:
        for name, content in files.items():
            (Path(staging) / name).write_bytes(content)
        for name in files:
            (Path(staging) / name).replace(out / name)


def ranged_int(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number within low..high (else a one-line usage error)."""
    def parse(text: str) -> int:
        if not re.fullmatch(r"[0-9]{1,12}", text.strip()):
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high}")
        return value
    return parse


def seconds(text: str) -> float:
    """An argparse type: a time limit in seconds, finite, above 0 and at most a day."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or not 0 < value <= 86_400:
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds above 0 and at most 86400")
    return value


#: CP-SAT's seed is a 32-bit integer.
seed = ranged_int(0, 2**31 - 1)
#: Ids and numbers stored as 32-bit integers.
positive_id = ranged_int(1, 2**31 - 1)


#: Query parameters of a database URL that may carry a secret (libpq's password, sslpassword,
#: sslkey; a token...): never said.
_SECRET_QUERY = re.compile(r"pass|secret|key|token", re.IGNORECASE)


def database_said(url: str) -> str:
    """`url` to name the database used: its password hidden (`***`), in the user part and in
    any query parameter that may hold a secret."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
        hidden = {k: "***" for k in parsed.query if _SECRET_QUERY.search(k)}
        return parsed.update_query_dict(hidden).render_as_string(hide_password=True)
    except Exception:  # an URL SQLAlchemy cannot parse: say nothing of its content
        return "(unreadable database URL)"


@contextmanager
def database_session(*, writes: bool = True) -> Iterator[Session]:
    """A session on the configured database, migrated first, after saying on stderr which
    database it is (`database: sqlite:////srv/scheduler/scheduler.db`)."""
    from scheduler.storage.db import migrated_session

    url = say_database()
    with migrated_session(url, writes=writes) as session:
        yield session


def say_database() -> str:
    """The configured database URL, after saying on stderr which database it is; the data
    folder is made if missing (SQLite makes its file, not the folder)."""
    from scheduler.config.settings import get_settings

    settings = get_settings()
    print(f"database: {database_said(settings.database_url)}", file=sys.stderr, flush=True)
    if settings.database_url.startswith("sqlite:///"):
        try:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError.single("", "SCHEDULER_DATA_DIR", f"cannot make the data folder "
                                    f"{settings.data_dir}: {exc}") from None
    return settings.database_url
