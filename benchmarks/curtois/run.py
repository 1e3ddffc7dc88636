"""Run a solver over Curtois instances: each roster is written as CSV, then re-read and scored by
the independent evaluator (the solver's own number is reported beside it, never trusted), and
the results are printed as a table and saved as JSON.

    python -m benchmarks.curtois.run --time-limit 60 --instances 1-12 --out bench-results/curtois

`--solver engine` (the default) maps each instance onto the rota engine's own problem and rules
(benchmarks/curtois/engine.py); `--solver reference` runs the direct reference model.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.curtois.engine import engine_solver
from benchmarks.curtois.evaluate import evaluate
from benchmarks.curtois.instance import Instance
from benchmarks.curtois.parse import parse_instance
from benchmarks.curtois.reference_model import ReferenceOptions, solve_reference
from benchmarks.curtois.roster import SolverOutput, read_roster_csv, write_roster_csv
from scheduler.domain.errors import InputError

#: Where the instance files and best-known table live in a clone of the repository.
BENCHMARK_DIR = Path(__file__).resolve().parent

#: (instance, time limit in seconds) → the solver's roster and claims.
SolveFn = Callable[[Instance, float], SolverOutput]


@dataclass(frozen=True, kw_only=True)
class BestKnown:
    lower_bound: int
    best_known: int
    notes: str


@dataclass(frozen=True, kw_only=True)
class Result:
    instance: str
    #: The evaluator's objective, recomputed from the CSV; None when the solver found no roster.
    objective: int | None
    solver_objective: int | None
    solver_bound: int | None
    status: str
    best_known: int | None
    #: 100 × (objective − best known) / best known.
    gap_percent: float | None
    hard_violations: int
    seconds: float
    #: The objective term by term (shift-on, shift-off, under-cover, over-cover).
    terms: dict[str, int]
    #: The first few hard-rule violations, in words.
    violation_examples: list[str]


def load_best_known(path: Path = BENCHMARK_DIR / "best_known.json") -> dict[str, BestKnown]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {name: BestKnown(**entry) for name, entry in raw.items()}


def run_all(instances: Sequence[Path], time_limit: float, solve_fn: SolveFn, out_dir: Path,
            *, best_known: Mapping[str, BestKnown] | None = None) -> list[Result]:
    """Solve each instance file, write out_dir/<Instance>.csv and out_dir/results.json."""
    best = load_best_known() if best_known is None else best_known
    out_dir.mkdir(parents=True, exist_ok=True)
    results = [run_one(path, time_limit, solve_fn, out_dir, best) for path in instances]
    save_results(results, time_limit, out_dir / "results.json")
    return results


def run_one(path: Path, time_limit: float, solve_fn: SolveFn, out_dir: Path,
            best_known: Mapping[str, BestKnown]) -> Result:
    instance = parse_instance(path)
    started = time.monotonic()
    output = solve_fn(instance, time_limit)
    seconds = time.monotonic() - started
    reference = best_known.get(instance.name)
    evaluation = None
    if output.objective is not None:
        csv_path = out_dir / f"{instance.name}.csv"
        write_roster_csv(output.roster, csv_path)
        evaluation = evaluate(instance, read_roster_csv(csv_path))
    objective = None if evaluation is None else evaluation.objective
    return Result(
        instance=instance.name, objective=objective, solver_objective=output.objective,
        solver_bound=output.bound, status=output.status,
        best_known=None if reference is None else reference.best_known,
        gap_percent=(None if objective is None or reference is None else
                     round(100 * (objective - reference.best_known) / reference.best_known, 2)),
        hard_violations=0 if evaluation is None else len(evaluation.violations),
        seconds=round(seconds, 2),
        terms={} if evaluation is None else {
            "shift_on_requests": evaluation.shift_on_requests,
            "shift_off_requests": evaluation.shift_off_requests,
            "under_cover": evaluation.under_cover, "over_cover": evaluation.over_cover},
        violation_examples=[] if evaluation is None else [
            str(v) for v in evaluation.violations[:5]],
    )


def save_results(results: Sequence[Result], time_limit: float, path: Path) -> None:
    document = {
        "benchmark": "Curtois shift scheduling Instances 1-24",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "cpu": cpu_model(),
                    "cpus": os.cpu_count(), "python": platform.python_version()},
        "time_limit_seconds": time_limit,
        "results": [asdict(r) for r in results],
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def cpu_model() -> str:
    """The CPU's marketing name where Linux exposes it, else the architecture."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.machine()


