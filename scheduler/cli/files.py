"""Commands on files, no database: `validate`, `solve` and `check`."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scheduler.cli.output import (
    json_bytes,
    print_progress,
    seconds,
    seed,
    write_files,
)
from scheduler.config.settings import Settings, get_settings
from scheduler.domain.errors import InputError
from scheduler.domain.problem import Problem
from scheduler.domain.rota import Assignment, SolveStatus
from scheduler.scenario.inputs import read_input


def add_commands(sub: Any, settings: Settings) -> None:
    """Add the file commands to the `scheduler` sub-command parser."""
    p = sub.add_parser("validate", help="check a scenario or problem.json; exit 1 on problems")
    p.add_argument("file", type=Path)
    p.set_defaults(command=cmd_validate)

    p = sub.add_parser("solve", help="solve a scenario or problem.json (a what-if: nothing is "
                       "published); write the rota and, when there is one, its feeds")
    p.add_argument("file", type=Path)
    p.add_argument("--time-limit", type=seconds, default=settings.solver_time_limit_seconds,
                   metavar="S", help="seconds of search (default %(default)s)")
    p.add_argument("--seed", type=seed, default=settings.solver_seed)
    p.add_argument("--out", type=Path, metavar="DIR",
                   help=f"where to write (default {settings.solves_dir}/PERIOD; never the "
                   f"published feeds' folder {settings.calendars_dir})")
    p.add_argument("--published", type=Path, metavar="ROTA_JSON",
                   help="re-plan: change as few of this rota's assignments as possible")
    p.add_argument("--fast", action="store_true",
                   help="use every core (faster, but not reproducible run to run)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(command=cmd_solve)

    p = sub.add_parser("check", help="check a rota.json against a problem.json, without the model")
    p.add_argument("problem", type=Path)
    p.add_argument("rota", type=Path)
    p.set_defaults(command=cmd_check)


def cmd_validate(args: argparse.Namespace) -> int:
    loaded = read_input(args.file)
    p = loaded.problem
    print(f"{args.file}: ok — period {p.period.id}, {len(p.sites)} sites, {len(p.slots)} slots, "
          f"{p.total_seats} seats, {len(p.doctors)} doctors")
    return 0


def cmd_solve(args: argparse.Namespace) -> int:
    from scheduler.cli.summary import summary
    from scheduler.scenario.exchange import problem_to_data, read_published, rota_to_data
    from scheduler.solver import SolveOptions, replan, solve

    problem = read_input(args.file).problem
    settings = get_settings()
    out = _solve_folder(args.out, settings, problem.period.id)  # refused before the search
    options = SolveOptions(
        time_limit_seconds=args.time_limit,
        seed=args.seed,
        workers=settings.solver_workers,
        deterministic=not args.fast,
        progress=None if args.quiet else print_progress,
    )
    changes = None
    if args.published is not None:
        problem = read_published(args.published, problem)
        rota, changes = replan(problem, problem.published, options)
    else:
        rota = solve(problem, options)
    rota_data = rota_to_data(problem, rota, changes)
    files = {"problem.json": json_bytes(problem_to_data(problem)),
             "rota.json": json_bytes(rota_data)}
    has_rota = rota.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)
    if has_rota:
        files |= feed_files_of(problem, rota.assignments)
    write_files(out, files)
    # A feed of an earlier solve in the folder would contradict this one (no rota, or a
    # doctor no longer in the file): the folder holds this solve's files only.
    for old in sorted(out.glob("*.ics")):
        if old.name not in files and old.name.startswith(("doctor-", "site-", "all-shifts")):
            old.unlink()
    print(summary(problem, rota_data))
    print(f"wrote {len(files)} files to {out}/"
          + ("" if has_rota else f" (no rota, {rota.status.value}: no feeds)"))
    return 0 if rota.conflicts == [] else 2


def _solve_folder(asked: Path | None, settings: Settings, period_id: str) -> Path:
    """Where a what-if solve writes: `asked`, else `solves_dir`/PERIOD; never the published
    feeds' folder or one inside it (`InputError` naming --out)."""
    out = asked if asked is not None else settings.solves_dir / period_id
    published = settings.calendars_dir.resolve()
    if out.resolve() == published or published in out.resolve().parents:
        raise InputError.single("", "--out", f"{out} holds the published feeds: a solve is a "
                                "what-if and writes elsewhere (`scheduler publish` writes "
                                "the feeds)")
    return out


def cmd_check(args: argparse.Namespace) -> int:
    from scheduler.engine.checker import RotaChecker
    from scheduler.scenario.exchange import problem_from_data
    from scheduler.scenario.spec import read_document

    problem = problem_from_data(read_document(args.problem), str(args.problem))
    rota = read_document(args.rota)
    try:
        pairs = [(a["doctor"], a["slot"]) for a in rota["assignments"]]
    except (KeyError, TypeError) as exc:
        raise InputError.single(str(args.rota), "assignments", f"malformed: {exc}") from None
    checker = RotaChecker(problem)
    violations = checker.violations(pairs)
    for v in violations:
        print(f"violation: {v.rule}: doctor {v.doctor or '-'}, slots {', '.join(v.slots)}: "
              f"{v.message}")
    complaints = checker.justified_complaints(pairs)
    uncovered = sum(checker.uncovered_seats(pairs).values())
    print(f"{len(violations)} hard-rule violations, {uncovered} uncovered seats, "
          f"{len(complaints)} justified complaints")
    return 1 if violations else 0


def feed_files_of(problem: Problem, assignments: list[Assignment]) -> dict[str, bytes]:
    from scheduler.publication.ical import doctor_feeds, site_feeds

    stamp = datetime.now(UTC).replace(microsecond=0)
    feeds = doctor_feeds(problem, assignments, stamp=stamp)
    files = {f"doctor-{k}.ics": v for k, v in feeds.items()}
    files |= {f"site-{k}.ics": v for k, v in site_feeds(problem, assignments, stamp=stamp).items()}
    return files
