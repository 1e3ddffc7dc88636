"""`scheduler` command line: files (validate, solve, check), the database (load, plan, publish,
export), collecting answers (invite, import-roster, coordinator-link), accounts
(create-manager, api-token), feed-link and serve.

Bad input raises `InputError`, printed as one `error: source: field: message` line per
problem with exit status 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from scheduler.cli import accounts, collection, files, periods
from scheduler.config.settings import get_settings
from scheduler.domain.errors import InputError

#: Exit status of a failure that is not the input's (EX_SOFTWARE).
UNEXPECTED = 70


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit status: 0, 1 for bad input (one line per problem),
    2 for a usage error or a rota with conflicts, 70 for an unexpected failure (one line;
    SCHEDULER_DEBUG=1 shows the traceback)."""
    args = _parser().parse_args(argv)
    try:
        code: int = args.command(args)
        return code
    except InputError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted; nothing more was done", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("SCHEDULER_DEBUG") == "1":
            raise
        print(f"error: unexpected failure ({type(exc).__name__}: {str(exc)[:300]}); "
              "nothing was committed past the last message; SCHEDULER_DEBUG=1 shows the "
              "traceback", file=sys.stderr)
        return UNEXPECTED


def _parser() -> argparse.ArgumentParser:
    settings = get_settings()
    parser = argparse.ArgumentParser(
        prog="scheduler", description="ED relief rota: GP availability → CP-SAT rota → feeds."
    )
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    files.add_commands(sub, settings)
    periods.add_commands(sub, settings)
    collection.add_commands(sub)
    accounts.add_commands(sub)
    periods.add_service_commands(sub, settings)
    return parser


if __name__ == "__main__":
    sys.exit(main())
