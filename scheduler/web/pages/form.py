"""The GP's form at `/g/{token}`: one period's slots, dates away, caps and a comment.

Plain HTML forms: every button posts the whole form, so nothing typed is lost. A save that
works redirects (303) to the page with a confirmation, so reloading never posts twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from scheduler.collection.answers import (
    AnswersClosed,
    AnswersRejected,
    NotInvited,
    StaleAnswers,
    answer_problems,
    answers_open,
    deadline_end,
    offered_while_away,
    period_slot_order,
    save_answers,
    stored_answers,
    summarise,
)
from scheduler.collection.invitations import DoctorLink, open_doctor_link
from scheduler.domain.enums import PeriodStatus
from scheduler.domain.french import long_date, moment, plural, slot_hours, weekday_date
from scheduler.models import DoctorPeriod
from scheduler.storage.periods import period_sites, period_slots
from scheduler.storage.rotas import has_published_version
from scheduler.web.deps import FieldsDep, NowDep, SessionDep, SettingsDep
from scheduler.web.pages.form_view import (
    CHOICE_LABELS,
    CLEAR,
    FormState,
    apply_quick_action,
    build_grid,
    error_items,
    form_errors,
    parse_state,
    quick_actions,
    state_from_answers,
    state_from_form,
    summary_fr,
    weekends_with_slots,
)
from scheduler.web.templating import not_found_page, page

router = APIRouter(tags=["pages"], include_in_schema=False)

#: The hidden field every copy of the form carries (`form.html`).
FORM_MARK = "formulaire"



@router.get("/g/{token}", response_class=HTMLResponse)
def form_page(request: Request, token: str, session: SessionDep, settings: SettingsDep,
              now: NowDep, enregistre: bool = False) -> Response:
    """The form with the saved answers (read-only after the deadline)."""
    link = open_doctor_link(session, token, now=now)
    if link is None:
        return not_found_page(request, settings.ed_contact)
    answers = stored_answers(session, link.doctor.id, link.period.id)
    assert answers is not None  # the link only opens for doctors taking part
    notice = "Vos réponses sont enregistrées. Merci !" if enregistre else ""
    return _render(request, session, link, state_from_answers(answers), now=now,
                   contact=settings.ed_contact, notice=notice, revision=answers.revision or 0)


@router.post("/g/{token}", response_class=HTMLResponse)
def form_post(request: Request, token: str, session: SessionDep, settings: SettingsDep,
              now: NowDep, fields: FieldsDep) -> Response:
    """Save the answers, or pre-fill the grid with a quick action, or add a date-away row."""
    link = open_doctor_link(session, token, now=now)
    if link is None:
        return not_found_page(request, settings.ed_contact)
    if FORM_MARK not in dict(fields):
        # Not this form (a JSON or empty body): never read as "everything unticked".
        return page(request, "error.html", status_code=400, title="Formulaire incomplet",
                    message="Ce formulaire est arrivé incomplet : rien n'a été enregistré. "
                            "Rechargez la page, puis recommencez.",
                    contact=settings.ed_contact)
    state = state_from_form(fields)
    action = dict(fields).get("action", "save")
    # The revision the page was built on, carried through quick actions and corrections;
    # a form without one (not this page's) can only be stale.
    posted = dict(fields).get("revision", "")
    revision = int(posted) if posted.isascii() and posted.isdigit() and len(posted) < 10 \
        else -1
    render: dict[str, Any] = {"now": now, "contact": settings.ed_contact,
                              "revision": revision}
    if not answers_open(link.period, now):
        return _closed(request, session, link, render)
    if action.startswith("quick:"):
        return _quick(request, session, link, state, action.removeprefix("quick:"), render)
    if action == "add-away":
        state.away.append(("", ""))
        return _render(request, session, link, state, **render)
    parsed = parse_state(state)
    slot_ids = set(period_slot_order(session, link.period.id))
    caps = session.get(DoctorPeriod, (link.doctor.id, link.period.id))
    errors = form_errors(answer_problems(link.period, slot_ids, parsed.answers,
                                         weekend_rule=caps.max_weekends if caps else None),
                         parsed)
    if errors:
        return _render(request, session, link, state, errors=errors, status_code=422, **render)
    try:
        save_answers(session, link.doctor.id, link.period.id, parsed.answers, now=now,
                     expected_revision=revision)
    except StaleAnswers:
        return _stale(request, session, link, render)
    except AnswersClosed:
        return _closed(request, session, link, render)
    except AnswersRejected as exc:  # the period changed between the check and the save
        errors = form_errors(exc.answer_problems, parsed)
        return _render(request, session, link, state, errors=errors, status_code=422, **render)
    except NotInvited:
        return not_found_page(request, settings.ed_contact)
    return RedirectResponse(f"/g/{token}?enregistre=1", status_code=303)


def _closed(request: Request, session: SessionDep, link: DoctorLink, render: dict[str, Any]
            ) -> Response:
    """Answers are closed: show what is stored, whatever was posted."""
    return _stored(request, session, link, render)


def _stale(request: Request, session: SessionDep, link: DoctorLink, render: dict[str, Any]
           ) -> Response:
    """The page was built on older answers than those stored: say so, and show the stored
    ones (with their revision, so the next save from here is based on them)."""
    return _stored(request, session, link, render, stale=True)


def _stored(request: Request, session: SessionDep, link: DoctorLink, render: dict[str, Any],
            stale: bool = False) -> Response:
    answers = stored_answers(session, link.doctor.id, link.period.id)
    assert answers is not None
    return _render(request, session, link, state_from_answers(answers), status_code=409,
                   **{**render, "revision": answers.revision or 0}, stale=stale)


def _quick(request: Request, session: SessionDep, link: DoctorLink, state: FormState,
           action_id: str, render: dict[str, Any]) -> Response:
    slots = period_slots(session, link.period.id)
    actions = {a.id: a for a in quick_actions(slots, link.period.timezone)}
    action = actions.get(action_id)
    if action is None:
        return _render(request, session, link, state, **render)
    state, changed = apply_quick_action(state, action)
    done = "remis à « Non »" if action.id == CLEAR else "marqués « Dispo »"
    notice = (f"« {action.label} » : {plural(changed, 'créneau', 'créneaux')} {done}. "
              "Rien n'est encore enregistré : vérifiez, puis enregistrez.")
    return _render(request, session, link, state, quick_notice=notice, **render)


def _render(request: Request, session: SessionDep, link: DoctorLink, state: FormState, *,
            now: datetime, contact: str, revision: int, errors: dict[str, str] | None = None,
            notice: str = "", quick_notice: str = "", status_code: int = 200,
            stale: bool = False) -> Response:
    period, doctor = link.period, link.doctor
    slots = period_slots(session, period.id)
    sites = {s.id: s.name for s in period_sites(session, period.id)}
    saved = stored_answers(session, doctor.id, period.id)
    caps = session.get(DoctorPeriod, (doctor.id, period.id))
    answered_at = caps.answered_at if caps else None
    summary = (summary_fr(summarise(saved, slots, period.timezone))
               if saved is not None and answered_at is not None else "")
    tz = ZoneInfo(period.timezone)
    contradictions = [
        f"{weekday_date(s.start.astimezone(tz).date())}, "
        f"{slot_hours(s.start.astimezone(tz), s.end.astimezone(tz))}"
        for s in (offered_while_away(saved, slots, period.timezone)
                  if saved is not None and answered_at is not None else [])]
    deadline = period.availability_deadline
    is_open = answers_open(period, now)
    weeks = build_grid(period.start, period.end, slots, period.timezone, sites)
    errors = errors or {}
    # The weekends cap the manager set for this doctor (the period's rule): the GP's own can
    # only be lower. Not asked when there is no weekend to work (none in the slots, or none
    # allowed); a cap given before is then carried over, unless the rule is now lower (it
    # would be refused where the GP cannot see it).
    weekends = weekends_with_slots(slots, period.timezone)
    rule = caps.max_weekends if caps else None
    response = page(
        request, "form.html", status_code=status_code,
        title=f"Vos disponibilités — {period.name}",
        secret=request.path_params["token"],
        doctor=doctor, period=period,
        period_dates=f"du {long_date(period.start)} au {long_date(period.end)}",
        deadline_text=long_date(deadline) if deadline else "",
        open=is_open,
        closed_by_deadline=(end := deadline_end(period)) is not None and now >= end,
        # (A version published from the manager's pages leaves the period's status alone.)
        published=period.status == PeriodStatus.PUBLISHED
        or has_published_version(session, period.id),
        weeks=weeks, choice_labels=CHOICE_LABELS,
        quick_actions=quick_actions(slots, period.timezone),
        state=state, errors=errors, error_items=error_items(errors, weeks),
        # One blank row to add a date range (more with "add another").
        away_rows=[*state.away, ("", "")] if is_open else state.away,
        notice=notice, quick_notice=quick_notice,
        summary=summary,
        answered_text=moment(answered_at, period.timezone) if answered_at else "",
        contact=contact, revision=revision, stale=stale, contradictions=contradictions,
        weekends=weekends, weekend_rule=rule, ask_weekends=bool(weekends) and rule != 0,
        kept_weekends=state.max_weekends if rule is None or (
            state.max_weekends.isdigit() and int(state.max_weekends) <= rule) else "",
    )
    return response
