"""Reading the files the CLI accepts: a scenario (YAML/JSON) or an exported problem.json."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from scheduler.domain.errors import InputError
from scheduler.domain.problem import Problem
from scheduler.scenario.exchange import problem_from_data
from scheduler.scenario.expand import expand
from scheduler.scenario.spec import Scenario, parse_scenario, read_document


@dataclass(frozen=True)
class Input:
    problem: Problem
    #: The scenario, when the file was one (None for a problem.json).
    scenario: Scenario | None
    digest: str


def read_input(path: Path) -> Input:
    """A scenario or a problem.json (recognised by `format` or `slots`), validated."""
    data = read_document(path)
    source = str(path)
    if not isinstance(data, dict):
        raise InputError.single(source, "", "expected a mapping at the top level")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if "format" in data or "slots" in data:
        return Input(problem_from_data(data, source), None, digest)
    scenario = parse_scenario(data, source)
    return Input(expand(scenario, source), scenario, digest)
