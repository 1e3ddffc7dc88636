"""A scenario moved in time (`scheduler load --starting-in`): same weekdays, every date moved
by whole weeks, slot ids in overrides and pins moved with them, holiday-only overrides left
behind; through the CLI on both databases, loaded once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from scheduler import cli
from scheduler.scenario.expand import expand
from scheduler.scenario.inputs import read_input
from scheduler.scenario.shift import shifted
from tests.support.cli import CHIV, TINY

SUMMER = read_input(CHIV)


def test_the_moved_period_keeps_its_weekdays_and_its_shape() -> None:
    assert SUMMER.scenario is not None
    moved = shifted(SUMMER.scenario, starting_on=date(2027, 1, 4), period_id="demo",
                    name="Démo")
    original = SUMMER.scenario.period
    delta = moved.period.start - original.start
    assert delta.days % 7 == 0 and moved.period.start >= date(2027, 1, 4)
    assert moved.period.start - date(2027, 1, 4) < timedelta(days=7)
    assert moved.period.start.weekday() == original.start.weekday()
    assert (moved.period.id, moved.period.name) == ("demo", "Démo")
    assert moved.period.end - moved.period.start == original.end - original.start
    assert original.availability_deadline is not None
    assert moved.period.availability_deadline == original.availability_deadline + delta
    assert [d.id for d in moved.doctors] == [d.id for d in SUMMER.scenario.doctors]
    assert moved.doctors[0].away == [(a + delta, b + delta)
                                     for a, b in SUMMER.scenario.doctors[0].away]
    problem = expand(moved, "moved")  # every override and pin names a slot of the new dates
    # Most GPs still answer (rules by weekday keep their meaning).
    answering = sum(1 for d in problem.doctors if d.availability)
    assert answering >= 0.8 * sum(1 for d in SUMMER.problem.doctors if d.availability)


def test_overrides_move_with_their_slots_and_holiday_ones_stay_behind() -> None:
    assert SUMMER.scenario is not None
    original = {o.slot for o in SUMMER.scenario.slot_overrides}
    moved = shifted(SUMMER.scenario, starting_on=date(2027, 1, 4), period_id="demo",
                    name="Démo")
    weeks = (moved.period.start - SUMMER.scenario.period.start).days // 7
    kept = {o.slot for o in moved.slot_overrides}
    assert kept and len(kept) <= len(original)
    for slot in kept:
        site, day, time = slot.rsplit("-", 2)
        before = date(int(day[:4]), int(day[4:6]), int(day[6:])) - timedelta(weeks=weeks)
        assert f"{site}-{before:%Y%m%d}-{time}" in original


@pytest.mark.usefixtures("configured")
def test_the_cli_loads_a_moved_copy_once(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["load", "--if-absent", "--starting-in", "21", "--period-id", "tiny-demo",
            "--period-name", "Démo", str(TINY)]
    assert cli.main(args) == 0
    assert "loaded period tiny-demo" in capsys.readouterr().out
    assert cli.main(args) == 0
    assert "already loaded; nothing loaded" in capsys.readouterr().out
    assert cli.main(["load", str(TINY)]) == 0  # the original beside it


@pytest.mark.usefixtures("configured")
@pytest.mark.parametrize(("args", "needle"), [
    (["--starting-in", "21", str(TINY)], "--period-id: a moved period needs its own id"),
    (["--period-id", "x", str(TINY)], "--period-id: only with --starting-in"),
    (["--starting-in", "99999", "--period-id", "x", str(TINY)], None),
])
def test_bad_moves_are_refused(args: list[str], needle: str | None,
                               capsys: pytest.CaptureFixture[str]) -> None:
    if needle is None:
        with pytest.raises(SystemExit) as usage:
            cli.main(["load", *args])
        assert usage.value.code == 2
        return
    assert cli.main(["load", *args]) == 1
    assert needle in capsys.readouterr().err
