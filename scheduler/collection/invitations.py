"""Invitations: personal links for a period, the emails that carry them, and who answered.

A doctor's link is a `DOCTOR_LINK` token for one period. It expires when the period ends (the
same link later shows the doctor's shifts). The secret is only known when issued, so inviting
again issues a new link; earlier links keep working until revoked or expired.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from scheduler.collection.answers import local_midnight, offered_counts
from scheduler.collection.mail import MailError, Outgoing, send_all
from scheduler.config.settings import Settings
from scheduler.domain.enums import TokenKind
from scheduler.domain.errors import InputError
from scheduler.domain.french import long_date
from scheduler.models import (
    AccessToken,
    DoctorPeriod,
    DoctorRow,
    Invitation,
    Organisation,
    TensionPeriod,
)
from scheduler.storage import tokens
from scheduler.storage.periods import lock_period

SOURCE = "invitation"


@dataclass(frozen=True, kw_only=True)
class IssuedLink:
    """A link just issued: the secret URL is only known now."""

    invitation_id: int
    doctor_id: str
    doctor_name: str
    email: str | None
    url: str
    #: Set once an email was attempted: where to, and why it failed ("" = sent).
    emailed_to: str | None = None
    email_error: str = ""


def doctor_link_url(base_url: str, secret: str) -> str:
    return f"{base_url.rstrip('/')}/g/{secret}"


def link_expiry(period: TensionPeriod) -> datetime:
    """Links stop working at the end of the period's last day, local time."""
    return local_midnight(period.end + timedelta(days=1), period.timezone)


def live_period(session: Session, period_id: str, now: datetime) -> TensionPeriod:
    """The period, if links can still be issued for it; else `InputError` naming `period`."""
    period = session.get(TensionPeriod, period_id)
    if period is None:
        raise InputError.single(SOURCE, "period", f"unknown period {period_id!r}")
    if link_expiry(period) <= now:
        raise InputError.single(SOURCE, "period", f"period {period_id!r} has ended")
    return period


# Choosing whom to invite -------------------------------------------------------------------

def doctors_to_invite(
    session: Session,
    *,
    doctor_ids: Sequence[str] = (),
    organisation_id: str | None = None,
    everyone: bool = False,
    within: Set[str] | None = None,
) -> list[str]:
    """The ids of the doctors named, of an organisation's members, or of every doctor; only
    those `within` reach (None: any). A doctor out of reach is as unknown as a missing one."""
    if sum([bool(doctor_ids), organisation_id is not None, everyone]) != 1:
        raise InputError.single(SOURCE, "doctor_ids",
                                "give doctor ids, an organisation, or all (exactly one)")

    def reachable(ids: Sequence[str]) -> list[str]:
        return [d for d in ids if within is None or d in within]

    if everyone:
        return reachable(session.exec(select(DoctorRow.id).order_by(col(DoctorRow.id))).all())
    if organisation_id is not None:
        if session.get(Organisation, organisation_id) is None:
            raise InputError.single(SOURCE, "organisation_id",
                                    f"unknown organisation {organisation_id!r}")
        return reachable(session.exec(
            select(DoctorRow.id).where(DoctorRow.organisation_id == organisation_id)
            .order_by(col(DoctorRow.id))
        ).all())
    known = set(reachable(session.exec(
        select(DoctorRow.id).where(col(DoctorRow.id).in_(doctor_ids))).all()))
    unknown = [d for d in doctor_ids if d not in known]
    if unknown:
        raise InputError.single(SOURCE, "doctor_ids", f"unknown doctors: {', '.join(unknown)}")
    return list(dict.fromkeys(doctor_ids))


# Issuing links -----------------------------------------------------------------------------

def invite(
    session: Session,
    period_id: str,
    doctor_ids: Sequence[str],
    *,
    now: datetime,
    base_url: str,
    requested_by: str = "manager",
) -> list[IssuedLink]:
    """Add the doctors to the period (if not yet in it) and issue each a link; commits."""
    try:
        period = live_period(session, period_id, now)
        rows = session.exec(select(DoctorRow).where(col(DoctorRow.id).in_(doctor_ids))).all()
        doctors = {d.id: d for d in rows}
        missing = [d for d in doctor_ids if d not in doctors]
        if missing:
            raise InputError.single(SOURCE, "doctor_ids", f"unknown doctors: {', '.join(missing)}")
        _join_period(session, period_id, list(doctor_ids))
        links = [_issue(session, period, doctors[d], now, base_url, requested_by)
                 for d in doctor_ids]
        session.commit()
        return links
    except BaseException:
        session.rollback()
        raise


