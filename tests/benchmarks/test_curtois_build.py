"""The model-size benchmark measures each instance in a process of its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.curtois.build import main, summary


def test_each_instance_is_measured_with_its_model_sizes_and_peak_memory(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "build.json"
    assert main(["--instances", "1-2", "--out", str(out)]) == 0
    rows = json.loads(out.read_text())
    assert [r["instance"] for r in rows] == ["Instance1", "Instance2"]
    # Instance 1: 8 employees, 14 days, one shift type: one variable per employee and day
    # they may work, plus the model's own (uncovered, over-cover, works…).
    assert rows[0]["slots"] == 14 and rows[0]["employees"] == 8
    # Instance 1's model, counted by hand: 162 variables (one per employee × day they may
    # work, plus the uncovered, over-cover and "works" variables).
    assert rows[0]["variables"] == 162
    assert rows[1]["variables"] > rows[0]["variables"]
    # The child's own peak: a Python process with OR-Tools loaded holds tens of MB.
    assert all(r["peak_memory_mb"] > 20 for r in rows)
    assert "build seconds per variable" in capsys.readouterr().out


def test_summary_judges_instance_24_against_seconds() -> None:
    row = {"instance": "Instance24", "variables": 1_130_598, "build_seconds": 35.0,
           "peak_memory_mb": 1181, "microseconds_per_variable": 31.0}
    small = {**row, "instance": "Instance1", "microseconds_per_variable": 28.0}
    lines = summary([small, row])
    assert lines[0].startswith("build seconds per variable: 28-31 µs over 2 instances")
    assert lines[1].endswith("(target: seconds): not met")
