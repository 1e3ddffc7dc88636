"""The benchmark report's arithmetic (the benchmarks themselves run in `make bench`, not here)."""

from __future__ import annotations

from benchmarks.run import gap_percent, stages_within


def test_gap_is_the_relative_distance_above_the_bound() -> None:
    assert gap_percent(21336, 21160) == 0.83
    assert gap_percent(607, 607) == 0.0


def test_a_zero_bound_gives_no_gap_rather_than_a_perfect_one() -> None:
    assert gap_percent(0, 0) == 0.0
    assert gap_percent(200052, 0) is None


def test_every_stage_within_a_share_of_its_bound() -> None:
    def row(gap: float | None) -> dict[str, object]:
        return {"gap_percent": gap}

    assert stages_within([row(0.0), row(0.67), row(1.9)], 2.0)
    assert not stages_within([row(0.0), row(12.1)], 2.0)
    assert not stages_within([row(0.0), row(None)], 2.0)  # a bound of 0 proves nothing
    assert not stages_within([row(1.2)], 1.0)
