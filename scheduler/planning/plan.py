"""Planning a stored period: the one code path of `scheduler plan` and of solve jobs.

The problem is read from the database, the transaction ended (no lock is held through a solve
of minutes), then solved, or re-planned against the published version when there is one, and
the rota saved as a new draft version with what changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from scheduler.domain.problem import Problem
from scheduler.domain.rota import Rota, RotaDiff, SolveStatus
from scheduler.models import RotaVersion
from scheduler.solver import SolveOptions, replan, solve
from scheduler.storage.problems import problem_from_db
from scheduler.storage.rotas import save_rota


@dataclass(frozen=True)
class Solved:
    """A stored period's problem as solved, its rota, and (when re-planned) what changed."""

    problem: Problem
    rota: Rota
    changes: RotaDiff | None

    @property
    def has_rota(self) -> bool:
        """False when the solve found none (contradictory hard data, or no rota in time): an
        empty version would invite publishing it."""
        return self.rota.status not in (SolveStatus.INFEASIBLE, SolveStatus.UNKNOWN)


def solve_period(session: Session, period_id: str, options: SolveOptions) -> Solved:
    """Read the period and solve it (or re-plan from its published version).

    Ends the session's transaction before solving. Raises `UnknownPeriod`, and
    `SolveCancelled` when `options.cancellation` is cancelled.
    """
    problem = problem_from_db(session, period_id)
    session.commit()
    if problem.published:
        # A published rota: change as few of its assignments as the new data allows.
        rota, changes = replan(problem, problem.published, options)
        return Solved(problem, rota, changes)
    return Solved(problem, solve(problem, options), None)


def save_solved(session: Session, period_id: str, solved: Solved) -> RotaVersion:
    """Save the rota as the period's next draft version, in the session's transaction (the
    caller commits)."""
    return save_rota(session, period_id, solved.problem, solved.rota, changes=solved.changes)
