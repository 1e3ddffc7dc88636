"""The load benchmark's own workings, in seconds rather than minutes: its largest period is the
largest allowed, and a short run on SQLite drives every workload with no error and no lost save
(the figures themselves come from `make bench`)."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import load
from scheduler.domain.text import MAX_SLOTS_PER_PERIOD
from scheduler.scenario.inputs import read_input

CHIV = Path("scenarios/chiv-summer-2026.yaml")


def test_the_largest_scenario_holds_nearly_the_most_slots_allowed(tmp_path: Path) -> None:
    problem = read_input(load.largest_scenario(CHIV, tmp_path)).problem
    assert 0.95 * MAX_SLOTS_PER_PERIOD <= len(problem.slots) <= MAX_SLOTS_PER_PERIOD


def test_percentile_is_the_nearest_rank_in_milliseconds() -> None:
    values = [i / 1000 for i in range(1, 101)]  # 1 … 100 ms
    assert (load.percentile(values, 50), load.percentile(values, 95),
            load.percentile(values, 99)) == (50.0, 95.0, 99.0)


def test_a_short_run_drives_every_workload_without_error(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    assert load.main(["--databases", "sqlite", "--clients", "3", "--seconds", "0.3",
                      "--warm-up", "0", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    workloads = [r["workload"] for r in report["results"]]
    assert workloads == [w.name for w in (*load.WORKLOADS, *load.LARGEST_WORKLOADS)]
    assert all(r["requests"] > 0 and not r["errors"] for r in report["results"])
    assert report["saves_lost"] == {"sqlite": 0}