def _join_period(session: Session, period_id: str, doctor_ids: list[str]) -> None:
    # Positions are read then given under the period's lock: concurrent invitations never
    # share one (the solver sees the doctors in this order).
    lock_period(session, period_id)
    taking_part = set(session.exec(
        select(DoctorPeriod.doctor_id).where(DoctorPeriod.period_id == period_id)
    ).all())
    last = session.exec(
        select(func.max(DoctorPeriod.position)).where(DoctorPeriod.period_id == period_id)
    ).one()
    position = -1 if last is None else last
    period = session.get(TensionPeriod, period_id)
    # The period's rules for every doctor apply to them too.
    max_weekends = period.max_weekends if period is not None else None
    min_days_off = period.min_days_off if period is not None else None
    by_kind = dict(period.max_shifts_by_kind) if period is not None else {}
    for doctor_id in doctor_ids:
        if doctor_id not in taking_part:
            position += 1
            session.add(DoctorPeriod(doctor_id=doctor_id, period_id=period_id,
                                     position=position, max_weekends=max_weekends,
                                     min_days_off=min_days_off, max_shifts_by_kind=by_kind))
            taking_part.add(doctor_id)
    session.flush()


def _issue(session: Session, period: TensionPeriod, doctor: DoctorRow, now: datetime,
           base_url: str, requested_by: str) -> IssuedLink:
    secret = tokens.issue(session, TokenKind.DOCTOR_LINK, now=now, doctor_id=doctor.id,
                          period_id=period.id, expires_at=link_expiry(period))
    token = session.exec(
        select(AccessToken).where(AccessToken.token_hash == tokens.hash_secret(secret))
    ).one()
    assert token.id is not None
    invitation = Invitation(period_id=period.id, doctor_id=doctor.id, token_id=token.id,
                            created_at=now, requested_by=requested_by)
    session.add(invitation)
    session.flush()
    assert invitation.id is not None
    return IssuedLink(invitation_id=invitation.id, doctor_id=doctor.id, doctor_name=doctor.name,
                      email=doctor.email, url=doctor_link_url(base_url, secret))


def revoke(session: Session, period_id: str, doctor_id: str, *, now: datetime) -> int:
    """Revoke the doctor's live links for the period; commits. Returns how many."""
    live = session.exec(
        select(AccessToken).where(
            AccessToken.kind == TokenKind.DOCTOR_LINK, AccessToken.doctor_id == doctor_id,
            AccessToken.period_id == period_id, col(AccessToken.revoked_at).is_(None),
        )
    ).all()
    for token in live:
        token.revoked_at = now
        session.add(token)
    session.commit()
    return len(live)


# Emails ------------------------------------------------------------------------------------

def invitation_message(period: TensionPeriod, link: IssuedLink, contact: str) -> Outgoing:
    """The French email carrying a doctor's personal link."""
    assert link.email is not None
    deadline = (f"Merci de répondre avant la fin du {long_date(period.availability_deadline)}."
                if period.availability_deadline else "Merci de répondre dès que possible.")
    body = "\n".join([
        f"Bonjour {link.doctor_name},",
        "",
        "Les urgences organisent des consultations de médecine générale assurées par des "
        "médecins libéraux (accueil de délestage) "
        f"du {long_date(period.start)} au {long_date(period.end)} ({period.name}).",
        "",
        "Pour indiquer vos disponibilités, ouvrez votre lien personnel "
        "(sans compte ni mot de passe) :",
        link.url,
        "",
        f"{deadline} Vous pourrez modifier vos réponses jusqu'à cette date.",
        "Ce lien vous est personnel : merci de ne pas le transférer.",
        "",
        f"Contact : {contact}",
    ])
    subject = f"Consultations de délestage aux urgences — vos disponibilités ({period.name})"
    return Outgoing(to=link.email, subject=subject, body=body + "\n")


