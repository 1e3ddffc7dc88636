"""`scheduler` command line: validate, solve, check, load, plan, publish, serve."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from scheduler.cli.collection import add_commands as add_collection_commands
from scheduler.config.settings import get_settings
from scheduler.domain.enums import TokenKind
from scheduler.domain.errors import InputError
from scheduler.domain.problem import Problem
from scheduler.domain.rota import Assignment, Progress
from scheduler.scenario.inputs import read_input
from scheduler.storage.db import migrate, migrated_session


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        code: int = args.command(args)
        return code
    except InputError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    settings = get_settings()
    parser = argparse.ArgumentParser(
        prog="scheduler", description="ED relief rota: GP availability → CP-SAT rota → feeds."
    )
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check a scenario or problem.json; exit 1 on problems")
    p.add_argument("file", type=Path)
    p.set_defaults(command=cmd_validate)

    p = sub.add_parser("solve", help="solve a scenario or problem.json; write rota and feeds")
    p.add_argument("file", type=Path)
    p.add_argument("--time-limit", type=float, default=settings.solver_time_limit_seconds,
                   metavar="S", help="seconds of search (default %(default)s)")
    p.add_argument("--seed", type=int, default=settings.solver_seed)
    p.add_argument("--out", type=Path, default=settings.calendars_dir, metavar="DIR")
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

    p = sub.add_parser("load", help="load a scenario into the configured database")
    p.add_argument("file", type=Path)
    p.add_argument("--if-empty", action="store_true",
                   help="only when the database holds no period yet (used by `make run`)")
    p.set_defaults(command=cmd_load)

    p = sub.add_parser("plan", help="solve a stored period and save the rota as a draft version")
    p.add_argument("period")
    p.add_argument("--time-limit", type=float, default=settings.solver_time_limit_seconds,
                   metavar="S")
    p.add_argument("--seed", type=int, default=settings.solver_seed)
    p.add_argument("--if-none", action="store_true",
                   help="only when the period has no rota version yet (used by `make run`)")
    p.set_defaults(command=cmd_plan)

    p = sub.add_parser("publish", help="publish a rota version and write its feeds into DIR")
    p.add_argument("period")
    p.add_argument("--version", type=int, metavar="N",
                   help="rota version number (default: the latest)")
    p.add_argument("--out", type=Path, default=settings.calendars_dir, metavar="DIR")
    p.set_defaults(command=cmd_publish)

    add_collection_commands(sub)

    p = sub.add_parser("feed-link", help="issue a secret link to a site or the all-shifts feed")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--site", metavar="SITE", help="the feed of one site")
    which.add_argument("--all", action="store_true", help="the managers' all-shifts feed")
    p.add_argument("--rotate", action="store_true",
                   help="revoke the previous links of this feed (their URLs stop working)")
    p.set_defaults(command=cmd_feed_link)

    p = sub.add_parser("serve", help="run the web service")
    p.add_argument("--host", default=settings.host)
    p.add_argument("--port", type=int, default=settings.port)
    p.set_defaults(command=cmd_serve)
    return parser


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
    options = SolveOptions(
        time_limit_seconds=args.time_limit,
        seed=args.seed,
        workers=settings.solver_workers,
        deterministic=not args.fast,
        progress=None if args.quiet else _print_progress,
    )
    changes = None
    if args.published is not None:
        problem = read_published(args.published, problem)
        rota, changes = replan(problem, problem.published, options)
    else:
        rota = solve(problem, options)
    rota_data = rota_to_data(problem, rota, changes)
    files = {"problem.json": _json_bytes(problem_to_data(problem)),
             "rota.json": _json_bytes(rota_data)}
    files |= _feed_files(problem, rota.assignments)
    _write_all(args.out, files)
    print(summary(problem, rota_data))
    print(f"wrote {len(files)} files to {args.out}/")
    return 0 if rota.conflicts == [] else 2


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


def cmd_load(args: argparse.Namespace) -> int:
    from sqlmodel import select

    from scheduler.models import TensionPeriod
    from scheduler.storage.loader import load_scenario_into

    loaded = read_input(args.file)
    if loaded.scenario is None:
        raise InputError.single(str(args.file), "", "load takes a scenario file, not a problem")
    with migrated_session(get_settings().database_url) as session:
        if args.if_empty and session.exec(select(TensionPeriod)).first() is not None:
            print("database already holds a period; nothing loaded")
            return 0
        result = load_scenario_into(session, loaded.scenario, loaded.problem, loaded.digest,
                                    source=str(args.file))
    if result.already_loaded:
        print(f"period {result.period_id} already loaded from this file; nothing changed")
    else:
        print(f"loaded period {result.period_id}: {result.slots} slots, {result.doctors} doctors,"
              f" {result.answers} answers")
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from scheduler.solver import SolveOptions, solve
    from scheduler.storage.store import UnknownPeriod, problem_from_db, rota_versions, save_rota

    with migrated_session(get_settings().database_url) as session:
        try:
            problem = problem_from_db(session, args.period)
        except UnknownPeriod:
            raise InputError.single("", "period", f"unknown period {args.period!r}") from None
        if args.if_none and rota_versions(session, args.period):
            print(f"period {args.period} already has a rota; nothing planned")
            return 0
        options = SolveOptions(time_limit_seconds=args.time_limit, seed=args.seed,
                               progress=_print_progress)
        rota = solve(problem, options)
        version = save_rota(session, args.period, problem, rota)
        session.commit()
        print(f"saved draft rota version {version.number} of {args.period}: "
              f"{len(rota.assignments)} assignments, "
              f"{sum(u.seats for u in rota.uncovered)} uncovered seats")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from scheduler.publication.documents import feed_files
    from scheduler.publication.publish import UnknownVersion, publish
    from scheduler.storage.store import UnknownPeriod

    settings = get_settings()
    with migrated_session(settings.database_url) as session:
        try:
            done = publish(session, args.period, now=datetime.now(UTC),
                           version=args.version, contact=settings.ed_contact)
        except UnknownPeriod:
            raise InputError.single("", "period", f"unknown period {args.period!r}") from None
        except UnknownVersion as exc:
            raise InputError.single("", "version", str(exc)) from None
        session.commit()
        # The stored bytes, so the files are exactly what the feed URLs serve.
        files = feed_files(session, done.feeds)
    _write_all(args.out, files)
    print(f"published rota version {done.version} of {done.period_id} at "
          f"{done.stamp.isoformat()}: {done.added} shifts added, {done.changed} changed, "
          f"{done.removed} removed; {len(done.changed_feeds)} of {len(done.feeds)} feeds changed")
    print(f"wrote {len(files)} files to {args.out}/")
    return 0


def cmd_feed_link(args: argparse.Namespace) -> int:
    from scheduler.models import SiteRow
    from scheduler.storage import tokens

    settings = get_settings()
    kind = TokenKind.MANAGER_FEED if args.all else TokenKind.SITE_FEED
    with migrated_session(settings.database_url) as session:
        if args.site is not None and session.get(SiteRow, args.site) is None:
            raise InputError.single("", "site", f"unknown site {args.site!r}")
        make = tokens.rotate if args.rotate else tokens.issue
        secret = make(session, kind, now=datetime.now(UTC), site_id=args.site)
        session.commit()
    path = f"/feeds/all/{secret}.ics" if args.all else f"/feeds/site/{args.site}/{secret}.ics"
    url = settings.base_url.rstrip("/") + path
    print(url)
    print("webcal://" + url.split("://", 1)[1])
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    migrate(get_settings().database_url)
    uvicorn.run("scheduler.api:create_app", factory=True, host=args.host, port=args.port)
    return 0


def _print_progress(event: Progress) -> None:
    print(f"  [{event.elapsed:6.1f} s] {event.stage:<18} best {event.value:>12.1f}  "
          f"bound {event.bound:>12.1f}", file=sys.stderr, flush=True)


def _json_bytes(data: object) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _feed_files(problem: Problem, assignments: list[Assignment]) -> dict[str, bytes]:
    from scheduler.publication.ical import doctor_feeds, site_feeds

    stamp = datetime.now(UTC).replace(microsecond=0)
    feeds = doctor_feeds(problem, assignments, stamp=stamp)
    files = {f"doctor-{k}.ics": v for k, v in feeds.items()}
    files |= {f"site-{k}.ics": v for k, v in site_feeds(problem, assignments, stamp=stamp).items()}
    return files


def _write_all(out: Path, files: dict[str, bytes]) -> None:
    """Write every file or none: stage in a sibling temporary folder, then move into place."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out, prefix=".staging-") as staging:
        for name, content in files.items():
            (Path(staging) / name).write_bytes(content)
        for name in files:
            (Path(staging) / name).replace(out / name)


if __name__ == "__main__":
    sys.exit(main())
