"""The CP-SAT reference model and the evaluator agree: on published instances with known optima,
and against brute force (every possible roster scored by the evaluator) on tiny random ones."""

from __future__ import annotations

import itertools
import json
import random

import pytest

from benchmarks.curtois.evaluate import evaluate
from benchmarks.curtois.instance import CoverRow, Instance, Request, Shift, Staff
from benchmarks.curtois.parse import parse_instance
from benchmarks.curtois.reference_model import ReferenceOptions, solve_reference
from benchmarks.curtois.roster import Assignment
from tests.support import REPO

BENCHMARK = REPO / "benchmarks" / "curtois"
BEST = json.loads((BENCHMARK / "best_known.json").read_text(encoding="utf-8"))


def published(number: int) -> Instance:
    return parse_instance(BENCHMARK / "instances" / f"Instance{number}.txt")


def test_reference_model_proves_instance1_optimum_607_and_the_evaluator_agrees() -> None:
    output = solve_reference(published(1), ReferenceOptions(time_limit_seconds=30))
    evaluation = evaluate(published(1), output.roster)
    assert (output.status, output.objective, output.bound) == ("optimal", 607, 607)
    assert (evaluation.objective, evaluation.violations) == (607, ())


@pytest.mark.parametrize("number", [2, 3])
def test_reference_model_roster_scores_its_own_objective_and_respects_the_optimum(
        number: int) -> None:
    # A short limit: the optimum (828, 1001) is not always reached, but the evaluator must
    # agree with the solver on whatever roster it returns, and neither may beat the optimum.
    output = solve_reference(published(number), ReferenceOptions(time_limit_seconds=4))
    evaluation = evaluate(published(number), output.roster)
    optimum = BEST[f"Instance{number}"]["best_known"]
    assert output.objective is not None and output.bound is not None
    assert (evaluation.objective, evaluation.violations) == (output.objective, ())
    assert output.bound <= optimum <= evaluation.objective


SHIFTS = (Shift(id="D", minutes=480, forbidden_next=()),
          Shift(id="N", minutes=600, forbidden_next=("D",)))


def random_instance(seed: int, employees: int, shifts: int) -> Instance:
    """A one-week instance small enough to enumerate every roster."""
    rng = random.Random(seed)
    kinds = SHIFTS[:shifts]
    staff = tuple(Staff(
        id=name, max_shifts={s.id: rng.randint(1, 7) for s in kinds},
        max_total_minutes=rng.randint(2000, 4000), min_total_minutes=rng.randint(0, 2000),
        max_consecutive_shifts=rng.randint(2, 5), min_consecutive_shifts=rng.randint(1, 3),
        min_consecutive_days_off=rng.randint(1, 3), max_weekends=rng.randint(0, 1),
    ) for name in "AB"[:employees])

    def requests() -> tuple[Request, ...]:
        return tuple(Request(employee=rng.choice(staff).id, day=rng.randrange(7),
                             shift=rng.choice(kinds).id, weight=rng.randint(1, 3))
                     for _ in range(rng.randint(1, 4)))

    return Instance(
        name=f"random{seed}", horizon=7, shifts=kinds, staff=staff,
        days_off={e.id: frozenset(rng.sample(range(7), rng.randint(0, 1))) for e in staff},
        shift_on_requests=requests(), shift_off_requests=requests(),
        cover=tuple(CoverRow(day=d, shift=s.id, requirement=rng.randint(0, 2), under_weight=100,
                             over_weight=1) for d in range(7) for s in kinds))


def brute_force_optimum(instance: Instance) -> int | None:
    """The least objective over every feasible roster, by the evaluator alone. Every hard rule
    concerns one employee, so each employee's feasible weeks are enumerated first."""
    choices = [None, *(s.id for s in instance.shifts)]
    feasible_weeks = []
    for staff in instance.staff:
        weeks = []
        for pick in itertools.product(choices, repeat=instance.horizon):
            week = tuple(Assignment(employee=staff.id, day=d, shift=s)
                         for d, s in enumerate(pick) if s is not None)
            if not any(v.employee == staff.id for v in evaluate(instance, week).violations):
                weeks.append(week)
        feasible_weeks.append(weeks)
    scores = [evaluate(instance, tuple(itertools.chain(*weeks))).objective
              for weeks in itertools.product(*feasible_weeks)]
    return min(scores, default=None)


#: One employee: seeds 0-7 include an infeasible week (7). Two employees (cover couples them):
#: feasible seeds only, since most random two-employee weeks are infeasible, which tests little.
@pytest.mark.parametrize(("seed", "employees", "shifts"), [
    *((seed, 1, 2) for seed in range(8)),
    *((seed, 2, 1) for seed in (2, 7, 9)),
    *((seed, 2, 2) for seed in (0, 3, 8)),
])
def test_reference_model_optimum_equals_brute_force_over_every_roster(
        seed: int, employees: int, shifts: int) -> None:
    instance = random_instance(seed, employees, shifts)
    output = solve_reference(instance, ReferenceOptions(time_limit_seconds=10, workers=1))
    expected = brute_force_optimum(instance)
    if expected is None:
        assert output.status == "infeasible"
    else:
        assert (output.status, output.objective) == ("optimal", expected)
        assert evaluate(instance, output.roster).violations == ()
