"""How the engine's model grows with the instance: for each Curtois instance, in a process of
its own (so that its peak memory is its alone), the variables and constraints of the engine's
model, the seconds to map the instance and build the model with its objective, and the peak
resident memory.

    python -m benchmarks.curtois.build --instances 1-24

Issue 15's target: the build is linear in the instance (the seconds per variable stay flat
from the smallest instance to the largest) and Instance 24 builds in seconds. The last lines
say so with the figures.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.curtois.run import BENCHMARK_DIR, instance_numbers
from scheduler.domain.errors import InputError

#: The clone's root, where `python -m benchmarks…` finds the package.
REPO = BENCHMARK_DIR.parent.parent


def measure(path: Path) -> dict[str, Any]:
    """One instance, in this process: sizes, seconds (mapping, build with the objective) and
    the peak resident memory in MB (Linux reports kB)."""
    from benchmarks.curtois.engine import problem_from_instance
    from benchmarks.curtois.parse import parse_instance
    from scheduler.engine.constraints import RotaModel
    from scheduler.engine.objectives import weighted

    started = time.perf_counter()
    problem = problem_from_instance(parse_instance(path))
    mapped = time.perf_counter()
    m = RotaModel.build(problem)
    m.model.minimize(weighted(m).expr)
    built = time.perf_counter()
    variables = len(m.model.proto.variables)
    return {
        "instance": path.stem, "slots": len(problem.slots), "employees": len(problem.doctors),
        "variables": variables, "constraints": len(m.model.proto.constraints),
        "map_seconds": round(mapped - started, 2), "build_seconds": round(built - mapped, 2),
        "microseconds_per_variable": round(1e6 * (built - mapped) / max(1, variables), 1),
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def measure_in_child(path: Path) -> dict[str, Any]:
    child = subprocess.run([sys.executable, "-m", "benchmarks.curtois.build", "--child",
                            str(path)], capture_output=True, text=True, check=False,
                           cwd=REPO)
    if child.returncode != 0:
        raise RuntimeError(f"measuring {path.name} failed:\n{child.stderr}")
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


def summary(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The target lines: how flat the seconds per variable are, and Instance 24's build."""
    per_variable = [r["microseconds_per_variable"] for r in rows]
    lines = [f"build seconds per variable: {min(per_variable):g}-{max(per_variable):g} µs "
             f"over {len(rows)} instances (linear when flat)"]
    for r in rows:
        if r["instance"] == "Instance24":
            lines.append(f"Instance24: {r['variables']:,} variables, built in "
                         f"{r['build_seconds']:g} s, peak {r['peak_memory_mb']:,} MB "
                         f"(target: seconds): {'met' if r['build_seconds'] < 10 else 'not met'}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--instances", default="1-24", help="e.g. 1-24, 3 or 1,3,5-7")
    parser.add_argument("--instances-dir", type=Path, default=BENCHMARK_DIR / "instances")
    parser.add_argument("--out", type=Path, default=Path("bench-results/curtois/build.json"))
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(measure(args.child)))
        return 0
    try:
        numbers = instance_numbers(args.instances)
    except InputError as exc:
        print(exc, file=sys.stderr)
        return 2
    rows = []
    print("instance     slots  employees  variables  constraints  build s  µs/var  peak MB")
    for n in numbers:
        row = measure_in_child(args.instances_dir / f"Instance{n}.txt")
        rows.append(row)
        print(f"{row['instance']:<11} {row['slots']:>6} {row['employees']:>10} "
              f"{row['variables']:>10} {row['constraints']:>12} {row['build_seconds']:>8} "
              f"{row['microseconds_per_variable']:>7} {row['peak_memory_mb']:>8}", flush=True)
    print()
    print("\n".join(summary(rows)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    print(f"\nSaved in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
