"""The benchmark report's arithmetic (the benchmarks themselves run in `make bench`, not here)."""

from __future__ import annotations

from benchmarks.run import gap_percent


def test_gap_is_the_relative_distance_above_the_bound() -> None:
    assert gap_percent(21336, 21160) == 0.83
    assert gap_percent(607, 607) == 0.0


def test_a_zero_bound_gives_no_gap_rather_than_a_perfect_one() -> None:
    assert gap_percent(0, 0) == 0.0
    assert gap_percent(200052, 0) is None
