"""Accounts, sign-in with lock-out, passwords, sessions and API tokens, and reach."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.access.accounts import (
    LOCK_AFTER,
    LOCK_FOR,
    SignInRefused,
    authenticate,
    change_password,
    create_account,
)
from scheduler.access.credentials import (
    api_token_account,
    api_tokens,
    close_other_sessions,
    close_session,
    issue_api_token,
    open_session,
    revoke_api_token,
    session_account,
)
from scheduler.access.passwords import PasswordRefused
from scheduler.access.scope import (
    reach_of,
    reachable_doctors,
    reachable_periods,
    reaches_period,
)
from scheduler.domain.enums import Role
from scheduler.domain.errors import InputError
from scheduler.domain.problem import Problem
from scheduler.models import Account, DoctorRow, SiteRow
from tests.support import REPO

NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)
PASSWORD = "correct horse battery"


def manager(session: Session, email: str = "cadre@chiv.test", sites: tuple[str, ...] = ("chiv",)
            ) -> Account:
    return create_account(session, email=email, password=PASSWORD, role=Role.MANAGER,
                          sites=sites, now=NOW)


@pytest.mark.parametrize(("field", "email", "password", "sites"), [
    ("email", "not an address", PASSWORD, ("chiv",)),
    ("password", "a@chiv.test", "too short", ("chiv",)),
    ("password", "a@chiv.test", " spaced out password ", ("chiv",)),
    ("site", "a@chiv.test", PASSWORD, ("nowhere",)),
])
def test_create_account_refuses_bad_input_naming_the_field(
    session: Session, loaded_tiny: Problem, field: str, email: str, password: str,
    sites: tuple[str, ...],
) -> None:
    with pytest.raises(InputError) as caught:
        create_account(session, email=email, password=password, role=Role.MANAGER,
                       sites=sites, now=NOW)
    assert [p.field for p in caught.value.problems] == [field]
    assert session.exec(select(Account)).all() == []


def test_an_email_is_one_account_whatever_its_case(session: Session, loaded_tiny: Problem
                                                   ) -> None:
    manager(session)
    with pytest.raises(InputError, match="already uses"):
        manager(session, "CADRE@chiv.test")
    assert authenticate(session, " Cadre@CHIV.test ", PASSWORD, now=NOW).email == \
        "cadre@chiv.test"


def test_the_password_is_stored_as_an_argon2_hash(session: Session, loaded_tiny: Problem
                                                  ) -> None:
    account = manager(session)
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash


def test_wrong_password_and_unknown_email_are_refused_alike(session: Session,
                                                           loaded_tiny: Problem) -> None:
    manager(session)
    for email, password in (("cadre@chiv.test", "wrong password!"), ("ghost@chiv.test",
                                                                     PASSWORD)):
        with pytest.raises(SignInRefused) as caught:
            authenticate(session, email, password, now=NOW)
        assert caught.value.reason == "wrong"


def test_repeated_wrong_passwords_lock_the_account_for_a_while(session: Session,
                                                              loaded_tiny: Problem) -> None:
    manager(session)
    for _ in range(LOCK_AFTER):
        with pytest.raises(SignInRefused, match="wrong"):
            authenticate(session, "cadre@chiv.test", "wrong password!", now=NOW)
    with pytest.raises(SignInRefused) as caught:  # even the right password
        authenticate(session, "cadre@chiv.test", PASSWORD, now=NOW + LOCK_FOR / 2)
    assert caught.value.reason == "locked" and caught.value.locked_until == NOW + LOCK_FOR
    later = NOW + LOCK_FOR + timedelta(seconds=1)
    assert authenticate(session, "cadre@chiv.test", PASSWORD, now=later).failed_sign_ins == 0


def test_wrong_passwords_sent_at_once_all_count(engine: Engine, session: Session,
                                              loaded_tiny: Problem) -> None:
    # Guesses in parallel each add one, atomically: the lock is reached all the same.
    manager(session)

    def guess(_: int) -> str:
        with Session(engine) as own:
            try:
                authenticate(own, "cadre@chiv.test", "wrong password!", now=NOW)
            except SignInRefused as exc:
                return exc.reason
        return "in"

    with ThreadPoolExecutor(max_workers=LOCK_AFTER) as pool:
        assert set(pool.map(guess, range(LOCK_AFTER * 2))) <= {"wrong", "locked"}
    with pytest.raises(SignInRefused, match="locked"):
        authenticate(session, "cadre@chiv.test", PASSWORD, now=NOW)


def test_a_right_password_resets_the_count(session: Session, loaded_tiny: Problem) -> None:
    manager(session)
    for _ in range(LOCK_AFTER - 1):
        with pytest.raises(SignInRefused):
            authenticate(session, "cadre@chiv.test", "wrong password!", now=NOW)
    authenticate(session, "cadre@chiv.test", PASSWORD, now=NOW)
    with pytest.raises(SignInRefused, match="wrong"):
        authenticate(session, "cadre@chiv.test", "wrong password!", now=NOW)


def test_changing_the_password_checks_the_current_one_and_the_new_one(
    session: Session, loaded_tiny: Problem
) -> None:
    account = manager(session)
    with pytest.raises(SignInRefused):
        change_password(session, account, "not it at all", "a brand new password", now=NOW)
    with pytest.raises(PasswordRefused):
        change_password(session, account, PASSWORD, "short", now=NOW)
    change_password(session, account, PASSWORD, "a brand new password", now=NOW)
    authenticate(session, "cadre@chiv.test", "a brand new password", now=NOW)


def test_a_session_ends_when_closed_or_expired(session: Session, loaded_tiny: Problem) -> None:
    account = manager(session)
    secret = open_session(session, account, now=NOW, hours=2)
    assert session_account(session, secret, now=NOW) == account
    assert session_account(session, secret, now=NOW + timedelta(hours=3)) is None
    close_session(session, secret, now=NOW)
    assert session_account(session, secret, now=NOW) is None


def test_closing_the_other_sessions_keeps_the_current_one(session: Session,
                                                         loaded_tiny: Problem) -> None:
    account = manager(session)
    here, there = (open_session(session, account, now=NOW, hours=2) for _ in range(2))
    assert close_other_sessions(session, account, now=NOW, keep=here) == 1
    assert session_account(session, here, now=NOW) == account
    assert session_account(session, there, now=NOW) is None


def test_api_tokens_expire_are_revocable_and_record_their_last_use(
    session: Session, loaded_tiny: Problem
) -> None:
    account = manager(session)
    secret = issue_api_token(session, account, now=NOW, days=30, label="export")
    [token] = api_tokens(session, account)
    assert token.token_hash != secret and token.last_used_at is None
    assert api_token_account(session, secret, now=NOW + timedelta(days=1)) == account
    session.refresh(token)
    assert token.last_used_at == NOW + timedelta(days=1)
    assert api_token_account(session, secret, now=NOW + timedelta(days=31)) is None
    assert token.id is not None and revoke_api_token(session, account, token.id, now=NOW)
    assert api_token_account(session, secret, now=NOW) is None
    # A session secret is no API token, and the other way round.
    assert session_account(session, secret, now=NOW) is None


def test_a_manager_reaches_the_periods_of_their_sites_an_admin_every_one(
    session: Session, loaded_tiny: Problem
) -> None:
    session.add(SiteRow(id="chic", name="CHIC"))
    session.commit()
    period = loaded_tiny.period.id
    here, elsewhere = manager(session), manager(session, "autre@chic.test", ("chic",))
    admin = create_account(session, email="admin@test.invalid", password=PASSWORD,
                           role=Role.ADMIN, now=NOW)
    assert reaches_period(session, reach_of(session, here), period)
    assert not reaches_period(session, reach_of(session, elsewhere), period)
    assert reaches_period(session, reach_of(session, admin), period)
    assert not reaches_period(session, reach_of(session, admin), "no-such-period")
    assert [p.id for p in reachable_periods(session, reach_of(session, elsewhere))] == []


def test_a_manager_reaches_the_doctors_of_their_sites_and_the_newcomers(
    session: Session, loaded_tiny: Problem
) -> None:
    session.add(SiteRow(id="chic", name="CHIC"))
    session.add(DoctorRow(id="dr-new", name="Dr Nouveau"))
    session.commit()
    here, elsewhere = manager(session), manager(session, "autre@chic.test", ("chic",))
    taking_part = {d.id for d in loaded_tiny.doctors}
    assert reachable_doctors(session, reach_of(session, here)) == taking_part | {"dr-new"}
    assert reachable_doctors(session, reach_of(session, elsewhere)) == {"dr-new"}
    admin = create_account(session, email="admin@test.invalid", password=PASSWORD,
                           role=Role.ADMIN, now=NOW)
    assert reachable_doctors(session, reach_of(session, admin)) is None


def test_passwords_are_hashed_with_the_recommended_parameters_outside_the_suite() -> None:
    """The suite hashes cheaply (conftest); the service itself, run as a process, keeps
    pwdlib's recommended argon2 (64 MiB, 3 passes)."""
    done = subprocess.run(
        [sys.executable, "-c", "from scheduler.access.passwords import hash_password; "
                               "print(hash_password('un mot de passe long'))"],
        capture_output=True, text=True, check=True, cwd=REPO, timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.stdout.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
