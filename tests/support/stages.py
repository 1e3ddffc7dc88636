"""Watching the solver's stages from a test."""

from __future__ import annotations

import pytest

import scheduler.engine.stages as stages


def count_searches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the stages CP-SAT searches on the whole model from now on, in order."""
    searched: list[str] = []
    search = stages._StageRun.search

    def counted(self: stages._StageRun, *args: object, **kw: object) -> bool:
        searched.append(self.objective.name)
        return search(self, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(stages._StageRun, "search", counted)
    return searched
