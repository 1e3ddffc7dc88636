"""Every rule a rota is judged by, with one identity: `Rule`.

The CP-SAT model (`engine.constraints`, `engine.eligibility`), the independent checker
(`engine.checker`), the explanations and conflicts (`engine.explain`), `rota.json` and the
tests all name a rule by its member here; the member's value is the name reports show.
The rules themselves are DESIGN's ("Rules the rota must respect"), plus the rules of
published staff-scheduling benchmarks (minimum hours, kind caps, shifts per day, forbidden
successions, minimum runs of working days and of days off, weekends).
"""

from __future__ import annotations

from enum import StrEnum


class RuleKind(StrEnum):
    """What a rule constrains, which decides how it is enforced and explained."""

    #: Which doctor may take which slot at all (no variable exists otherwise).
    ELIGIBILITY = "eligibility"
    #: Between two shifts of one doctor.
    SPACING = "spacing"
    #: A doctor's most, over the period, a week, a site, a kind... ("at their cap").
    CAP = "cap"
    #: A doctor's least: a subset of a rota that keeps it may break it, so pinned
    #: assignments alone are not judged by it and shifts are never handed over under it.
    MINIMUM = "minimum"
    #: How many doctors a slot takes.
    SLOT = "slot"
    #: The manager's decisions: pinned and removed assignments.
    MANAGER = "manager"
    #: A rota names known records, each assignment once.
    RECORD = "record"


class Rule(StrEnum):
    """A hard rule; the value is its name in reports (`rota.json`, `scheduler check`)."""

    AVAILABILITY = "availability"
    DATES_AWAY = "dates away"
    SKILLS = "skills"
    NO_OVERLAP = "no overlap"
    MINIMUM_REST = "minimum rest"
    TRAVEL_BUFFER = "travel buffer"
    FORBIDDEN_SUCCESSION = "forbidden succession"
    PERIOD_CAP = "period cap"
    WEEKLY_CAP = "weekly cap"
    HOURS_CAP = "hours cap"
    CONSECUTIVE_DAYS = "consecutive days"
    SITE_CAP = "site cap"
    KIND_CAP = "kind cap"
    SHIFTS_PER_DAY = "daily cap"
    WEEKENDS = "weekend cap"
    MINIMUM_HOURS = "minimum hours"
    MINIMUM_CONSECUTIVE_DAYS = "minimum consecutive days"
    MINIMUM_DAYS_OFF = "minimum days off"
    SEATS = "seats"
    PINNED = "pinned"
    REMOVED = "removed"
    UNKNOWN_RECORD = "unknown record"
    DUPLICATE = "duplicate"

    @property
    def kind(self) -> RuleKind:
        return _KINDS[self]


_KINDS: dict[Rule, RuleKind] = {
    Rule.AVAILABILITY: RuleKind.ELIGIBILITY,
    Rule.DATES_AWAY: RuleKind.ELIGIBILITY,
    Rule.SKILLS: RuleKind.ELIGIBILITY,
    Rule.NO_OVERLAP: RuleKind.SPACING,
    Rule.MINIMUM_REST: RuleKind.SPACING,
    Rule.TRAVEL_BUFFER: RuleKind.SPACING,
    Rule.FORBIDDEN_SUCCESSION: RuleKind.SPACING,
    Rule.PERIOD_CAP: RuleKind.CAP,
    Rule.WEEKLY_CAP: RuleKind.CAP,
    Rule.HOURS_CAP: RuleKind.CAP,
    Rule.CONSECUTIVE_DAYS: RuleKind.CAP,
    Rule.SITE_CAP: RuleKind.CAP,
    Rule.KIND_CAP: RuleKind.CAP,
    Rule.SHIFTS_PER_DAY: RuleKind.CAP,
    Rule.WEEKENDS: RuleKind.CAP,
    Rule.MINIMUM_HOURS: RuleKind.MINIMUM,
    Rule.MINIMUM_CONSECUTIVE_DAYS: RuleKind.MINIMUM,
    Rule.MINIMUM_DAYS_OFF: RuleKind.MINIMUM,
    Rule.SEATS: RuleKind.SLOT,
    Rule.PINNED: RuleKind.MANAGER,
    Rule.REMOVED: RuleKind.MANAGER,
    Rule.UNKNOWN_RECORD: RuleKind.RECORD,
    Rule.DUPLICATE: RuleKind.RECORD,
}


def rules_of(kind: RuleKind) -> frozenset[Rule]:
    """The rules of one kind."""
    return frozenset(rule for rule in Rule if rule.kind is kind)
