"""iCalendar feeds: content, reproducible bytes, RFC 5545 syntax, and instants as read back
by icalendar and by two independent parsers (Mozilla's ical.js and libical)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar, Event

from scheduler.domain.problem import Doctor, Period, Problem, Rules, Site, Slot
from scheduler.domain.rota import Assignment
from scheduler.publication.ical import (
    FeedCalendar,
    FeedEvent,
    all_shifts_feed,
    doctor_feeds,
    events_for_rota,
    render_calendar,
    site_feeds,
)
from scheduler.publication.ical.vtimezone import vtimezone
from tests.support import REPO
from tests.support.feed_clients import icaljs, libical, run_client  # noqa: F401  (fixtures)

PARIS = ZoneInfo("Europe/Paris")
STAMP = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def make_problem() -> Problem:
    sites = (
        Site(
            id="chiv",
            name="CHIV — Urgences adultes",
            address="40, allée de la Source; 94190 Villeneuve-Saint-Georges",
            contact="Cadre de santé des urgences, 01 43 86 20 00",
        ),
        Site(id="chic", name="CHIC", address="40 avenue de Verdun, 94000 Créteil"),
    )
    slots = (
        # Summer (CEST), ending at midnight.
        Slot(
            id="jul14-eve",
            site="chiv",
            start=paris(2026, 7, 14, 20),
            end=paris(2026, 7, 15, 0),
            seats=1,
            label="Soirée du 14 juillet",
        ),
        # Winter (CET), no label: the summary shows the hours.
        Slot(
            id="dec20-day",
            site="chiv",
            start=paris(2026, 12, 20, 14),
            end=paris(2026, 12, 20, 20),
            seats=1,
        ),
        # 20:00–08:00 across the last Sunday of October: 13 h of real time.
        Slot(
            id="oct24-night",
            site="chiv",
            start=paris(2026, 10, 24, 20),
            end=paris(2026, 10, 25, 8),
            seats=2,
            tags=frozenset({"night"}),
        ),
        Slot(
            id="aug15-day",
            site="chic",
            start=paris(2026, 8, 15, 8),
            end=paris(2026, 8, 15, 14),
            seats=1,
        ),
    )
    doctors = (
        Doctor(id="d1", name="Dr Éloïse Martin-Laforêt"),
        Doctor(id="d2", name="Dr Jean Dupont"),
        Doctor(id="d3", name="Dr Zoé Sans-Garde"),
    )
    period = Period(id="p2026", start=date(2026, 7, 1), end=date(2026, 12, 31))
    return Problem(period=period, rules=Rules(), sites=sites, slots=slots, doctors=doctors)


PROBLEM = make_problem()
ROTA = (
    Assignment(doctor="d1", slot="jul14-eve"),
    Assignment(doctor="d1", slot="dec20-day"),
    Assignment(doctor="d1", slot="oct24-night"),
    Assignment(doctor="d2", slot="oct24-night"),
    Assignment(doctor="d2", slot="aug15-day"),
)


def vevents(body: bytes) -> list[Event]:
    return [e for e in Calendar.from_ical(body).walk("VEVENT") if isinstance(e, Event)]


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def slot_of(uid: str) -> Slot:
    return PROBLEM.slot_by_id()[uid.split(".", 1)[0]]


def expected_instants(assignments: tuple[Assignment, ...]) -> list[tuple[str, datetime, datetime]]:
    slots = PROBLEM.slot_by_id()
    found = [(a.slot, utc(slots[a.slot].start), utc(slots[a.slot].end)) for a in assignments]
    return sorted(found, key=lambda item: (item[1], item[0]))


def read_instants(body: bytes) -> list[tuple[str, datetime, datetime]]:
    found = [
        (slot_of(str(e["UID"])).id, utc(e.decoded("DTSTART")), utc(e.decoded("DTEND")))
        for e in vevents(body)
    ]
    return sorted(found, key=lambda item: (item[1], item[0]))


def all_feeds() -> dict[str, bytes]:
    feeds = {f"doctor {k}": v for k, v in doctor_feeds(PROBLEM, ROTA, stamp=STAMP).items()}
    feeds |= {f"site {k}": v for k, v in site_feeds(PROBLEM, ROTA, stamp=STAMP).items()}
    feeds["all"] = all_shifts_feed(PROBLEM, ROTA, stamp=STAMP)
    return feeds


def expected_per_feed() -> dict[str, tuple[Assignment, ...]]:
    slots = PROBLEM.slot_by_id()
    expected = {
        f"doctor {d.id}": tuple(a for a in ROTA if a.doctor == d.id) for d in PROBLEM.doctors
    }
    expected |= {
        f"site {s.id}": tuple(a for a in ROTA if slots[a.slot].site == s.id) for s in PROBLEM.sites
    }
    expected["all"] = ROTA
    return expected


# --- instants and content, read back with icalendar ---------------------------------------


def test_doctor_feed_instants_match_the_slots_in_summer_winter_and_across_october_change() -> None:
    feed = doctor_feeds(PROBLEM, ROTA, stamp=STAMP)["d1"]
    assert read_instants(feed) == expected_instants(ROTA[:3])


def test_every_feed_holds_exactly_its_assignments_at_the_right_instants() -> None:
    feeds, expected = all_feeds(), expected_per_feed()
    assert feeds.keys() == expected.keys()
    for name, body in feeds.items():
        assert read_instants(body) == expected_instants(expected[name]), name


def test_night_across_the_october_clock_change_lasts_13_hours() -> None:
    feed = doctor_feeds(PROBLEM, ROTA, stamp=STAMP)["d2"]
    night = next(e for e in vevents(feed) if str(e["UID"]).startswith("oct24-night."))
    # Same-tzinfo subtraction in Python is wall-clock time (12 h): compare instants.
    assert utc(night.decoded("DTEND")) - utc(night.decoded("DTSTART")) == timedelta(hours=13)
    assert "DTSTART;TZID=Europe/Paris:20261024T200000" in feed.decode()
    assert "DTEND;TZID=Europe/Paris:20261025T080000" in feed.decode()


def test_summary_names_site_and_slot_label_or_local_hours() -> None:
    feed = doctor_feeds(PROBLEM, ROTA, stamp=STAMP)["d1"]
    summaries = [str(e["SUMMARY"]) for e in vevents(feed)]
    assert summaries == [
        "Consultation de délestage — CHIV — Urgences adultes (Soirée du 14 juillet)",
        "Consultation de délestage — CHIV — Urgences adultes (20:00–08:00)",
        "Consultation de délestage — CHIV — Urgences adultes (14:00–20:00)",
    ]


def test_location_is_the_site_address_and_description_the_ed_contact() -> None:
    event = vevents(doctor_feeds(PROBLEM, ROTA, stamp=STAMP)["d1"])[0]
    assert str(event["LOCATION"]) == "40, allée de la Source; 94190 Villeneuve-Saint-Georges"
    assert "Cadre de santé des urgences, 01 43 86 20 00" in str(event["DESCRIPTION"])


def test_description_falls_back_to_the_given_contact_for_a_site_without_one() -> None:
    feed = doctor_feeds(PROBLEM, ROTA, stamp=STAMP, contact="Standard : 01 45 17 50 00")["d2"]
    chic = next(e for e in vevents(feed) if str(e["UID"]).startswith("aug15-day."))
    assert "Standard : 01 45 17 50 00" in str(chic["DESCRIPTION"])


def test_site_feed_summary_names_the_doctor() -> None:
    feed = site_feeds(PROBLEM, ROTA, stamp=STAMP)["chiv"]
    summaries = {str(e["SUMMARY"]) for e in vevents(feed)}
    assert (
        "Consultation de délestage — CHIV — Urgences adultes — Dr Jean Dupont (20:00–08:00)"
        in summaries
    )


def test_doctor_without_shift_gets_a_valid_empty_calendar() -> None:
    feed = doctor_feeds(PROBLEM, ROTA, stamp=STAMP)["d3"]
    calendar = Calendar.from_ical(feed)
    assert vevents(feed) == []
    assert str(calendar["X-WR-CALNAME"]) == "Consultations de délestage — Dr Zoé Sans-Garde"
    # RFC 5545 requires at least one component: the VTIMEZONE stays.
    assert len(calendar.walk("VTIMEZONE")) == 1


def test_uid_is_stable_when_the_rota_is_republished_with_another_assignment() -> None:
    before = {str(e["UID"]) for e in vevents(doctor_feeds(PROBLEM, ROTA[:2], stamp=STAMP)["d1"])}
    later = STAMP + timedelta(days=3)
    after = {str(e["UID"]) for e in vevents(doctor_feeds(PROBLEM, ROTA, stamp=later)["d1"])}
    assert before < after
    assert after - before == {"oct24-night.d1@p2026.relief-rota"}


def test_removed_assignment_disappears_from_the_doctor_feed() -> None:
    without_night = tuple(a for a in ROTA if a != Assignment(doctor="d1", slot="oct24-night"))
    feed = doctor_feeds(PROBLEM, without_night, stamp=STAMP)["d1"]
    assert {slot_of(str(e["UID"])).id for e in vevents(feed)} == {"jul14-eve", "dec20-day"}


def test_site_feed_uids_differ_from_doctor_feed_uids_for_the_same_assignment() -> None:
    mine = {str(e["UID"]) for e in vevents(doctor_feeds(PROBLEM, ROTA, stamp=STAMP)["d1"])}
    team = {str(e["UID"]) for e in vevents(all_shifts_feed(PROBLEM, ROTA, stamp=STAMP))}
    assert not mine & team


def test_sequence_and_last_modified_come_from_history_else_zero_and_stamp() -> None:
    changed = datetime(2026, 6, 20, 8, 0, tzinfo=UTC)
    history = {"oct24-night.d1@p2026.relief-rota": (3, changed)}
    feed = doctor_feeds(PROBLEM, ROTA, stamp=STAMP, history=history)["d1"]
    by_slot = {slot_of(str(e["UID"])).id: e for e in vevents(feed)}
    assert by_slot["oct24-night"].decoded("SEQUENCE") == 3
    assert by_slot["oct24-night"].decoded("LAST-MODIFIED") == changed
    assert by_slot["jul14-eve"].decoded("SEQUENCE") == 0
    assert by_slot["jul14-eve"].decoded("LAST-MODIFIED") == STAMP


def test_calendar_and_event_properties_clients_rely_on_are_present() -> None:
    text = doctor_feeds(PROBLEM, ROTA, stamp=STAMP)["d1"].decode()
    lines = text.split("\r\n")
    for line in (
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-TIMEZONE:Europe/Paris",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
        "DTSTAMP:20260601T093000Z",
        "STATUS:CONFIRMED",
        "TRANSP:OPAQUE",
    ):
        assert line in lines, line
    assert any(line.startswith("PRODID:") for line in lines)
    assert "NAME:Consultations de délestage — Dr Éloïse Martin-Laforêt" in lines
    assert "X-WR-CALNAME:Consultations de délestage — Dr Éloïse Martin-Laforêt" in lines


def test_events_are_written_in_start_then_uid_order() -> None:
    events = vevents(all_shifts_feed(PROBLEM, reversed(ROTA), stamp=STAMP))
    keys = [(utc(e.decoded("DTSTART")), str(e["UID"])) for e in events]
    assert keys == sorted(keys)
    assert len(keys) == len(ROTA)


# --- reproducible bytes and RFC 5545 syntax ------------------------------------------------


def test_same_rota_renders_byte_identical_feeds_whatever_the_assignment_order() -> None:
    first = all_feeds()
    shuffled = tuple(reversed(ROTA))
    assert doctor_feeds(PROBLEM, shuffled, stamp=STAMP) == doctor_feeds(PROBLEM, ROTA, stamp=STAMP)
    assert all_feeds() == first


def test_bytes_do_not_depend_on_the_process_hash_seed() -> None:
    # Several HTTP workers must serve the same bytes (same ETag) for the same rota.
    script = (
        "import hashlib, tests.publication.test_feeds as t\n"
        "print(hashlib.sha256(b''.join(t.all_feeds().values())).hexdigest())"
    )
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        digests.add(done.stdout)
    assert len(digests) == 1


def long_french_calendar() -> FeedCalendar:
    summary = (
        "Consultation de délestage — Centre hospitalier intercommunal de "
        "Villeneuve-Saint-Georges, urgences adultes; salle « été » n°2, accès côté Sud"
    )
    event = FeedEvent(
        uid="long.d1@p2026.relief-rota",
        start=paris(2026, 7, 4, 14),
        end=paris(2026, 7, 4, 20),
        summary=summary,
        location="Bâtiment A, 1er étage; entrée des urgences, 40 allée de la Source",
        description="Ligne 1, avec virgule\nLigne 2; point-virgule\\ et barre oblique inverse",
        last_modified=STAMP,
    )
    return FeedCalendar(name="Délestage, été; équipe n°1", events=[event])


def test_every_line_ends_with_crlf() -> None:
    for body in [*all_feeds().values(), render_calendar(long_french_calendar(), stamp=STAMP)]:
        assert body.endswith(b"\r\n")
        assert body.count(b"\n") == body.count(b"\r\n")
        assert b"\r" not in body.replace(b"\r\n", b"")


def test_no_line_is_longer_than_75_octets_and_long_lines_are_folded() -> None:
    body = render_calendar(long_french_calendar(), stamp=STAMP)
    lines = body.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # the summary was folded
    for line in lines:
        line.decode("utf-8")  # folding never splits a multi-byte character


def test_text_escaping_round_trips_commas_semicolons_newlines_and_backslashes() -> None:
    calendar = long_french_calendar()
    body = render_calendar(calendar, stamp=STAMP)
    assert b"\\, " in body and b"\\;" in body and b"\\n" in body
    (event,) = vevents(body)
    (original,) = calendar.events
    assert str(event["SUMMARY"]) == original.summary
    assert str(event["LOCATION"]) == original.location
    assert str(event["DESCRIPTION"]) == original.description


def test_calendar_name_is_escaped_like_any_text() -> None:
    body = render_calendar(long_french_calendar(), stamp=STAMP).decode()
    assert "\r\nNAME:Délestage\\, été\\; équipe n°1\r\n" in body
    assert "\r\nX-WR-CALNAME:Délestage\\, été\\; équipe n°1\r\n" in body


# --- VTIMEZONE -----------------------------------------------------------------------------


def onsets_utc(body: bytes, until: datetime = datetime(2029, 1, 1)) -> list[datetime]:
    """Each observance's onsets read as RFC 5545 says (its DTSTART and the yearly RRULE's
    recurrences until `until`): local time in TZOFFSETFROM."""
    (vtimezone,) = Calendar.from_ical(body).walk("VTIMEZONE")
    result = []
    for part in vtimezone.subcomponents:
        offset_from = part.decoded("TZOFFSETFROM")
        onset = part.decoded("DTSTART").replace(tzinfo=None)
        rule = part.get("RRULE")
        starts = rrulestr(rule.to_ical().decode(), dtstart=onset, forceset=True).between(
            onset, until, inc=True) if rule is not None else [onset]
        result += [(start - offset_from).replace(tzinfo=UTC) for start in starts]
    return sorted(result)


def test_vtimezone_is_one_standard_and_one_daylight_block_with_yearly_rules() -> None:
    """The conventional form Outlook reads without shifting events: no block per transition."""
    body = doctor_feeds(PROBLEM, ROTA, stamp=STAMP)["d1"]
    (vtimezone,) = Calendar.from_ical(body).walk("VTIMEZONE")
    blocks = {part.name: part for part in vtimezone.subcomponents}
    assert sorted(part.name for part in vtimezone.subcomponents) == ["DAYLIGHT", "STANDARD"]
    assert blocks["DAYLIGHT"]["RRULE"].to_ical() == b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3"
    assert blocks["STANDARD"]["RRULE"].to_ical() == b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10"
    assert blocks["DAYLIGHT"].decoded("DTSTART").replace(tzinfo=None) == datetime(2025, 3, 30, 2)
    assert blocks["STANDARD"].decoded("DTSTART").replace(tzinfo=None) == datetime(2025, 10, 26, 3)


@pytest.mark.parametrize(("zone", "first", "rules"), [
    ("Asia/Tokyo", date(2026, 7, 1), []),  # no change: one block, no rule
    # First Sundays of April and October; in 2024 the April one falls on the 7th.
    ("Australia/Sydney", date(2026, 7, 1),
     [b"FREQ=YEARLY;BYDAY=1SU;BYMONTH=10", b"FREQ=YEARLY;BYDAY=1SU;BYMONTH=4"]),
    ("Australia/Sydney", date(2025, 7, 1),
     [b"FREQ=YEARLY;BYDAY=1SU;BYMONTH=10", b"FREQ=YEARLY;BYDAY=1SU;BYMONTH=4"]),
    # Second Sunday of March (the 14th in 2027), first of November (the 7th in 2027).
    ("America/New_York", date(2028, 7, 1),
     [b"FREQ=YEARLY;BYDAY=1SU;BYMONTH=11", b"FREQ=YEARLY;BYDAY=2SU;BYMONTH=3"]),
])
def test_vtimezone_of_other_zones(zone: str, first: date, rules: list[bytes]) -> None:
    component = vtimezone(zone, first, first + timedelta(days=61))
    assert len(component.subcomponents) == max(1, len(rules))
    assert sorted(part["RRULE"].to_ical() for part in component.subcomponents
                  if "RRULE" in part) == rules
    for part in component.subcomponents:  # each DTSTART is its own rule's first occurrence
        if "RRULE" in part:
            onset = part.decoded("DTSTART").replace(tzinfo=None)
            first_of_rule = rrulestr(part["RRULE"].to_ical().decode(), dtstart=onset)[0]
            assert first_of_rule == onset


def test_vtimezone_onsets_are_the_real_clock_changes_at_01_00_utc() -> None:
    onsets = onsets_utc(doctor_feeds(PROBLEM, ROTA, stamp=STAMP)["d1"])
    assert datetime(2026, 3, 29, 1, 0, tzinfo=UTC) in onsets
    assert datetime(2026, 10, 25, 1, 0, tzinfo=UTC) in onsets


def test_vtimezone_covers_every_year_the_events_touch() -> None:
    new_year = FeedEvent(
        uid="ny",
        start=paris(2026, 12, 31, 20),
        end=paris(2027, 4, 1, 8),
        summary="Nuit",
        last_modified=STAMP,
    )
    onsets = onsets_utc(render_calendar(FeedCalendar(name="x", events=[new_year]), stamp=STAMP))
    assert onsets[0] <= utc(new_year.start)
    assert datetime(2027, 3, 28, 1, 0, tzinfo=UTC) in onsets
    assert datetime(2027, 10, 31, 1, 0, tzinfo=UTC) in onsets


# --- bad input -----------------------------------------------------------------------------


def test_naive_stamp_is_rejected_naming_stamp() -> None:
    with pytest.raises(ValueError, match="stamp"):
        render_calendar(FeedCalendar(name="x"), stamp=datetime(2026, 6, 1))


def test_event_ending_before_it_starts_is_rejected_naming_end() -> None:
    with pytest.raises(ValueError, match="end must be after start"):
        FeedEvent(
            uid="u",
            start=paris(2026, 7, 1, 20),
            end=paris(2026, 7, 1, 18),
            summary="x",
            last_modified=STAMP,
        )


def test_naive_event_start_is_rejected_naming_start() -> None:
    with pytest.raises(ValueError, match="start"):
        FeedEvent(
            uid="u",
            start=datetime(2026, 7, 1, 20),
            end=paris(2026, 7, 1, 23),
            summary="x",
            last_modified=STAMP,
        )


def test_two_events_with_one_uid_are_rejected_naming_uid() -> None:
    (event,) = long_french_calendar().events
    twice = FeedCalendar(name="x", events=[event, replace(event, summary="autre")])
    with pytest.raises(ValueError, match="uid"):
        render_calendar(twice, stamp=STAMP)


def test_assignment_to_unknown_slot_is_rejected_naming_slot() -> None:
    with pytest.raises(ValueError, match="unknown slot 'nope'"):
        events_for_rota(PROBLEM, [Assignment(doctor="d1", slot="nope")], stamp=STAMP)


# --- independent parsers: ical.js (Thunderbird) and libical (Evolution) --------------------

def client_instants(parsed: dict[str, Any]) -> list[tuple[str, datetime, datetime]]:
    found = [
        (
            slot_of(e["uid"]).id,
            datetime.fromisoformat(e["start"].replace("Z", "+00:00")),
            datetime.fromisoformat(e["end"].replace("Z", "+00:00")),
        )
        for e in parsed["events"]
    ]
    return sorted(found, key=lambda item: (item[1], item[0]))


@pytest.mark.parametrize("client", ["icaljs", "libical"])
def test_independent_parser_reads_every_feed_at_the_slot_instants(
    client: str, request: pytest.FixtureRequest
) -> None:
    command: list[str] = request.getfixturevalue(client)
    expected = expected_per_feed()
    for name, body in all_feeds().items():
        parsed = run_client(command, body)
        assert client_instants(parsed) == expected_instants(expected[name]), name


@pytest.mark.parametrize("client", ["icaljs", "libical"])
def test_independent_parser_reads_back_escaped_event_text(
    client: str, request: pytest.FixtureRequest
) -> None:
    command: list[str] = request.getfixturevalue(client)
    calendar = long_french_calendar()
    parsed = run_client(command, render_calendar(calendar, stamp=STAMP))
    (event,) = parsed["events"]
    (original,) = calendar.events
    assert (event["summary"], event["location"], event["description"]) == (
        original.summary,
        original.location,
        original.description,
    )
    assert event["start"].startswith("2026-07-04T12:00:00")


@pytest.mark.parametrize("client", ["icaljs", "libical"])
def test_independent_parser_reads_the_accented_calendar_name(
    client: str, request: pytest.FixtureRequest
) -> None:
    # A name without , ; or \: ical.js returns NAME and X-WR-CALNAME unescaped (README).
    command: list[str] = request.getfixturevalue(client)
    parsed = run_client(command, doctor_feeds(PROBLEM, ROTA, stamp=STAMP)["d1"])
    assert parsed["name"] == "Consultations de délestage — Dr Éloïse Martin-Laforêt"


@pytest.mark.parametrize("client", ["icaljs", "libical"])
def test_independent_parser_places_a_shift_just_after_spring_forward_correctly(
    client: str, request: pytest.FixtureRequest
) -> None:
    # 03:30 CEST on 29 March 2026 is 01:30 UTC: read through our VTIMEZONE only.
    command: list[str] = request.getfixturevalue(client)
    early = FeedEvent(
        uid="spring",
        start=paris(2026, 3, 29, 3, 30),
        end=paris(2026, 3, 29, 8),
        summary="Matin",
        last_modified=STAMP,
    )
    parsed = run_client(
        command, render_calendar(FeedCalendar(name="x", events=[early]), stamp=STAMP)
    )
    (event,) = parsed["events"]
    assert event["start"].startswith("2026-03-29T01:30:00")
    assert event["end"].startswith("2026-03-29T06:00:00")
