"""The solve-job benchmark's own workings on a small batch (its figures come from
`make bench`): every job done, both worker counts measured, a first progress for each."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import jobs


def test_a_small_batch_runs_with_one_and_two_workers(tmp_path: Path) -> None:
    out = tmp_path / "jobs.json"
    assert jobs.main(["--databases", "sqlite", "--jobs", "2", "--time-limit", "1",
                      "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert [(r["workers"], r["jobs"]) for r in report["results"]] == [(1, 2), (2, 2)]
    assert all(r["first_progress_max_ms"] > 0 for r in report["results"])
    assert report["ratio_2_to_1"]["sqlite"] > 0
