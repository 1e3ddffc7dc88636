"""Watching the solver's stages from a test."""

from __future__ import annotations

import pytest

import scheduler.engine.stages as stages


def count_searches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the stages CP-SAT searches on the whole model from now on, in order."""
    return _count(monkeypatch, "search")


def count_regroups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the stages improved by small groups of doctors from now on, in order."""
    return _count(monkeypatch, "regroup")


def _count(monkeypatch: pytest.MonkeyPatch, method: str) -> list[str]:
    names: list[str] = []
    original = getattr(stages._StageRun, method)

    def counted(self: stages._StageRun, *args: object, **kw: object) -> object:
        names.append(self.objective.name)
        return original(self, *args, **kw)

    monkeypatch.setattr(stages._StageRun, method, counted)
    return names


#: CP-SAT deterministic seconds per second of time limit for `budgets_for_any_machine`: a tenth
#: of the engine's `DETERMINISTIC_SECONDS_PER_SECOND`.
SLOW_MACHINE_RATE = 0.03


def budgets_for_any_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Work budgets a tenth of the engine's for each second of time limit, so that the work
    budget, not the clock, ends every phase even on a machine several times slower than the
    reference one (a CI machine four times slower did 0.1 deterministic seconds per second in
    the small group solves, where the engine counts on 0.3: the clock cut the rounds, the rotas
    of two runs differed and the last stages were skipped). For tests of what equal budgets
    give, not of how fast the machine is."""
    monkeypatch.setattr(stages, "DETERMINISTIC_SECONDS_PER_SECOND", SLOW_MACHINE_RATE)
