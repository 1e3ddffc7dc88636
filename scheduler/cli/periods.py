"""Commands on the configured database: `load`, `plan`, `publish`, `export`, and the service's
`feed-link`, `serve` and `worker`."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from scheduler.cli.output import (
    database_session,
    json_bytes,
    positive_id,
    print_progress,
    ranged_int,
    say_database,
    seconds,
    seed,
    write_all,
    write_files,
)
from scheduler.config.settings import Settings, get_settings
from scheduler.domain.enums import TokenKind
from scheduler.domain.errors import InputError
from scheduler.domain.problem import Problem
from scheduler.domain.rota import RotaDiff
from scheduler.engine.eligibility import eligible
from scheduler.models import RotaVersion
from scheduler.scenario.inputs import Input, read_input
from scheduler.storage.db import migrate


def add_commands(sub: Any, settings: Settings) -> None:
    """Add the database commands to the `scheduler` sub-command parser."""
    p = sub.add_parser("load", help="load a scenario or problem.json into the database")
    p.add_argument("file", type=Path)
    p.add_argument("--if-empty", action="store_true",
                   help="only when the database holds no period yet (used by `make run`)")
    p.add_argument("--if-absent", action="store_true",
                   help="only when the database holds no period with the file's id (or "
                        "--period-id)")
    p.add_argument("--starting-in", type=ranged_int(0, 730), metavar="DAYS",
                   help="a scenario moved in time: it starts on the first day with its own "
                        "weekday DAYS days from today or later (a demonstration that lives)")
    p.add_argument("--period-id", metavar="ID", help="the moved period's id (with "
                                                     "--starting-in)")
    p.add_argument("--period-name", metavar="NAME", help="the moved period's name")
    p.set_defaults(command=cmd_load)

    p = sub.add_parser("plan", help="solve a stored period (re-planning from its published "
                                    "rota, if any) and save the rota as a draft version")
    p.add_argument("period")
    p.add_argument("--time-limit", type=seconds, default=settings.solver_time_limit_seconds,
                   metavar="S")
    p.add_argument("--seed", type=seed, default=settings.solver_seed)
    p.add_argument("--if-none", action="store_true",
                   help="only when the period has no rota version yet (used by `make run`)")
    p.set_defaults(command=cmd_plan)

    p = sub.add_parser("publish", help="publish a rota version and write its feeds into DIR")
    p.add_argument("period")
    p.add_argument("--version", type=positive_id, metavar="N",
                   help="rota version number (default: the latest)")
    p.add_argument("--out", type=Path, default=settings.calendars_dir, metavar="DIR")
    p.set_defaults(command=cmd_publish)

    p = sub.add_parser("export", help="write a stored period's problem.json and a version's "
                                      "rota.json into DIR")
    p.add_argument("period")
    p.add_argument("--version", type=positive_id, metavar="N",
                   help="rota version number (default: the latest)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR")
    p.set_defaults(command=cmd_export)


def add_service_commands(sub: Any, settings: Settings) -> None:
    """Add `feed-link`, `serve` and `worker`."""
    p = sub.add_parser("feed-link", help="issue a secret link to a site or the all-shifts feed")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--site", metavar="SITE", help="the feed of one site")
    which.add_argument("--all", action="store_true", help="the managers' all-shifts feed")
    p.add_argument("--rotate", action="store_true",
                   help="revoke the previous links of this feed (their URLs stop working)")
    p.set_defaults(command=cmd_feed_link)

    p = sub.add_parser("serve", help="run the web service")
    p.add_argument("--host", default=settings.host)
    p.add_argument("--port", type=ranged_int(0, 65535), default=settings.port)
    p.add_argument("--workers", type=ranged_int(1, 64), default=1,
                   help="server processes (default 1); rate limits are counted per process")
    p.set_defaults(command=cmd_serve)

    p = sub.add_parser("worker", help="run solve jobs (procrastinate on PostgreSQL, the job "
                                      "table on SQLite) until SIGTERM or Ctrl-C")
    p.add_argument("--concurrency", type=ranged_int(1, 64), default=1,
                   help="jobs run at once (default 1; each solve uses one core)")
    p.add_argument("--until-idle", action="store_true",
                   help="stop once no job is queued or running")
    p.set_defaults(command=cmd_worker)


def cmd_load(args: argparse.Namespace) -> int:
    from sqlmodel import select

    from scheduler.models import TensionPeriod
    from scheduler.storage.loader import load_problem_into, load_scenario_into

    loaded = _moved(args, read_input(args.file))
    with database_session() as session:
        if args.if_empty and session.exec(select(TensionPeriod)).first() is not None:
            print("database already holds a period; nothing loaded")
            return 0
        period_id = loaded.problem.period.id
        if args.if_absent and session.get(TensionPeriod, period_id) is not None:
            print(f"period {period_id} is already loaded; nothing loaded")
            return 0
        now, source = datetime.now(UTC), str(args.file)
        if loaded.scenario is not None:
            result = load_scenario_into(session, loaded.scenario, loaded.problem,
                                        loaded.digest, now=now, source=source)
        else:
            result = load_problem_into(session, loaded.problem, loaded.digest, now=now,
                                       source=source)
    if result.already_loaded:
        print(f"period {result.period_id} already loaded from this file; nothing changed")
        return 0
    print(f"loaded period {result.period_id}: {result.slots} slots, {result.doctors} doctors, "
          f"{result.answers} answers, {result.pins} pinned, {result.removed} removed")
    if result.published_version is not None:
        print(f"its published rota is version {result.published_version}; "
              f"`scheduler publish {result.period_id}` writes its feeds")
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from scheduler.planning.plan import save_solved, solve_period
    from scheduler.solver import SolveOptions
    from scheduler.storage.rotas import rota_versions

    with database_session() as session:
        _stored_problem(session, args.period)  # an unknown period is bad input
        if args.if_none and rota_versions(session, args.period):
            print(f"period {args.period} already has a rota; nothing planned")
            return 0
        # The same path as a solve job (`scheduler.planning`), in the foreground.
        solved = solve_period(session, args.period, SolveOptions(
            time_limit_seconds=args.time_limit, seed=args.seed, progress=print_progress))
        rota = solved.rota
        if not solved.has_rota:
            for c in rota.conflicts:
                print(f"conflict: {c.rule or 'hard rules'}: {c.message} "
                      f"({', '.join(c.records)})", file=sys.stderr)
            print(f"no rota for {args.period} ({rota.status.value}): nothing saved",
                  file=sys.stderr)
            return 2
        version = save_solved(session, args.period, solved)
        session.commit()
        print(f"saved draft rota version {version.number} of {args.period}: "
              f"{len(rota.assignments)} assignments, "
              f"{sum(u.seats for u in rota.uncovered)} uncovered seats")
        if solved.changes is not None:
            print(changes_summary(solved.problem, solved.changes))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from scheduler.scenario.exchange import problem_to_data, stored_rota_to_data
    from scheduler.storage.rotas import rota_versions, version_rota

    with database_session(writes=False) as session:
        problem = _stored_problem(session, args.period)
        files = {"problem.json": json_bytes(problem_to_data(problem))}
        version = None
        if args.version is not None or rota_versions(session, args.period):
            version = _stored_version(session, args.period, args.version)
            files["rota.json"] = json_bytes(stored_rota_to_data(
                problem, version_rota(session, version), solver_status=version.solver_status,
                seed=version.seed, report=version.statistics, version=version.number,
                version_status=version.status.value))
    write_files(args.out, files)
    what = "no rota version yet" if version is None else \
        f"its rota version {version.number} ({version.status.value})"
    print(f"exported period {args.period} and {what} to {args.out}/")
    return 0


def _moved(args: argparse.Namespace, loaded: Input) -> Input:
    """`loaded` moved in time by `--starting-in` (a scenario only), else as it is."""
    if args.starting_in is None:
        if args.period_id or args.period_name:
            raise InputError.single("", "--period-id", "only with --starting-in")
        return loaded
    from datetime import date, timedelta

    from scheduler.scenario.expand import expand
    from scheduler.scenario.shift import shifted

    if loaded.scenario is None:
        raise InputError.single(str(args.file), "", "--starting-in moves a scenario file, "
                                                    "not a problem.json")
    if not args.period_id:
        raise InputError.single("", "--period-id", "a moved period needs its own id")
    source = str(args.file)
    start = date.today() + timedelta(days=args.starting_in)
    scenario = shifted(loaded.scenario, starting_on=start, period_id=args.period_id,
                       name=args.period_name or f"{loaded.scenario.period.name} (démo)",
                       source=source)
    return Input(expand(scenario, source), scenario,
                 f"{loaded.digest}:{scenario.period.start.isoformat()}")


def _stored_problem(session: Session, period_id: str) -> Problem:
    from scheduler.storage.problems import UnknownPeriod, problem_from_db

    try:
        return problem_from_db(session, period_id)
    except UnknownPeriod:
        raise InputError.single("", "period", f"unknown period {period_id!r}") from None


def _stored_version(session: Session, period_id: str, number: int | None) -> RotaVersion:
    from scheduler.storage.problems import UnknownPeriod
    from scheduler.storage.rotas import UnknownVersion, rota_version

    try:
        return rota_version(session, period_id, number)
    except UnknownPeriod:
        raise InputError.single("", "period", f"unknown period {period_id!r}") from None
    except UnknownVersion as exc:
        raise InputError.single("", "version", str(exc)) from None


def changes_summary(problem: Problem, changes: RotaDiff) -> str:
    """What a re-plan changed against the published rota. A published assignment the new data
    still allows moves only to cover a seat of higher priority (coverage ranks first): those
    are flagged, the doctor may need telling."""
    doctors, slots = problem.doctor_by_id(), problem.slot_by_id()

    def still_allowed(doctor: str, slot: str) -> str:
        d, s = doctors.get(doctor), slots.get(slot)
        allowed = d is not None and s is not None and eligible(d, s, problem.tz)
        return " (still available: moved to cover a higher-priority seat)" if allowed else ""

    lines = [f"against the published rota: {len(changes.kept)} kept, {len(changes.moved)} moved,"
             f" {len(changes.added)} added, {len(changes.removed)} removed"]
    lines += [f"  moved {m.slot}: {m.from_doctor} -> {m.to_doctor}"
              f"{still_allowed(m.from_doctor, m.slot)}" for m in changes.moved]
    lines += [f"  removed {p.slot}: {p.doctor}{still_allowed(p.doctor, p.slot)}"
              for p in changes.removed]
    lines += [f"  added {p.slot}: {p.doctor}" for p in changes.added]
    return "\n".join(lines)


def cmd_publish(args: argparse.Namespace) -> int:
    from scheduler.publication.documents import feed_files
    from scheduler.publication.publish import NotPublishable, publish

    settings = get_settings()
    with database_session() as session:
        version = _stored_version(session, args.period, args.version)
        try:
            done = publish(session, args.period, now=datetime.now(UTC),
                           version=version.number, contact=settings.ed_contact)
        except NotPublishable as exc:
            raise InputError.single("", "version", str(exc)) from None
        # The stored bytes, so the files are exactly what the feed URLs serve. Written before
        # the commit: if they cannot be, nothing is published either.
        files = feed_files(session, done.feeds)
        try:
            write_all(args.out, files)
        except OSError as exc:
            session.rollback()
            raise InputError.single("", "--out", f"cannot write the feeds ({exc}); "
                                    "nothing was published") from None
        session.commit()
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
    with database_session() as session:
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


def cmd_worker(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from scheduler.planning.queue import job_queue
    from scheduler.storage.db import make_engine

    settings = get_settings()
    say_database()
    migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        queue = job_queue(engine, timedelta(seconds=settings.job_stale_seconds))
        print(f"worker: running solve jobs, {args.concurrency} at a time", flush=True)
        queue.run_worker(concurrency=args.concurrency, until_idle=args.until_idle)
    finally:
        engine.dispose()
    print("worker: stopped")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    # The server's own settings (links sent away, `Settings.base_url`) follow the host and
    # port it is started on.
    os.environ["SCHEDULER_HOST"], os.environ["SCHEDULER_PORT"] = args.host, str(args.port)
    get_settings.cache_clear()
    url = say_database()
    migrate(url)
    uvicorn.run("scheduler.api:create_app", factory=True, host=args.host, port=args.port,
                workers=args.workers)
    return 0