COLUMNS = ("instance", "objective", "bound", "best known", "gap %", "hard viol.", "seconds")


def format_table(results: Sequence[Result]) -> str:
    rows = [COLUMNS] + [
        (r.instance, _text(r.objective), _text(r.solver_bound), _text(r.best_known),
         "no roster" if r.gap_percent is None else f"{r.gap_percent:.2f}",
         str(r.hard_violations), f"{r.seconds:.1f}")
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.rjust(w) if i else cell.ljust(w)
                       for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
             for row in rows]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])


def _text(value: int | None) -> str:
    return "-" if value is None else str(value)


def instance_numbers(text: str) -> list[int]:
    """`1-12`, `3` or `1,3,5-7` → instance numbers; each must be in 1..24."""
    numbers: list[int] = []
    for part in text.split(","):
        first, dash, last = part.strip().partition("-")
        try:
            span = range(int(first), int(last if dash else first) + 1)
        except ValueError:
            raise InputError.single("command line", "--instances",
                                    f"expected numbers like 1-12 or 1,3,5-7, got {text!r}"
                                    ) from None
        if not span or span[0] < 1 or span[-1] > 24:
            raise InputError.single("command line", "--instances",
                                    f"{part.strip()!r} is not a range within 1-24")
        numbers.extend(n for n in span if n not in numbers)
    return numbers


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance")
    parser.add_argument("--instances", default="1-12", help="e.g. 1-12, 3 or 1,3,5-7")
    parser.add_argument("--out", type=Path, default=Path("bench-results/curtois"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--instances-dir", type=Path, default=BENCHMARK_DIR / "instances")
    parser.add_argument("--solver", choices=("engine", "reference"), default="engine",
                        help="the rota engine (default) or the direct reference model")
    args = parser.parse_args(argv)
    make_solver = engine_solver if args.solver == "engine" else reference_solver
    try:
        paths = [args.instances_dir / f"Instance{n}.txt" for n in instance_numbers(args.instances)]
        results = run_all(paths, args.time_limit, make_solver(args.workers, args.seed),
                          args.out)
    except InputError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(format_table(results))
    print()
    print("\n".join(target_lines(results, args.time_limit)))
    print(f"\nRosters and results.json in {args.out}")
    return 0


#: Issue 15's targets: the best known on at least this many of Instances 1–12, a roster on
#: every instance run, each run's wall time within the limit plus 5 % (model build included).
BEST_KNOWN_TARGET = 10
LIMIT_SLACK = 1.05


def target_lines(results: Sequence[Result], time_limit: float) -> list[str]:
    """The targets in words with their figures ("… met" / "… not met"), for the results run."""
    def verdict(ok: bool) -> str:
        return "met" if ok else "not met"

    first = [r for r in results if _number(r.instance) <= 12]
    # (A roster breaking a hard rule may score below the best known: it reaches nothing.)
    reached = [r.instance for r in first if r.gap_percent is not None and r.gap_percent <= 0
               and r.hard_violations == 0]
    with_roster = [r for r in results if r.objective is not None and r.hard_violations == 0]
    kept = [r for r in results if r.seconds <= time_limit * LIMIT_SLACK]
    lines = []
    if first:
        lines.append(f"best known on {len(reached)} of {len(first)} of Instances 1-12 "
                     f"(target {BEST_KNOWN_TARGET} of 12): "
                     f"{verdict(len(reached) >= BEST_KNOWN_TARGET)}")
    lines.append(f"valid roster on {len(with_roster)} of {len(results)} instances "
                 f"(limit {time_limit:g} s): {verdict(len(with_roster) == len(results))}")
    lines.append(f"wall time within the limit + 5 % on {len(kept)} of {len(results)}: "
                 f"{verdict(len(kept) == len(results))}")
    return lines


def _number(name: str) -> int:
    return int(name.removeprefix("Instance"))


def reference_solver(workers: int, seed: int) -> SolveFn:
    """The direct CP-SAT reference model as a SolveFn."""
    def solve(instance: Instance, time_limit: float) -> SolverOutput:
        return solve_reference(instance, ReferenceOptions(
            time_limit_seconds=time_limit, workers=workers, seed=seed))
    return solve


if __name__ == "__main__":
    sys.exit(main())
