"""The fast paths of the model build write what the library's own calls would."""

from __future__ import annotations

from dataclasses import replace

from ortools.sat.python import cp_model

from scheduler.domain.problem import Problem
from scheduler.engine.constraints import RotaModel, add_linear
from tests.support.factories import doctor, problem, slot


def _only_constraint(model: cp_model.CpModel) -> str:
    (constraint,) = model.proto.constraints
    return str(constraint)


def test_add_linear_writes_what_model_add_writes() -> None:
    """The rules' sums (distinct variables, non-zero coefficients) as `model.add` wrote them,
    for the three kinds of bounds the rules use."""
    for bounds in ((cp_model.INT_MIN, 3), (2, cp_model.INT_MAX), (2, 2)):
        ours, theirs = cp_model.CpModel(), cp_model.CpModel()
        a, b, c = (ours.new_int_var(0, 5, n) for n in "abc")
        theirs_vars = [theirs.new_int_var(0, 5, n) for n in "abc"]
        add_linear(ours, [a, b.index, c], [2, 1, -3], *bounds)
        expr = cp_model.LinearExpr.weighted_sum(theirs_vars, [2, 1, -3])
        low, high = bounds
        if low == cp_model.INT_MIN:
            theirs.add(expr <= high)
        elif high == cp_model.INT_MAX:
            theirs.add(expr >= low)
        else:
            theirs.add(expr == low)
        assert _only_constraint(ours) == _only_constraint(theirs), bounds


def test_add_linear_coefficients_default_to_one() -> None:
    model = cp_model.CpModel()
    xs = [model.new_bool_var(f"x{i}") for i in range(4)]
    add_linear(model, xs, None, cp_model.INT_MIN, 2)
    (constraint,) = model.proto.constraints
    assert list(constraint.linear.coeffs) == [1, 1, 1, 1]
    assert list(constraint.linear.vars) == [x.index for x in xs]
    assert model.validate() == ""


def _feasible(p: Problem, pairs: set[tuple[str, str]]) -> bool:
    m = RotaModel.build(p)
    for pair, var in m.x.items():
        m.model.add(var == int(pair in pairs))
    return cp_model.CpSolver().solve(m.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)


def test_one_shift_a_day_holds_where_the_works_literal_stands_for_it() -> None:
    """With a consecutive-days cap the date's "works" exactly-one is made first, and the
    one-shift-a-day rule adds nothing more for that date: two shifts that day stay refused."""
    day = [slot("am", "2026-07-06 08:00"), slot("pm", "2026-07-06 14:00")]
    for caps in ({}, {"max_consecutive_days": 1}):
        p = problem(day, [doctor("x", ["am", "pm"], **caps)], min_rest_hours=0)
        p = replace(p, rules=replace(p.rules, max_shifts_per_day=1))
        assert not _feasible(p, {("x", "am"), ("x", "pm")}), caps
        assert _feasible(p, {("x", "pm")}), caps
