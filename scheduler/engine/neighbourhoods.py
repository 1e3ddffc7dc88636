"""Large-neighbourhood search for the balance stages: better rotas sooner than one search alone.

A single deterministic CP-SAT worker proves a strong bound on the sum of squared loads early, but
then improves its rota slowly. The imbalance a rota has left sits between its most loaded doctors
and those who could relieve them, so each round here frees the assignments of a few heavily
loaded doctors and of a sample of the doctors able to take one of their shifts, keeps everybody
else's rota as it is, and re-solves that small problem with CP-SAT. Every round keeps all hard
rules and every earlier stage (they are constraints of the model), and a round's rota is kept
only when it is strictly better, so the search can only improve.

Deterministic: neighbourhoods are drawn from a seeded generator and every round runs on a
deterministic work budget.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.engine.constraints import RotaModel

#: Heavy doctors freed per round, drawn with a geometric bias towards the most loaded.
HEAVY_PER_ROUND = 4
HEAVY_BIAS = 0.4
#: Doctors freed in the first round; then grown after a round solved to the end, shrunk after
#: a round cut short (tuned on the CHIV scenario).
INITIAL_SIZE = 10
MIN_SIZE, MAX_SIZE = 4, 60
#: Work budget of one round, in CP-SAT deterministic seconds.
ROUND_BUDGET = 0.15
#: Each round is charged at least this much work: loading and presolving the whole model
#: costs a round about 0.1 s whatever CP-SAT then does (CHIV, 2026-12-01: rounds of 15 ms of
#: deterministic time took 143 ms), time the work budget did not count, so deterministic
#: solves ran into the wall clock (a CHIV solve at 10 s, cut in 5 of 5 seeds; 3 of 5 charged).
MIN_ROUND_WORK = 0.03


@dataclass
class SearchResult:
    values: list[int]
    objective: int
    #: A round freed every doctor and found nothing better: `objective` is the optimum.
    proven: bool = False
    rounds: int = 0
    improvements: int = 0
    #: Work charged: CP-SAT's deterministic seconds, at least `MIN_ROUND_WORK` a round.
    deterministic_time: float = 0.0
    wall_time: float = 0.0
    #: The wall budget ended the search, or one of its rounds, before the work budget did (a
    #: slow or busy machine; always so without a work budget): in deterministic mode, the
    #: same input and seed may then give another rota.
    cut_by_clock: bool = False


def improve(
    m: RotaModel,
    values: list[int],
    objective_value: int,
    loads: Callable[[list[int]], dict[str, int]],
    *,
    budget: float,
    wall_budget: float,
    seed: int,
    configure: Callable[[cp_model.CpSolver], None],
    on_improvement: Callable[[int], None] | None = None,
    guard: Callable[[cp_model.CpSolver], AbstractContextManager[None]] | None = None,
) -> SearchResult:
    """Improve a rota (`values`: every model variable) on the model's current objective.

    `loads` gives each doctor's load on the objective being balanced. `budget` is in CP-SAT
    deterministic seconds, `wall_budget` in seconds; `configure` sets a round's solver
    parameters (workers, linearisation) like the stage's own solve; `guard` wraps each round's
    solve (a cancellation: its exception propagates, the model restored).
    """
    rng = random.Random(seed)
    proto = m.model.proto
    x_index = [(doctor, var.index) for (doctor, _), var in m.x.items()]
    # (x variables are booleans: their domain is [low, high]; the proto's repeated fields do
    # not take negative indices.)
    bounds = {index: (proto.variables[index].domain[0], proto.variables[index].domain[1])
              for _, index in x_index}
    offset = round(proto.objective.offset)
    # The caller's hint and objective domain, put back after each round.
    hint = (list(proto.solution_hint.vars), list(proto.solution_hint.values))
    objective_domain = list(proto.objective.domain)
    if objective_domain:
        raise ValueError("the neighbourhood search needs an objective without a domain")
    everybody = sum(1 for slots in m.by_doctor.values() if slots)
    result = SearchResult(values=values, objective=objective_value)
    size = INITIAL_SIZE
    # The wall clock is checked between rounds only (a safety net): a round cut by the clock
    # would make the search depend on the machine's speed.
    while (result.deterministic_time + ROUND_BUDGET <= budget
           and result.wall_time < wall_budget and everybody > 1 and not result.proven):
        round_started = time.monotonic()
        chosen = _neighbourhood(m, loads(result.values), rng, size)
        # The round's problem is the model itself with everybody else's rota fixed and only
        # strictly better objective values allowed; the model is restored right after.
        try:
            for doctor, index in x_index:
                if doctor not in chosen:
                    domain = proto.variables[index].domain
                    domain[0] = domain[1] = result.values[index]
            proto.objective.domain.extend([-(2**62), result.objective - 1 - offset])
            m.model.clear_hints()  # type: ignore[no-untyped-call]
            proto.solution_hint.vars.extend(range(len(result.values)))
            proto.solution_hint.values.extend(result.values)
            solver = cp_model.CpSolver()
            configure(solver)
            solver.parameters.max_deterministic_time = ROUND_BUDGET
            solver.parameters.max_time_in_seconds = wall_budget
            with guard(solver) if guard is not None else nullcontext():
                status = solver.solve(m.model)
        finally:
            for index, (low, high) in bounds.items():
                domain = proto.variables[index].domain
                domain[0], domain[1] = low, high
            proto.objective.domain.clear()
            m.model.clear_hints()  # type: ignore[no-untyped-call]
            proto.solution_hint.vars.extend(hint[0])
            proto.solution_hint.values.extend(hint[1])
        if status == cp_model.MODEL_INVALID:
            raise RuntimeError(f"neighbourhood round: invalid model ({solver.solution_info()})")
        result.rounds += 1
        result.deterministic_time += max(solver.deterministic_time, MIN_ROUND_WORK)
        if status not in (cp_model.OPTIMAL, cp_model.INFEASIBLE) \
                and solver.deterministic_time < ROUND_BUDGET:
            result.cut_by_clock = True  # (this round ended by the clock, not its budget)
        result.wall_time += time.monotonic() - round_started
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            result.values = list(solver.response_proto.solution)
            result.objective = round(solver.objective_value)
            result.improvements += 1
            if on_improvement is not None:
                on_improvement(result.objective)
        if status in (cp_model.OPTIMAL, cp_model.INFEASIBLE):
            # Solved to the end: with every doctor free that is the whole problem solved;
            # else try a bigger neighbourhood.
            result.proven = len(chosen) == everybody
            size = min(MAX_SIZE, size + 2)
        else:
            size = max(MIN_SIZE, size - 2)
    result.cut_by_clock = result.cut_by_clock or (
        result.wall_time >= wall_budget and everybody > 1 and not result.proven
        and result.deterministic_time + ROUND_BUDGET <= budget)
    return result


def _neighbourhood(m: RotaModel, load: dict[str, int], rng: random.Random, size: int
                   ) -> set[str]:
    """A few heavy doctors (most loaded first, with luck) and doctors who could relieve them."""
    ranked = sorted((d for d in m.by_doctor if m.by_doctor[d]),
                    key=lambda d: (-load.get(d, 0), d))
    size = min(size, len(ranked))
    chosen: set[str] = set()
    while len(chosen) < min(HEAVY_PER_ROUND, size):
        chosen.add(ranked[min(int(rng.expovariate(HEAVY_BIAS)), len(ranked) - 1)])
    relievers = sorted({d.id for heavy in chosen for slot in m.by_doctor[heavy]
                        for d in m.by_slot[slot.id]} - chosen)
    rng.shuffle(relievers)
    chosen.update(relievers[: size - len(chosen)])
    others = [d for d in ranked if d not in chosen]
    while len(chosen) < size:
        chosen.add(others.pop(rng.randrange(len(others))))
    return chosen
