"""`make bench`: the performance targets of DESIGN, measured, printed and saved as JSON.

Sections (all by default; pick some with --only):
- chiv: the shipped CHIV summer scenario — coverage proven optimal, fairness gap to its proven
  bound, wall time (target: fairness within 1 % of its bound in ≤ 10 s on 2 cores);
- stress: the seeded regional stress scenario (10 sites, 92 days, 1,000 doctors) — time until
  coverage is proven optimal and peak memory, solved in a child process so its memory is its
  own (target: ≤ 60 s, ≤ 2 GB);
- stress5: the same five times over (50 sites, 5,000 doctors): the same measures, with the
  seats covered (target: coverage proven in ≤ 60 s, ≤ 2 GB);
- build: the engine's model for each Curtois instance, in a process of its own — variables,
  constraints, build seconds per variable and peak memory (`benchmarks.curtois.build`; target:
  linear, Instance 24 in seconds);
- curtois: the public Curtois benchmark through `benchmarks.curtois.run` (objective re-evaluated
  from each roster CSV, bound, best known, gap);
- feeds: feed throughput against a constant endpoint of the same app (`bench_feeds`);
- load: 50 concurrent clients saving answers (JSON and form) and polling feeds over real HTTP,
  on SQLite and PostgreSQL: p50/p95/p99, errors and saves lost (`benchmarks.load`);
- jobs: a batch of solve jobs with 1 and 2 worker processes (throughput ratio) and the time
  from a request to its first progress event (`benchmarks.jobs`).
Never part of the test suite: targets are measured here, not asserted in timed tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.synthetic import StressShape, synthetic_problem
from scheduler.domain.rota import Rota
from scheduler.scenario.inputs import read_input
from scheduler.solver import SolveOptions, solve

OUT = Path("bench-results")
CHIV = Path("scenarios/chiv-summer-2026.yaml")
SECTIONS = ("chiv", "stress", "stress5", "build", "curtois", "feeds", "load", "jobs")


#: A solve's wall time may exceed its time limit by this factor (model build included).
LIMIT_SLACK = 1.05


def stage_table(rota: Rota) -> list[dict[str, Any]]:
    rows = []
    for s in rota.stages:
        rows.append({"stage": s.name, "value": s.value, "bound": round(s.bound, 2),
                     "gap_percent": gap_percent(s.value, s.bound), "proven": s.proven,
                     "seconds": round(s.seconds, 2)})
    return rows


def stages_within(stages: list[dict[str, Any]], percent: float) -> bool:
    """Issue 15's test: every stage within `percent` of its bound (a stage without a bound
    above 0 is within only at 0)."""
    return all(s["gap_percent"] is not None and s["gap_percent"] <= percent for s in stages)


def gap_percent(value: float, bound: float) -> float | None:
    """How far above its bound a value is, in %; None when a zero bound makes it meaningless."""
    if value == bound:
        return 0.0
    return round((value - bound) / bound * 100, 2) if bound > 0 else None


def bench_chiv(time_limit: float) -> dict[str, Any]:
    problem = read_input(CHIV).problem
    started = time.monotonic()
    rota = solve(problem, SolveOptions(time_limit_seconds=time_limit))
    wall = time.monotonic() - started
    stages = stage_table(rota)
    fairness = next(s for s in stages if s["stage"] == "fairness")
    return {
        "time_limit": time_limit, "wall_seconds": round(wall, 2), "stages": stages,
        "coverage_proven": stages[0]["proven"],
        "fairness_gap_percent": fairness["gap_percent"],
        "target_met": stages[0]["proven"] and fairness["gap_percent"] is not None
        and fairness["gap_percent"] <= 1.0 and wall <= 10.0,
        # Issue 15: a time limit is a limit — wall time within it plus 5 %, build included.
        "time_limit_kept": wall <= time_limit * LIMIT_SLACK,
        "every_stage_within_1_percent": stages_within(stages, 1.0),
        # Issue 15: the determinism kept (same seed, same rota): no part cut by the clock.
        "reproducible": rota.reproducible,
    }


def bench_stress(time_limit: float, scale: int = 1) -> dict[str, Any]:
    """Run in a child process: its peak memory is then the solve's alone."""
    child = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--stress-child", str(time_limit),
         "--stress-scale", str(scale)],
        capture_output=True, text=True, check=True,
    )
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    result["target_met"] = (result["coverage_proven"]
                            and result["coverage_seconds_from_start"] <= 60
                            and result["peak_memory_mb"] <= 2048)
    result["time_limit_kept"] = result["wall_seconds"] <= time_limit * LIMIT_SLACK
    result["every_stage_within_2_percent"] = stages_within(result["stages"], 2.0)
    return result


