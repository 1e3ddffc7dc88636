"""CPTS/SAMI coordinators: their read-only links, the periods they follow, and re-sending
members' invitations (the coordinator never sees a member's personal link: a re-sent
invitation goes to the member)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from scheduler.collection.invitations import (
    SOURCE,
    invite,
    link_expiry,
    live_period,
    send_invitations,
)
from scheduler.collection.mail import Outgoing
from scheduler.config import Settings
from scheduler.domain.enums import PeriodStatus, TokenKind
from scheduler.domain.errors import InputError
from scheduler.models import AccessToken, Organisation, TensionPeriod
from scheduler.storage import tokens


def coordinator_link_url(base_url: str, secret: str) -> str:
    return f"{base_url.rstrip('/')}/c/{secret}"


# Coordinator links ---------------------------------------------------------------------------

def issue_coordinator_link(
    session: Session, organisation_id: str, *, now: datetime, base_url: str,
    period_id: str | None = None,
) -> str:
    """A new read-only link for the organisation's coordinator; commits. Returns the URL.

    With a period, the link shows that period only and expires with it; without, it shows
    every period not closed yet and does not expire (revoke it to end it).
    """
    if session.get(Organisation, organisation_id) is None:
        raise InputError.single(SOURCE, "organisation_id",
                                f"unknown organisation {organisation_id!r}")
    expires_at = None
    if period_id is not None:
        expires_at = link_expiry(live_period(session, period_id, now))
    secret = tokens.issue(session, TokenKind.COORDINATOR, now=now, period_id=period_id,
                          organisation_id=organisation_id, expires_at=expires_at)
    session.commit()
    return coordinator_link_url(base_url, secret)


def coordinator_message(organisation: Organisation, url: str, contact: str) -> Outgoing:
    assert organisation.coordinator_email is not None
    body = "\n".join([
        "Bonjour,",
        "",
        f"Voici le lien de suivi des membres de {organisation.name} pour les consultations de "
        "délestage aux urgences : qui a répondu et combien de créneaux chacun propose. "
        "Vous pouvez aussi y relancer vos membres.",
        url,
        "",
        f"Contact : {contact}",
    ])
    return Outgoing(to=organisation.coordinator_email,
                    subject="Consultations de délestage — suivi de vos membres", body=body + "\n")


# Opening a link --------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class CoordinatorLink:
    token: AccessToken
    organisation: Organisation


def open_coordinator_link(session: Session, secret: str, *, now: datetime
                          ) -> CoordinatorLink | None:
    """The organisation of a live coordinator link, or None (never says why)."""
    token = tokens.resolve(session, TokenKind.COORDINATOR, secret, now=now)
    if token is None or token.organisation_id is None:
        return None
    organisation = session.get(Organisation, token.organisation_id)
    if organisation is None:
        return None
    return CoordinatorLink(token=token, organisation=organisation)


def coordinator_periods(session: Session, link: CoordinatorLink) -> list[TensionPeriod]:
    """The periods a coordinator follows: the link's own, or every period not closed yet."""
    if link.token.period_id is not None:
        period = session.get(TensionPeriod, link.token.period_id)
        return [period] if period is not None else []
    return list(session.exec(
        select(TensionPeriod).where(TensionPeriod.status != PeriodStatus.CLOSED)
        .order_by(col(TensionPeriod.start).desc(), col(TensionPeriod.id))
    ).all())


def selected_period(periods: Sequence[TensionPeriod], wanted: str | None
                    ) -> TensionPeriod | None:
    """The period asked for among those the coordinator follows, else the latest one."""
    return next((p for p in periods if p.id == wanted), periods[0] if periods else None)


def resend_invitations(
    session: Session, settings: Settings, link: CoordinatorLink, period: TensionPeriod,
    doctor_ids: Sequence[str], *, now: datetime,
) -> tuple[int, int]:
    """Email each member a fresh personal link; returns (sent, failed). Commits.

    Raises `InputError` when links can no longer be issued (the period has ended).
    """
    if not doctor_ids:
        return 0, 0
    issued = invite(session, period.id, list(doctor_ids), now=now, base_url=settings.base_url,
                    requested_by=f"coordinator:{link.organisation.id}")
    results = send_invitations(session, settings, period.id, issued, now=now)
    failed = sum(bool(r.email_error) for r in results)
    return len(results) - failed, failed
