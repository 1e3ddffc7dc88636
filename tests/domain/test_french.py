"""French words and numbers of the pages."""

from __future__ import annotations

from datetime import UTC, datetime

from scheduler.domain.french import numeric_moment


def test_numeric_moment_is_in_the_periods_time_zone_not_the_servers() -> None:
    winter = datetime(2026, 12, 1, 13, 9, tzinfo=UTC)  # 14:09 in Paris (winter time, UTC+1)
    assert numeric_moment(winter, "Europe/Paris") == "01/12/2026 14:09"
    july = datetime(2027, 7, 5, 22, 30, tzinfo=UTC)  # past midnight in Paris (UTC+2)
    assert numeric_moment(july, "Europe/Paris", year=False) == "06/07 00:30"