def _stress_child(time_limit: float, scale: int) -> None:
    shape = StressShape(sites=10 * scale, doctors=1000 * scale)
    started = time.monotonic()
    problem = synthetic_problem(shape)
    generated = time.monotonic()
    rota = solve(problem, SolveOptions(time_limit_seconds=time_limit))
    solved = time.monotonic()
    stages = stage_table(rota)
    coverage = stages[0]
    print(json.dumps({
        "shape": {"sites": shape.sites, "days": shape.days, "doctors": shape.doctors,
                  "seed": shape.seed},
        "slots": len(problem.slots), "seats": problem.total_seats,
        "answers": sum(len(d.availability) for d in problem.doctors),
        "seats_covered": problem.total_seats - sum(u.seats for u in rota.uncovered),
        "time_limit": time_limit, "wall_seconds": round(solved - generated, 2),
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        # Generation, model build and the coverage stage: when coverage is known optimal.
        "coverage_seconds_from_start": round(time.monotonic() - started
                                             - sum(s["seconds"] for s in stages[1:]), 2),
        "coverage_proven": coverage["proven"], "stages": stages,
    }))


def _print(title: str, data: dict[str, Any]) -> None:
    print(f"\n== {title} ==")
    for key, value in data.items():
        if key != "stages":
            print(f"  {key}: {value}")
    for s in data.get("stages", []):
        proof = "proven" if s["proven"] else "not proven"
        print(f"  {s['stage']:<20} value {s['value']:>12} bound {s['bound']:>12} "
              f"gap {_percent(s['gap_percent']):>8}  {proof:<10} {s['seconds']:>7} s")


def _percent(gap: float | None) -> str:
    return "n/a" if gap is None else f"{gap}%"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", nargs="*", default=list(SECTIONS), choices=SECTIONS)
    parser.add_argument("--chiv-time-limit", type=float, default=10.0)
    parser.add_argument("--stress-time-limit", type=float, default=60.0)
    parser.add_argument("--curtois-time-limit", type=float, default=60.0)
    parser.add_argument("--curtois-instances", default="1-24")
    parser.add_argument("--stress-child", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--stress-scale", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stress_child is not None:
        _stress_child(args.stress_child, args.stress_scale)
        return 0
    OUT.mkdir(exist_ok=True)
    report: dict[str, Any] = {"date": datetime.now(UTC).isoformat(timespec="seconds"),
                              "machine": f"{platform.node()} {platform.processor()} "
                                         f"{_cores()} cores"}
    if "chiv" in args.only:
        report["chiv"] = bench_chiv(args.chiv_time_limit)
        _print("CHIV summer 2026", report["chiv"])
    if "stress" in args.only:
        report["stress"] = bench_stress(args.stress_time_limit)
        _print("regional stress scenario", report["stress"])
    if "stress5" in args.only:
        report["stress5"] = bench_stress(args.stress_time_limit, scale=5)
        _print("regional stress scenario ×5", report["stress5"])
    (OUT / "engine.json").write_text(json.dumps(report, indent=2) + "\n")
    code = 0
    if "build" in args.only:
        from benchmarks.curtois import build as curtois_build

        code |= curtois_build.main(["--instances", args.curtois_instances])
    if "curtois" in args.only:
        from benchmarks.curtois import run as curtois

        code |= curtois.main(["--time-limit", str(args.curtois_time_limit),
                              "--instances", args.curtois_instances])
    if "feeds" in args.only:
        from benchmarks import feeds as bench_feeds

        code |= bench_feeds.main([])
    if "load" in args.only:
        from benchmarks import load as bench_load

        code |= bench_load.main([])
    if "jobs" in args.only:
        from benchmarks import jobs as bench_jobs

        code |= bench_jobs.main([])
    print(f"\nresults saved under {OUT}/")
    return code


def _cores() -> int:
    return os.cpu_count() or 1


if __name__ == "__main__":
    sys.exit(main())
