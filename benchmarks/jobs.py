"""Solve jobs: throughput of a batch with 1 and with 2 worker processes (their ratio, measured in
one run), and the time from a job's request to its first progress event.

The jobs part of `make bench` (`python -m benchmarks.jobs`). For each database (PostgreSQL:
procrastinate; SQLite: the embedded queue) and each worker count, a fresh database holds
`--jobs` copies of the CHIV summer period; that many `scheduler worker` processes start and
idle; then every job is requested at once (as the API does: a `solve_job` row handed to the
queue) and followed by polling the job table every 20 ms until all are done. Figures: the
batch's wall time and jobs per minute, the ratio of 2 workers to 1, and from each request to
the first progress the job table shows (the worker's pick-up, reading the period, building
the model, CP-SAT's first rota, and the heartbeat that writes it: at most a second apart).
Each solve has the same time limit (`--time-limit`), so the batch's time is set by how many
solves run at once, not by their difficulty.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from sqlmodel import Session, col, select

from benchmarks.load import DEFAULT_POSTGRES_URL, database, percentile
from scheduler.domain.enums import JobState
from scheduler.models import SolveJob
from scheduler.planning.jobs import request_job
from scheduler.planning.queue import job_queue
from scheduler.scenario.inputs import read_input
from scheduler.storage.db import make_engine, migrate, writer
from scheduler.storage.loader import load_scenario_into

STALE = timedelta(seconds=30)


@dataclass
class Batch:
    database: str
    workers: int
    jobs: int
    seconds: float
    jobs_per_minute: float
    first_progress_p50_ms: float
    first_progress_max_ms: float
    #: The first job's, requested when every worker was idle.
    first_progress_idle_ms: float


def _load_copies(url: str, scenario: Path, copies: int, folder: Path) -> list[str]:
    migrate(url)
    engine = make_engine(url)
    periods = []
    try:
        for i in range(copies):
            data = yaml.safe_load(scenario.read_text(encoding="utf-8"))
            data["period"]["id"] = f"{data['period']['id']}-{i}"
            path = folder / f"copy-{i}.yaml"
            path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
            loaded = read_input(path)
            assert loaded.scenario is not None
            with Session(engine) as session:
                load_scenario_into(session, loaded.scenario, loaded.problem, loaded.digest,
                                   now=datetime.now(UTC))
            periods.append(loaded.problem.period.id)
    finally:
        engine.dispose()
    return periods


def _start_workers(url: str, count: int, folder: Path) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "SCHEDULER_DATABASE_URL": url}
    workers = []
    logs = [folder / f"worker-{i}.log" for i in range(count)]
    for log in logs:
        workers.append(subprocess.Popen([sys.executable, "-m", "scheduler", "worker"],
                                        env=env, stdout=log.open("wb"),
                                        stderr=subprocess.STDOUT))
    # Started and idle: each has said so (imports done, migrations checked, listening).
    deadline = time.monotonic() + 60
    while not all(b"worker: running" in log.read_bytes() for log in logs):
        if time.monotonic() > deadline:
            raise RuntimeError("the workers did not start")
        time.sleep(0.05)
    time.sleep(0.5)  # procrastinate's LISTEN is set up just after
    return workers


def run_batch(kind: str, url: str, periods: list[str], workers: int, time_limit: float,
              folder: Path) -> Batch:
    """Request one job per period at once, with `workers` worker processes; wait for all."""
    processes = _start_workers(url, workers, folder)
    engine = make_engine(url)
    try:
        queue = job_queue(engine, STALE)
        requested: dict[int, float] = {}
        started = time.monotonic()
        for period in periods:
            with Session(writer(engine)) as session:
                job = request_job(session, period, requested_by="benchmark",
                                  time_limit_seconds=time_limit, seed=0,
                                  now=datetime.now(UTC), stale_after=STALE)
                queue.hand_over(session, job)
                session.commit()
                assert job.id is not None
                requested[job.id] = time.monotonic()
        first_progress: dict[int, float] = {}
        deadline = started + 20 * time_limit * len(periods) + 60
        while time.monotonic() < deadline:
            with Session(engine) as session:
                jobs = session.exec(select(SolveJob).where(
                    col(SolveJob.id).in_(list(requested)))).all()
            now = time.monotonic()
            for job in jobs:
                assert job.id is not None
                if job.progress is not None and job.id not in first_progress:
                    first_progress[job.id] = now - requested[job.id]
            if all(j.state.finished for j in jobs):
                failed = [j.id for j in jobs if j.state is not JobState.DONE]
                if failed:
                    raise RuntimeError(f"jobs {failed} did not finish done")
                break
            time.sleep(0.02)
        else:
            raise RuntimeError("the batch did not finish in time")
        elapsed = time.monotonic() - started
    finally:
        engine.dispose()
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=60)
    waits = list(first_progress.values())
    first = min(requested)
    return Batch(database=kind, workers=workers, jobs=len(periods), seconds=round(elapsed, 2),
                 jobs_per_minute=round(60 * len(periods) / elapsed, 2),
                 first_progress_p50_ms=percentile(waits, 50),
                 first_progress_max_ms=round(max(waits) * 1000, 1),
                 first_progress_idle_ms=round(first_progress[first] * 1000, 1))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.jobs",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", nargs="+", default=["postgresql", "sqlite"],
                        choices=["sqlite", "postgresql"])
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--scenario", type=Path, default=Path("scenarios/chiv-summer-2026.yaml"))
    parser.add_argument("--jobs", type=int, default=6)
    parser.add_argument("--time-limit", type=float, default=4.0, help="per solve, seconds")
    parser.add_argument("--out", type=Path, default=Path("bench-results/jobs.json"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    batches: list[Batch] = []
    for kind in args.databases:
        for workers in (1, 2):
            with database(kind, args.postgres_url) as url, \
                    tempfile.TemporaryDirectory(prefix="bench-jobs-") as folder:
                periods = _load_copies(url, args.scenario, args.jobs, Path(folder))
                batches.append(run_batch(kind, url, periods, workers, args.time_limit,
                                         Path(folder)))
    print(f"Solve jobs: {args.jobs} CHIV solves of {args.time_limit:g} s each, requested at "
          "once")
    print(f"{'database':<11}{'workers':>8}{'seconds':>9}{'jobs/min':>10}"
          f"{'first progress p50 / max / idle ms':>38}")
    ratios = {}
    for b in batches:
        print(f"{b.database:<11}{b.workers:>8}{b.seconds:>9.1f}{b.jobs_per_minute:>10.1f}"
              f"{b.first_progress_p50_ms:>16.0f} / {b.first_progress_max_ms:.0f} / "
              f"{b.first_progress_idle_ms:.0f}")
    for kind in args.databases:
        one, two = (next(b for b in batches if b.database == kind and b.workers == w)
                    for w in (1, 2))
        ratios[kind] = round(two.jobs_per_minute / one.jobs_per_minute, 2)
        print(f"{kind}: 2 workers / 1 worker throughput = {ratios[kind]}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "benchmark": "jobs", "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
        "settings": {"jobs": args.jobs, "time_limit": args.time_limit,
                     "scenario": str(args.scenario)},
        "results": [asdict(b) for b in batches], "ratio_2_to_1": ratios,
    }, indent=2) + "\n")
    print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
