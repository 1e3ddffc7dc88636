"""The command line under bad input, on SQLite and PostgreSQL: every case answers one line per
problem naming the file and the field (exit 1), or a usage error (exit 2), never a traceback
nor an "unexpected failure"; `validate` and `load` refuse the same files; and nothing in the
database changes."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine

from scheduler import cli
from tests.support.cli import CHIV, TINY, errors, run
from tests.support.dump import dump

pytestmark = pytest.mark.usefixtures("configured")

TINY_DATA: dict[str, Any] = yaml.safe_load(TINY.read_text(encoding="utf-8"))
CHIV_DATA: dict[str, Any] = yaml.safe_load(CHIV.read_text(encoding="utf-8"))


def _tiny(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = copy.deepcopy(TINY_DATA)
    change(data)
    return data


def _gap(field: str, value: float) -> dict[str, Any]:
    data = copy.deepcopy(CHIV_DATA)
    data["sites"][0]["gap_model"][field] = value
    return data


def _set(path: tuple[str | int, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        target: Any = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


def _too_many_slots(data: dict[str, Any]) -> None:
    data["period"]["end"] = "2027-07-12"  # a year of 12 slots a day: over 4,000 slots
    data["slot_templates"] = [
        {"id": f"h{hour:02d}", "site": "chiv", "days": ["mon", "tue", "wed", "thu", "fri",
                                                         "sat", "sun"],
         "start": f"{hour:02d}:00", "end": f"{hour + 1:02d}:00", "seats": 1}
        for hour in range(8, 20)]
    for doctor in data["doctors"]:
        doctor.pop("availability", None)


#: name → the scenario (a document, or raw text), and what the message must name.
FILES: dict[str, tuple[dict[str, Any] | str, str]] = {
    "YAML nested 5,000 levels": ("doctors: " + "[" * 5000 + "]" * 5000 + "\n", "nested"),
    "gap model .inf": (_gap("gp_patients_per_hour", float("inf")), "gp_patients_per_hour"),
    "gap model .nan": (_gap("low_acuity_share", float("nan")), "low_acuity_share"),
    "gap model 1e308": (_gap("in_house_absorption_per_hour", 1e308),
                        "in_house_absorption_per_hour"),
    "period in year 0001": (_tiny(_set(("period", "start"), "0001-01-01")), "period.start"),
    "period in year 9999": (_tiny(_set(("period", "end"), "9999-12-31")), "period.end"),
    "NUL in a name": (_tiny(_set(("doctors", 0, "name"), "Dr A\x00lpha")), "doctors[0].name"),
    "5 MB name": (_tiny(_set(("doctors", 0, "name"), "A" * 5_000_000)), "doctors[0].name"),
    "over 4,000 slots": (_tiny(_too_many_slots), "4,000"),
}


def _write(tmp_path: Path, document: dict[str, Any] | str) -> Path:
    path = tmp_path / "scenario.yaml"
    text = document if isinstance(document, str) else yaml.safe_dump(document,
                                                                       allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path


def _one_line_errors(err: str, needle: str) -> None:
    lines = err.strip().splitlines()
    assert lines and all(line.startswith("error: ") for line in lines), err[:500]
    assert needle in err, err[:500]
    assert "Traceback" not in err and "unexpected failure" not in err


@pytest.mark.parametrize("case", list(FILES))
def test_validate_and_load_refuse_the_same_file_naming_the_field(
        case: str, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document, needle = FILES[case]
    path = _write(tmp_path, document)
    before = dump(engine)
    for command in ("validate", "load"):
        assert cli.main([command, str(path)]) == 1, command
        _one_line_errors(errors(capsys.readouterr().err), needle)
    assert dump(engine) == before


def test_a_200_kb_roster_cell_is_one_error_line_and_imports_nothing(
        engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["load", str(TINY)]) == 0
    roster = tmp_path / "membres.csv"
    roster.write_text("name,email\n" + "x" * 200_000 + ",a@example.org\n", encoding="utf-8")
    before = dump(engine)
    assert cli.main(["import-roster", str(roster), "--commit"]) == 1
    _one_line_errors(errors(capsys.readouterr().err),
                     "line 2: a cell is longer than 131,072 characters")
    assert dump(engine) == before


@pytest.mark.parametrize("args", [
    ["plan", "tiny-2026-07", "--seed", str(2**70)],
    ["plan", "tiny-2026-07", "--time-limit", "-1"],
    ["plan", "tiny-2026-07", "--time-limit", "nan"],
    ["plan", "tiny-2026-07", "--time-limit", "inf"],
    ["publish", "tiny-2026-07", "--version", str(2**40)],
    ["serve", "--port", "70000"],
], ids=lambda a: " ".join(a[:1] + a[2:]))
def test_out_of_range_options_are_usage_errors(
        args: list[str], engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["load", str(TINY)]) == 0
    before = dump(engine)
    with pytest.raises(SystemExit) as exit_:
        cli.main(args)
    assert exit_.value.code == 2
    err = errors(capsys.readouterr().err)
    assert "error: argument" in err and "Traceback" not in err
    assert dump(engine) == before


def test_publish_into_a_file_fails_first_and_publishes_nothing(
        engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["load", str(TINY)]) == 0
    assert cli.main(["plan", "tiny-2026-07", "--time-limit", "3"]) == 0
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("")
    before = dump(engine)
    capsys.readouterr()
    assert cli.main(["publish", "tiny-2026-07", "--out", str(a_file)]) == 1
    _one_line_errors(errors(capsys.readouterr().err), "--out")
    assert dump(engine) == before


def test_the_real_command_line_shows_no_traceback(tmp_path: Path) -> None:
    path = _write(tmp_path, FILES["NUL in a name"][0])
    result = run("validate", path)
    assert result.returncode == 1
    _one_line_errors(errors(result.stderr), "doctors[0].name")
