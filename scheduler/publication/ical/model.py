"""The feed builder's input: calendars of events, already worded, with every timestamp given."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


def require_aware(name: str, value: datetime) -> None:
    """Feeds place events on the time line: a naive time has no instant."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name}: needs a timezone-aware datetime, got {value.isoformat()}")


@dataclass(frozen=True, kw_only=True)
class FeedEvent:
    """One VEVENT. `uid` is stable per assignment; `sequence` grows when the event changes."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    location: str = ""
    description: str = ""
    sequence: int = 0
    last_modified: datetime

    def __post_init__(self) -> None:
        if not self.uid:
            raise ValueError("uid: must not be empty")
        require_aware(f"event {self.uid}: start", self.start)
        require_aware(f"event {self.uid}: end", self.end)
        require_aware(f"event {self.uid}: last_modified", self.last_modified)
        if self.end <= self.start:
            raise ValueError(f"event {self.uid}: end must be after start")
        if self.sequence < 0:
            raise ValueError(f"event {self.uid}: sequence must be >= 0, got {self.sequence}")


@dataclass(frozen=True, kw_only=True)
class FeedCalendar:
    """One subscription: a display name and its events (any order; rendering sorts them)."""

    name: str
    events: Sequence[FeedEvent] = ()
