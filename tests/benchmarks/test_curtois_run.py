"""The benchmark runner writes each roster as CSV and reports the evaluator's figures from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.curtois.evaluate import evaluate
from benchmarks.curtois.instance import Instance
from benchmarks.curtois.parse import parse_instance
from benchmarks.curtois.roster import Assignment, SolverOutput
from benchmarks.curtois.run import BENCHMARK_DIR, format_table, instance_numbers, main, run_all
from scheduler.domain.errors import InputError

INSTANCE1 = BENCHMARK_DIR / "instances" / "Instance1.txt"


def lying_solver(instance: Instance, time_limit: float) -> SolverOutput:
    """Everybody works every day they may, and the solver claims the optimum."""
    roster = tuple(Assignment(employee=e.id, day=d, shift="D") for e in instance.staff
                   for d in range(instance.horizon) if d not in instance.days_off[e.id])
    return SolverOutput(roster=roster, objective=607, bound=607, status="optimal")


def no_roster(instance: Instance, time_limit: float) -> SolverOutput:
    return SolverOutput(roster=(), objective=None, bound=None, status="unknown")


def test_objective_is_recomputed_from_the_csv_not_taken_from_the_solver(tmp_path: Path) -> None:
    # Working every allowed day over-covers cheaply but breaks hard rules (minutes, runs).
    (result,) = run_all([INSTANCE1], 1.0, lying_solver, tmp_path)
    instance = parse_instance(INSTANCE1)
    evaluation = evaluate(instance, lying_solver(instance, 1.0).roster)
    assert (result.solver_objective, result.objective) == (607, evaluation.objective)
    assert evaluation.objective != 607
    assert result.hard_violations == len(evaluation.violations) > 0
    assert result.gap_percent == round(100 * (evaluation.objective - 607) / 607, 2)


def test_each_roster_is_written_as_csv_with_the_benchmark_header(tmp_path: Path) -> None:
    run_all([INSTANCE1], 1.0, lying_solver, tmp_path)
    lines = (tmp_path / "Instance1.csv").read_text().splitlines()
    assert lines[0] == "employee,day,shift"
    assert len(lines) == 1 + 8 * 14 - 8


def test_results_json_holds_the_table_machine_and_time_limit(tmp_path: Path) -> None:
    run_all([INSTANCE1], 1.5, lying_solver, tmp_path)
    document = json.loads((tmp_path / "results.json").read_text())
    assert document["time_limit_seconds"] == 1.5
    assert {"date", "machine", "results"} <= set(document)
    (row,) = document["results"]
    assert {"instance", "objective", "solver_bound", "best_known", "gap_percent",
            "hard_violations", "seconds"} <= set(row)
    assert (row["instance"], row["best_known"]) == ("Instance1", 607)


def test_an_instance_without_roster_has_no_objective_and_no_csv(tmp_path: Path) -> None:
    (result,) = run_all([INSTANCE1], 1.0, no_roster, tmp_path)
    assert (result.objective, result.gap_percent, result.status) == (None, None, "unknown")
    assert not (tmp_path / "Instance1.csv").exists()
    assert "no roster" in format_table([result])


def test_instance_ranges_accept_single_numbers_lists_and_spans() -> None:
    assert instance_numbers("1-3,7,2") == [1, 2, 3, 7]


@pytest.mark.parametrize("text", ["0-3", "20-25", "one", "5-3"])
def test_instance_ranges_outside_1_to_24_name_the_option(text: str) -> None:
    with pytest.raises(InputError, match=r"^command line: --instances: "):
        instance_numbers(text)


def test_main_solves_instance1_with_the_reference_model(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--time-limit", "20", "--instances", "1", "--workers", "1",
                 "--out", str(tmp_path)])
    table = capsys.readouterr().out
    assert code == 0
    assert "Instance1        607    607         607   0.00           0" in table
    assert (tmp_path / "Instance1.csv").exists()


def test_main_reports_a_bad_instance_range_without_a_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--instances", "30", "--out", str(tmp_path)]) == 2
    assert "--instances" in capsys.readouterr().err


def test_target_lines_count_best_known_rosters_and_the_kept_limit(tmp_path: Path) -> None:
    from dataclasses import replace

    from benchmarks.curtois.run import target_lines

    (broken,) = run_all([INSTANCE1], 1.0, lying_solver, tmp_path)  # hard violations
    (none,) = run_all([INSTANCE1], 1.0, no_roster, tmp_path)
    reached = replace(broken, hard_violations=0, gap_percent=0.0, objective=607)
    slow = replace(reached, instance="Instance20", seconds=70.0, best_known=4769)
    lines = target_lines([reached, broken, none, slow], 60.0)
    assert lines == [
        "best known on 1 of 3 of Instances 1-12 (target 10 of 12): not met",
        "valid roster on 2 of 4 instances (limit 60 s): not met",
        "wall time within the limit + 5 % on 3 of 4: not met",
    ]
    assert target_lines([slow], 60.0)[0].startswith("valid roster on 1 of 1")
