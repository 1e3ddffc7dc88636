"""Bad scenario files name the file, the field and the problem; shipped scenarios are valid.

Each bad fixture in tests/data/scenarios/ has one thing wrong (said in its first line). The
checks look at the rendered problem line, which is what `scheduler validate` prints.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
import yaml

from scheduler.domain.errors import InputError
from scheduler.domain.problem import Problem
from scheduler.scenario.expand import expand
from scheduler.scenario.json_schema import SCHEMA_PATH, render_schema, scenario_json_schema
from scheduler.scenario.spec import load_scenario, parse_scenario
from tests.support import DATA, REPO

ROOT = REPO
BAD = DATA / "scenarios"
SCENARIOS = ROOT / "scenarios"
SHIPPED = sorted(SCENARIOS.glob("*.yaml"))


def problem_lines(path: Path) -> list[str]:
    """Load and expand `path`, which must fail; the problems as `validate` would print them."""
    with pytest.raises(InputError) as caught:
        expand(load_scenario(path), str(path))
    lines = [str(p) for p in caught.value.problems]
    assert all(line.startswith(f"{path}: ") for line in lines)
    return lines


def only_problem(name: str) -> str:
    [line] = problem_lines(BAD / name)
    return line


@pytest.mark.parametrize(
    ("fixture", "field", "words"),
    [
        ("missing-field.yaml", "doctors[0].name", "required"),
        ("wrong-type.yaml", "slot_templates[0].seats", "integer"),
        ("unknown-site.yaml", "slot_templates[0].site", "unknown site 'chic'"),
        ("unknown-doctor.yaml", "pinned[0].doctor", "unknown doctor 'dr-b'"),
        ("unknown-slot.yaml", "slot_overrides[0].slot", "unknown slot 'chiv-20260706-2100'"),
        ("unknown-template.yaml", "doctors[0].availability[0].templates",
         "unknown template 'weekend-night'"),
        ("unknown-organisation.yaml", "doctors[0].organisation",
         "unknown organisation 'cpts-b'"),
        ("end-before-start.yaml", "period", "end 2026-07-01 is before start 2026-08-31"),
        ("away-end-before-start.yaml", "doctors[0].away", "ends (2026-07-10) before it starts"),
        ("duplicate-slots.yaml", "slot_templates[1]", "overlapping duplicate slots"),
        ("invalid-rpps.yaml", "doctors[0].rpps", "invalid RPPS number '10000000018'"),
        ("unknown-key.yaml", "doctors[0].availabilty", "not permitted"),
        ("unquoted-time.yaml", "slot_templates[0].start", "string"),
        ("no-gap-model.yaml", "slot_templates[0].seats", "no gap_model"),
    ],
)
def test_bad_scenario_names_the_field_and_the_problem(fixture: str, field: str, words: str) -> None:
    line = only_problem(fixture)
    assert f" {field}: " in line
    assert words in line


def test_duplicate_slots_error_names_both_templates() -> None:
    line = only_problem("duplicate-slots.yaml")
    assert "'evening'" in line and "'monday-evening'" in line and "chiv-20260706-2000" in line


def test_invalid_yaml_names_the_line() -> None:
    assert "invalid YAML at line 5" in only_problem("invalid-yaml.yaml")


def test_invalid_json_names_the_line() -> None:
    assert "invalid JSON at line 3" in only_problem("invalid-json.json")


def test_missing_file_is_an_input_error() -> None:
    assert "cannot read file" in only_problem("no-such-scenario.yaml")


# Shipped scenarios ----------------------------------------------------------------------------


def expanded(path: Path) -> Problem:
    return expand(load_scenario(path), str(path))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenario_expands(path: Path) -> None:
    problem = expanded(path)
    assert problem.slots and problem.doctors


def test_chiv_summer_has_the_documented_size() -> None:
    problem = expanded(SCENARIOS / "chiv-summer-2026.yaml")
    assert (len(problem.slots), problem.total_seats, len(problem.doctors)) == (93, 140, 70)
    assert sum(len(d.availability) for d in problem.doctors) == 1541


def test_chiv_summer_marks_the_july_bridge_and_holidays() -> None:
    slots = expanded(SCENARIOS / "chiv-summer-2026.yaml").slot_by_id()
    assert {"bridge", "holiday"} <= slots["chiv-20260713-0800"].tags
    assert "holiday" in slots["chiv-20260714-2000"].tags
    assert {"holiday", "weekend"} <= slots["chiv-20260815-0800"].tags
    assert "chiv-20260826-2000" not in slots  # cancelled by an override


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "generate_chiv_summer", SCENARIOS / "generate_chiv_summer.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_chiv_summer_file_is_what_the_seeded_generator_writes() -> None:
    generator = _generator()
    committed = (SCENARIOS / "chiv-summer-2026.yaml").read_text(encoding="utf-8")
    assert generator.render(generator.scenario()) == committed


# JSON Schema ----------------------------------------------------------------------------------


def test_committed_json_schema_is_the_generated_one() -> None:
    committed = (ROOT / SCHEMA_PATH).read_text(encoding="utf-8")
    # After changing the scenario schema:
    #   python -c "import scheduler.scenario.json_schema as s; s.write_schema()"
    assert committed == render_schema()


def as_json(data: Any) -> Any:
    """YAML gives dates as `date` objects; JSON Schema sees the ISO strings a JSON file has."""
    return json.loads(json.dumps(data, default=str))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenario_validates_against_json_schema(path: Path) -> None:
    data = as_json(yaml.safe_load(path.read_text(encoding="utf-8")))
    jsonschema.Draft202012Validator(
        scenario_json_schema(), format_checker=jsonschema.FormatChecker()
    ).validate(data)


def test_json_schema_rejects_an_unknown_key() -> None:
    data = as_json(yaml.safe_load((BAD / "unknown-key.yaml").read_text(encoding="utf-8")))
    with pytest.raises(jsonschema.ValidationError, match="availabilty"):
        jsonschema.validate(data, scenario_json_schema())


def test_readme_example_expands() -> None:
    readme = (SCENARIOS / "README.md").read_text(encoding="utf-8")
    example = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    problem = expand(parse_scenario(yaml.safe_load(example), "README.md"), "README.md")
    assert problem.slot_by_id()["chiv-20260710-2000"].seats == 2
    assert set(problem.doctors[0].availability) == {
        "chiv-20260706-2000", "chiv-20260707-2000", "chiv-20260708-2000", "chiv-20260709-2000",
        "chiv-20260712-0800",
    }
