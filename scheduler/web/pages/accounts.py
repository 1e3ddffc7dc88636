"""The manager's door, in French: `/` (sign-in, or the home page once signed in), sign-out,
and changing one's password.

The session cookie is HttpOnly, SameSite=Lax, Secure behind https, and lasts
`session_hours`; signing out ends the session on the server, and a new password ends every
other session of the account. Sign-in attempts are rate-limited per address (`web.limits`)
and an account is locked after repeated wrong passwords (`access.accounts`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from scheduler.access.accounts import SignInRefused, authenticate, change_password
from scheduler.access.credentials import close_other_sessions, close_session, open_session
from scheduler.access.passwords import PasswordRefused
from scheduler.access.scope import reach_of, reachable_periods
from scheduler.domain.french import long_date, plural
from scheduler.storage.periods import PeriodProgress, period_progress
from scheduler.web.auth import SESSION_COOKIE, AccountDep
from scheduler.web.deps import FieldsDep, NowDep, SessionDep, SettingsDep
from scheduler.web.limits import client_address
from scheduler.web.templating import page

router = APIRouter(tags=["pages"], include_in_schema=False)

#: One answer for a wrong password, an unknown address and a locked account: it never tells
#: whether an account exists.
WRONG = ("Adresse électronique ou mot de passe incorrect. Après 5 essais erronés, un compte "
         "est verrouillé pendant 15 minutes.")
TOO_MANY = "Trop de tentatives depuis cette adresse : réessayez dans une minute."
STATUS_FR = {"draft": "brouillon", "published": "publiée", "superseded": "remplacée"}
PERIOD_STATUS_FR = {"draft": "en préparation", "collecting": "recueil des disponibilités",
                    "planning": "planification", "published": "planning publié",
                    "closed": "close"}


@router.get("/", response_class=HTMLResponse, name="home")
def home(request: Request, session: SessionDep, account: AccountDep, now: NowDep) -> Response:
    """The sign-in page, or the signed-in manager's periods."""
    if account is None:
        return page(request, "signin.html", title="Connexion", email="", error="")
    reach = reach_of(session, account)
    today = now.date()
    # Upcoming and current periods first (soonest first), then past ones (latest first).
    periods = sorted(reachable_periods(session, reach),
                     key=lambda p: (p.end < today, p.start.toordinal() * (-1 if p.end < today
                                                                          else 1)))
    rows = [_row(p) for p in period_progress(session, periods)]
    return page(request, "home.html", title="Accueil", account=account, rows=rows,
                admin=reach.is_admin)


def _row(progress: PeriodProgress) -> dict[str, str]:
    p = progress.period
    if progress.latest_version is None:
        rota = "pas encore de planning"
    else:
        number, status = progress.latest_version
        rota = f"version {number} ({STATUS_FR[status.value]})"
        if progress.published_version is not None and progress.published_version != number:
            rota += f", version {progress.published_version} publiée"
    return {
        "id": p.id, "name": p.name,
        "dates": f"du {long_date(p.start)} au {long_date(p.end)}",
        "deadline": long_date(p.availability_deadline) if p.availability_deadline else "—",
        "status": PERIOD_STATUS_FR[p.status.value],
        "answers": f"{progress.answered} / "
                   f"{plural(progress.taking_part, 'médecin invité', 'médecins invités')}",
        "rota": rota,
        "seats": f"{plural(progress.seats, 'place')} / "
                 f"{plural(progress.offers, 'disponibilité')}",
    }


@router.post("/connexion", response_class=HTMLResponse)
def sign_in(request: Request, session: SessionDep, settings: SettingsDep, now: NowDep,
            fields: FieldsDep) -> Response:
    """Check the email and password; on success open a session and go home."""
    form = dict(fields)
    email = form.get("email", "").strip()[:254]
    if not request.app.state.limiter.sign_in_allowed(client_address(request.scope)):
        return page(request, "signin.html", title="Connexion", email=email, error=TOO_MANY,
                    status_code=429)
    try:
        account = authenticate(session, email, form.get("mot_de_passe", ""), now=now)
    except SignInRefused:
        return page(request, "signin.html", title="Connexion", email=email, error=WRONG,
                    status_code=401)
    secret = open_session(session, account, now=now, hours=settings.session_hours)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(SESSION_COOKIE, secret, max_age=int(settings.session_hours * 3600),
                        httponly=True, samesite="lax", secure=settings.https, path="/")
    return response


@router.post("/deconnexion")
def sign_out(request: Request, session: SessionDep, now: NowDep) -> Response:
    """End the session, on the server and in the browser."""
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        close_session(session, secret, now=now)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/mot-de-passe", response_class=HTMLResponse)
def password_page(request: Request, account: AccountDep) -> Response:
    """The form to change one's password."""
    if account is None:
        return RedirectResponse("/", status_code=303)
    return page(request, "password.html", title="Changer de mot de passe", error="", done=False)


@router.post("/mot-de-passe", response_class=HTMLResponse)
def change_password_post(request: Request, session: SessionDep, account: AccountDep,
                         now: NowDep, fields: FieldsDep) -> Response:
    """Set a new password; every other session of the account ends."""
    if account is None:
        return RedirectResponse("/", status_code=303)
    form = dict(fields)
    new, again = form.get("nouveau", ""), form.get("confirmation", "")
    error = ""
    if new != again:
        error = "Les deux nouveaux mots de passe ne sont pas identiques."
    else:
        try:
            change_password(session, account, form.get("actuel", ""), new, now=now)
        except SignInRefused as exc:
            if exc.reason == "locked":
                # Guessing the current password from a session: the account locks, and every
                # one of its sessions ends.
                close_other_sessions(session, account, now=now)
                response = RedirectResponse("/", status_code=303)
                response.delete_cookie(SESSION_COOKIE, path="/")
                return response
            error = "Le mot de passe actuel est incorrect."
        except PasswordRefused as exc:
            error = exc.message_fr
    if error:
        return page(request, "password.html", title="Changer de mot de passe", error=error,
                    done=False, status_code=422)
    close_other_sessions(session, account, now=now, keep=request.cookies.get(SESSION_COOKIE))
    return page(request, "password.html", title="Changer de mot de passe", error="", done=True)
