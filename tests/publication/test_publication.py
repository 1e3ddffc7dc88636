"""Publishing rota versions: statuses, stable UIDs, SEQUENCE on change, removed shifts gone,
and feed bytes that move only when their content does (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from scheduler.domain.enums import FeedKind, RotaStatus
from scheduler.domain.problem import Problem
from scheduler.domain.rules import Rule
from scheduler.models import DateAway, PublishedEvent, RotaVersion, SlotRow
from scheduler.publication.documents import FeedKey, feed_document
from scheduler.publication.links import derive_feed_secret
from scheduler.publication.publish import BreaksHardRules, doctor_shifts, publish
from scheduler.storage.problems import UnknownPeriod
from scheduler.storage.rotas import UnknownVersion, rota_versions
from tests.support.published import (
    NIGHT,
    PERIOD,
    SUMMER,
    T0,
    WINTER,
    db_instants,
    feed_instants,
    load_seasons,
    publish_at,
    save_version,
    vevents,
)

FIRST = [("dr-alpha", SUMMER), ("dr-alpha", NIGHT), ("dr-bravo", NIGHT), ("dr-charlie", WINTER),
         ("dr-alpha", WINTER)]
# Refusals happen before any write; everything that writes runs on both databases.
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"])
ALPHA = FeedKey(kind=FeedKind.DOCTOR, subject="dr-alpha")
BRAVO = FeedKey(kind=FeedKind.DOCTOR, subject="dr-bravo")


@pytest.fixture
def seasons(session: Session, tiny_data: dict[str, Any]) -> Problem:
    return load_seasons(session, tiny_data)


def body(session: Session, key: FeedKey) -> bytes:
    document = feed_document(session, key)
    assert document is not None
    return document.body


def by_slot(session: Session, key: FeedKey) -> dict[str, Any]:
    return {str(e["UID"]).split(".", 1)[0]: e for e in vevents(body(session, key))}


def test_publishing_marks_the_version_published_and_the_previous_one_superseded(
    session: Session, seasons: Problem
) -> None:
    save_version(session, seasons, FIRST)
    save_version(session, seasons, FIRST[:2])
    publish_at(session, T0, version=1)
    publish_at(session, T0 + timedelta(days=1), version=2)
    statuses = [(v.number, v.status, v.published_at) for v in rota_versions(session, PERIOD)]
    assert statuses == [(1, RotaStatus.SUPERSEDED, T0),
                        (2, RotaStatus.PUBLISHED, T0 + timedelta(days=1))]


def test_publishing_without_a_number_publishes_the_latest_version(
    session: Session, seasons: Problem
) -> None:
    save_version(session, seasons, FIRST)
    save_version(session, seasons, FIRST[:1])
    assert publish_at(session, T0).version == 2


@sqlite_only
def test_unknown_version_is_refused_naming_the_versions_there_are(
    session: Session, seasons: Problem
) -> None:
    save_version(session, seasons, FIRST)
    with pytest.raises(UnknownVersion, match="no rota version 4 \\(it has 1\\)"):
        publish(session, PERIOD, now=T0, version=4)


@sqlite_only
def test_period_without_any_version_has_nothing_to_publish(
    session: Session, seasons: Problem
) -> None:
    with pytest.raises(UnknownVersion, match="has no rota version yet"):
        publish(session, PERIOD, now=T0)


@sqlite_only
def test_unknown_period_is_refused(session: Session, seasons: Problem) -> None:
    with pytest.raises(UnknownPeriod):
        publish(session, "no-such-period", now=T0)


def test_feed_event_instants_match_the_slots_in_summer_winter_and_across_october_change(
    session: Session, seasons: Problem
) -> None:
    save_version(session, seasons, FIRST)
    publish_at(session, T0)
    assert feed_instants(session, body(session, ALPHA)) == db_instants(
        session, [SUMMER, NIGHT, WINTER])
    night = by_slot(session, ALPHA)[NIGHT]
    assert night.decoded("DTEND") - night.decoded("DTSTART") == timedelta(hours=12)  # wall
    assert (night.decoded("DTEND").astimezone(UTC) - night.decoded("DTSTART").astimezone(UTC)
            == timedelta(hours=13))


def test_only_the_published_version_reaches_the_feeds(
    session: Session, seasons: Problem
) -> None:
    save_version(session, seasons, FIRST)
    publish_at(session, T0)
    before = body(session, ALPHA)
    save_version(session, seasons, [("dr-echo", SUMMER)])  # a draft nobody sees yet
    assert body(session, ALPHA) == before
    assert set(by_slot(session, ALPHA)) == {SUMMER, NIGHT, WINTER}


def test_uids_stay_and_unchanged_events_keep_sequence_and_last_modified_on_republication(
    session: Session, seasons: Problem
) -> None:
    save_version(session, seasons, FIRST)
    publish_at(session, T0)
    before = {uid: (e.decoded("SEQUENCE"), e.decoded("LAST-MODIFIED"))
              for uid, e in by_slot(session, ALPHA).items()}
    save_version(session, seasons, [*FIRST, ("dr-echo", SUMMER)])
    publish_at(session, T0 + timedelta(days=2))
    after = {uid: (e.decoded("SEQUENCE"), e.decoded("LAST-MODIFIED"))
             for uid, e in by_slot(session, ALPHA).items()}
    assert after == before == {slot: (0, T0) for slot in (SUMMER, NIGHT, WINTER)}


def test_a_doctor_feed_keeps_its_bytes_when_only_other_doctors_shifts_change(
    session: Session, seasons: Problem
) -> None:
    save_version(session, seasons, FIRST)
    publish_at(session, T0)
    alpha, bravo = feed_document(session, ALPHA), feed_document(session, BRAVO)
    save_version(session, seasons, [*FIRST, ("dr-bravo", SUMMER)])
    done = publish_at(session, T0 + timedelta(days=2))
    assert feed_document(session, ALPHA) == alpha
    assert feed_document(session, BRAVO) != bravo
    assert ALPHA not in done.changed_feeds and BRAVO in done.changed_feeds
    assert (done.added, done.changed, done.removed) == (1, 0, 0)


def test_changed_slot_hours_bump_sequence_and_last_modified_and_keep_the_uid(
    session: Session, seasons: Problem
) -> None:
    save_version(session, seasons, FIRST)
    publish_at(session, T0)
    uid = str(by_slot(session, ALPHA)[SUMMER]["UID"])
    slot = session.get(SlotRow, (PERIOD, SUMMER))
    assert slot is not None
    slot.end = slot.end + timedelta(hours=1)  # the manager moves the end to 01:00
    session.add(slot)
    session.commit()
    later = T0 + timedelta(days=3)
    done = publish_at(session, later, version=1)  # the same version, published again
    summer = by_slot(session, ALPHA)[SUMMER]
    assert str(summer["UID"]) == uid
    assert (summer.decoded("SEQUENCE"), summer.decoded("LAST-MODIFIED")) == (1, later)
    assert by_slot(session, ALPHA)[NIGHT].decoded("SEQUENCE") == 0
    assert feed_document(session, ALPHA).changed_at == later  # type: ignore[union-attr]
    assert (done.added, done.changed, done.removed) == (0, 1, 0)


def test_removed_shift_disappears_from_the_doctor_feed_and_the_team_feeds(
    session: Session, seasons: Problem
) -> None:
    save_version(session, seasons, FIRST)
    publish_at(session, T0)
    save_version(session, seasons, [p for p in FIRST if p != ("dr-alpha", NIGHT)])
    done = publish_at(session, T0 + timedelta(days=1))
    assert set(by_slot(session, ALPHA)) == {SUMMER, WINTER}
    chiv = [str(e["UID"]) for e in vevents(body(session, FeedKey(kind=FeedKind.SITE,
                                                                   subject="chiv")))]
    assert not any(uid.startswith(f"{NIGHT}.dr-alpha.") for uid in chiv)
    assert any(uid.startswith(f"{NIGHT}.dr-bravo.") for uid in chiv)
    assert done.removed == 1
    assert [s.start.date().isoformat() for s in doctor_shifts(session, "dr-alpha")] == [
        "2026-08-04", "2026-12-20"]


def test_shift_given_back_returns_with_its_uid_and_a_higher_sequence(
    session: Session, seasons: Problem
) -> None:
    save_version(session, seasons, FIRST)
    publish_at(session, T0)
    uid = str(by_slot(session, ALPHA)[NIGHT]["UID"])
    save_version(session, seasons, [p for p in FIRST if p != ("dr-alpha", NIGHT)])
    publish_at(session, T0 + timedelta(days=1))
    publish_at(session, T0 + timedelta(days=2), version=1)
    night = by_slot(session, ALPHA)[NIGHT]
    assert str(night["UID"]) == uid
    assert night.decoded("SEQUENCE") == 1


def test_dtstamp_is_the_publication_that_changed_the_feed_not_the_clock(
    session: Session, seasons: Problem
) -> None:
    save_version(session, seasons, FIRST)
    publish_at(session, T0)
    publish_at(session, T0 + timedelta(days=5))  # nothing changed
    assert {e.decoded("DTSTAMP") for e in vevents(body(session, ALPHA))} == {T0}


def test_two_publications_in_one_second_still_get_increasing_stamps(
    session: Session, seasons: Problem
) -> None:
    save_version(session, seasons, FIRST)
    save_version(session, seasons, FIRST[:2])
    first = publish_at(session, T0.replace(microsecond=200_000), version=1)
    second = publish_at(session, T0.replace(microsecond=700_000), version=2)
    assert first.stamp == T0
    assert second.stamp == T0 + timedelta(seconds=1)
    assert feed_document(session, ALPHA).changed_at == second.stamp  # type: ignore[union-attr]


def test_publishing_twice_without_change_changes_no_feed(
    session: Session, seasons: Problem
) -> None:
    save_version(session, seasons, FIRST)
    first = publish_at(session, T0)
    again = publish_at(session, T0 + timedelta(hours=1))
    assert set(first.changed_feeds) == set(first.feeds)
    assert again.changed_feeds == ()
    version = session.exec(select(RotaVersion)).one()
    assert version.published_at == T0  # the version was already published


def test_doctor_feed_holds_the_published_shifts_of_every_period(
    session: Session, seasons: Problem, loaded_tiny: Problem
) -> None:
    save_version(session, seasons, FIRST)
    save_version(session, loaded_tiny, [("dr-alpha", "chiv-20260706-2000")])
    publish_at(session, T0)
    publish_at(session, T0 + timedelta(hours=1), period=loaded_tiny.period.id)
    events = by_slot(session, ALPHA)
    assert set(events) == {"chiv-20260706-2000", SUMMER, NIGHT, WINTER}


def test_every_event_row_is_tied_to_its_assignment(session: Session, seasons: Problem) -> None:
    save_version(session, seasons, FIRST)
    publish_at(session, T0)
    rows = session.exec(select(PublishedEvent)).all()
    mine = {(r.doctor_id, r.slot_id) for r in rows if r.audience == "doctor"}
    team = {(r.doctor_id, r.slot_id) for r in rows if r.audience == "team"}
    assert mine == team == set(FIRST)


def test_derived_feed_secret_has_the_shape_of_a_token_and_depends_on_the_generation() -> None:
    link = "A" * 32
    first, second = derive_feed_secret(link, "d", 0), derive_feed_secret(link, "d", 1)
    assert len(first) == 32 and first != second
    assert derive_feed_secret(link, "d", 0) == first
    assert derive_feed_secret("B" * 32, "d", 0) != first


def _away(session: Session, doctor: str, day: date) -> None:
    """The doctor declares an absence on `day` after the versions were made."""
    session.add(DateAway(doctor_id=doctor, period_id=PERIOD, first=day, last=day))
    session.commit()


def test_a_version_breaking_a_rule_of_the_period_as_it_stands_is_not_published(
    session: Session, seasons: Problem
) -> None:
    save_version(session, seasons, FIRST)
    publish_at(session, T0)
    feeds = {key: body(session, key) for key in (ALPHA, BRAVO)}
    save_version(session, seasons, FIRST[:2])  # drops dr-bravo's night and the winter shifts
    _away(session, "dr-alpha", date(2026, 8, 4))  # ...but dr-alpha is now away on SUMMER
    with pytest.raises(BreaksHardRules) as refused:
        publish(session, PERIOD, now=T0 + timedelta(days=1), version=2)
    session.rollback()
    assert [(v.rule, v.doctor, v.slots) for v in refused.value.violations] == [
        (Rule.DATES_AWAY, "dr-alpha", (SUMMER,))]
    assert "plan again" in str(refused.value)
    # Nothing changed: version 1 stays published, every feed keeps its bytes.
    assert [(v.number, v.status) for v in rota_versions(session, PERIOD)] == [
        (1, RotaStatus.PUBLISHED), (2, RotaStatus.DRAFT)]
    assert {key: body(session, key) for key in (ALPHA, BRAVO)} == feeds


def test_the_published_version_breaking_a_rule_now_can_still_be_refreshed(
    session: Session, seasons: Problem
) -> None:
    """Publishing the version already published only refreshes its feeds (a site's new
    address...): its rota does not change, so a rule it now breaks does not stop that."""
    save_version(session, seasons, FIRST)
    publish_at(session, T0)
    _away(session, "dr-alpha", date(2026, 8, 4))
    assert publish_at(session, T0 + timedelta(days=1), version=1).version == 1