def send_invitations(
    session: Session, settings: Settings, period_id: str, links: Sequence[IssuedLink],
    *, now: datetime,
) -> list[IssuedLink]:
    """Email each link to its doctor and record the outcome; commits.

    A doctor without an email address, or a server that cannot be reached, is recorded as an
    error on that invitation: links were issued anyway and can be handed over another way.
    """
    period = session.get(TensionPeriod, period_id)
    assert period is not None
    sendable = [link for link in links if link.email]
    try:
        errors = send_all(settings, [invitation_message(period, link, settings.ed_contact)
                                     for link in sendable])
    except MailError as exc:
        errors = [str(exc)] * len(sendable)
    outcome = dict(zip([link.invitation_id for link in sendable], errors, strict=True))
    results = []
    for link in links:
        error = outcome.get(link.invitation_id, "the doctor has no email address")
        invitation = session.get(Invitation, link.invitation_id)
        assert invitation is not None
        invitation.emailed_to = link.email
        invitation.emailed_at = None if error else now
        invitation.email_error = error
        session.add(invitation)
        results.append(replace(link, emailed_to=link.email, email_error=error))
    session.commit()
    return results


# Who answered ------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class AnswerStatus:
    """Where one doctor stands for one period: invited, emailed, answered, how much offered."""

    doctor_id: str
    name: str
    organisation_id: str | None
    taking_part: bool
    invited_at: datetime | None
    emailed_at: datetime | None
    email_error: str
    answered_at: datetime | None
    offered: int
    preferred: int
    max_shifts: int | None


def answer_statuses(
    session: Session, period_id: str, *, organisation_id: str | None = None
) -> list[AnswerStatus]:
    """Every doctor of the period, or every member of `organisation_id` (taking part or not)."""
    query = select(DoctorRow, DoctorPeriod).join(
        DoctorPeriod,
        (col(DoctorPeriod.doctor_id) == DoctorRow.id) & (col(DoctorPeriod.period_id) == period_id),
        isouter=organisation_id is not None,
    )
    if organisation_id is not None:
        query = query.where(DoctorRow.organisation_id == organisation_id)
    rows = session.exec(query.order_by(col(DoctorRow.name), col(DoctorRow.id))).all()
    counts = offered_counts(session, period_id)
    last = _last_invitations(session, period_id)
    out = []
    for doctor, caps in rows:
        invitation = last.get(doctor.id)
        offered, preferred = counts.get(doctor.id, (0, 0))
        out.append(AnswerStatus(
            doctor_id=doctor.id, name=doctor.name, organisation_id=doctor.organisation_id,
            taking_part=caps is not None,
            invited_at=invitation.created_at if invitation else None,
            emailed_at=invitation.emailed_at if invitation else None,
            email_error=invitation.email_error if invitation else "",
            answered_at=caps.answered_at if caps else None,
            offered=offered, preferred=preferred,
            max_shifts=caps.max_shifts if caps else None,
        ))
    return out


def _last_invitations(session: Session, period_id: str) -> dict[str, Invitation]:
    rows = session.exec(
        select(Invitation).where(Invitation.period_id == period_id).order_by(col(Invitation.id))
    ).all()
    return {row.doctor_id: row for row in rows}  # later rows win


# Opening a link --------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class DoctorLink:
    """A live doctor link: who it is for and which period it answers."""

    token: AccessToken
    doctor: DoctorRow
    period: TensionPeriod


def open_doctor_link(session: Session, secret: str, *, now: datetime) -> DoctorLink | None:
    """The doctor and period of a live link, or None (unknown, revoked, expired, or the doctor
    no longer takes part in the period). None never says which."""
    token = tokens.resolve(session, TokenKind.DOCTOR_LINK, secret, now=now)
    if token is None or token.doctor_id is None:
        return None
    doctor = session.get(DoctorRow, token.doctor_id)
    period_id = token.period_id or session.exec(
        # A link issued without a period answers the doctor's latest one.
        select(DoctorPeriod.period_id)
        .join(TensionPeriod, col(TensionPeriod.id) == DoctorPeriod.period_id)
        .where(DoctorPeriod.doctor_id == token.doctor_id)
        .order_by(col(TensionPeriod.start).desc())
    ).first()
    period = session.get(TensionPeriod, period_id) if period_id else None
    if doctor is None or period is None:
        return None
    if session.get(DoctorPeriod, (doctor.id, period.id)) is None:
        return None
    return DoctorLink(token=token, doctor=doctor, period=period)
