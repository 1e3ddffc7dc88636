"""The doctor's calendar page, reached with their personal link: published shifts, and how
to subscribe to their private feed (https:// and webcal:// links, a QR code, instructions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import segno
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from sqlmodel import Session

from scheduler.domain.enums import TokenKind
from scheduler.domain.french import slot_hours, weekday_date
from scheduler.models import AccessToken, DoctorRow
from scheduler.publication.links import doctor_feed_secret, rotate_doctor_feed
from scheduler.publication.publish import Shift, doctor_shifts
from scheduler.storage import tokens
from scheduler.web.deps import NowDep, SessionDep, SettingsDep
from scheduler.web.templating import not_found_page, page

router = APIRouter(tags=["doctor pages"], include_in_schema=False)

@dataclass(frozen=True, kw_only=True)
class ShiftLine:
    """One shift as the page words it."""

    day: str
    hours: str
    site: str
    address: str
    past: bool


@router.get("/g/{token}/agenda", response_class=HTMLResponse)
def agenda(token: str, request: Request, session: SessionDep, settings: SettingsDep,
           now: NowDep, rotated: bool = False) -> HTMLResponse:
    """The doctor's published shifts and their calendar subscription."""
    link = _doctor_link(session, token, now)
    doctor = session.get(DoctorRow, link.doctor_id) if link and link.doctor_id else None
    if doctor is None:
        return not_found_page(request, settings.ed_contact)
    secret = doctor_feed_secret(session, link_secret=token, doctor_id=doctor.id, now=now)
    https_url = f"{settings.base_url.rstrip('/')}/feeds/doctor/{secret}.ics"
    webcal_url = webcal(https_url)
    return page(
        request, "agenda.html", title="Mes gardes", doctor=doctor,
        shifts=[_line(s, now) for s in doctor_shifts(session, doctor.id)],
        https_url=https_url, webcal_url=webcal_url, qr_svg=qr_svg(webcal_url),
        # Paths, not absolute URLs: behind a proxy the app may not know the public scheme.
        rotate_url=request.app.url_path_for("rotate_feed", token=token), rotated=rotated,
        form_url=request.app.url_path_for("form_page", token=token),
        contact=settings.ed_contact,
    )


@router.post("/g/{token}/agenda/rotate-feed", name="rotate_feed")
def rotate_feed(token: str, request: Request, session: SessionDep, settings: SettingsDep,
                now: NowDep) -> Response:
    """Replace the doctor's feed URL: the old one stops working at once."""
    link = _doctor_link(session, token, now)
    if link is None or link.doctor_id is None:
        return not_found_page(request, settings.ed_contact)
    rotate_doctor_feed(session, link.doctor_id, now=now)
    session.commit()
    target = request.app.url_path_for("agenda", token=token)
    return RedirectResponse(f"{target}?rotated=true", status_code=303)


def _doctor_link(session: Session, token: str, now: datetime) -> AccessToken | None:
    return tokens.resolve(session, TokenKind.DOCTOR_LINK, token, now=now)


def webcal(https_url: str) -> str:
    """The same address with the scheme calendar apps open as a subscription."""
    scheme, _, rest = https_url.partition("://")
    return f"webcal://{rest}" if scheme in {"http", "https"} else https_url


def qr_svg(content: str) -> Markup:
    """The content as an inline SVG QR code (no image request, no JavaScript)."""
    code = segno.make_qr(content, error="m")
    svg = code.svg_inline(scale=4, border=4, title="Code QR de l'abonnement", svgclass="qr")
    return Markup(svg)  # segno writes the SVG itself; nothing user-supplied is unescaped


def _line(shift: Shift, now: datetime) -> ShiftLine:
    start, end = shift.start, shift.end
    return ShiftLine(
        day=f"{weekday_date(start.date())} {start.year}",
        hours=slot_hours(start, end),
        site=shift.site,
        address=shift.address,
        past=end <= now,
    )
