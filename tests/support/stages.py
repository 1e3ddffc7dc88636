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
