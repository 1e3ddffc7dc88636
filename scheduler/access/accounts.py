"""Manager and admin accounts: creating them, signing in with lock-out, changing a password.

Sign-in answers the same way for an unknown email and a wrong password (and takes as long).
After `LOCK_AFTER` wrong passwords in a row an account is locked for `LOCK_FOR`, whoever
tries; a right password after the lock ends starts the count again (OWASP, Authentication
Cheat Sheet, "Account lockout").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from sqlmodel import Session, col, select, update

from scheduler.access.passwords import (
    PasswordRefused,
    check_password,
    hash_password,
    verify_password,
)
from scheduler.domain.enums import Role
from scheduler.domain.errors import InputError
from scheduler.domain.text import EMAIL_MAX, text_problem
from scheduler.models import Account, AccountSite, SiteRow

LOCK_AFTER = 5
LOCK_FOR = timedelta(minutes=15)
SOURCE = "account"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class SignInRefused(Exception):
    """Why a sign-in failed: a wrong email or password (never told apart), or a locked
    account (until when)."""

    def __init__(self, reason: Literal["wrong", "locked"], locked_until: datetime | None = None
                 ) -> None:
        super().__init__(reason)
        self.reason, self.locked_until = reason, locked_until


def normal_email(email: str) -> str:
    return email.strip().lower()


def find_account(session: Session, email: str) -> Account | None:
    """The account of this email (any case), or None; text no account could have is none."""
    address = normal_email(email)
    if text_problem(address) is not None or len(address) > EMAIL_MAX:
        return None
    return session.exec(select(Account).where(Account.email == address)).first()


def create_account(
    session: Session, *, email: str, password: str, role: Role, sites: Sequence[str] = (),
    name: str = "", now: datetime,
) -> Account:
    """A new account with these sites (an admin's sites do not matter); commits.

    Raises InputError naming `email` (malformed or taken), `password` (too short...) or
    `site` (unknown); nothing is written then.
    """
    address = normal_email(email)
    if not _EMAIL.fullmatch(address) or len(address) > EMAIL_MAX or text_problem(address):
        raise InputError.single(SOURCE, "email", f"invalid email address {email!r}")
    if find_account(session, address) is not None:
        raise InputError.single(SOURCE, "email", f"an account already uses {address}")
    try:
        check_password(password)
    except PasswordRefused as exc:
        raise InputError.single(SOURCE, "password", exc.message) from None
    known = set(session.exec(select(SiteRow.id).where(col(SiteRow.id).in_(sites))).all())
    unknown = [s for s in sites if s not in known]
    if unknown:
        raise InputError.single(SOURCE, "site", f"unknown sites: {', '.join(unknown)}")
    account = Account(email=address, name=name, role=role, password_hash=hash_password(password),
                      created_at=now, password_changed_at=now)
    session.add(account)
    session.flush()
    assert account.id is not None  # set by the flush
    session.add_all(AccountSite(account_id=account.id, site_id=s) for s in dict.fromkeys(sites))
    session.commit()
    return account


def authenticate(session: Session, email: str, password: str, *, now: datetime) -> Account:
    """The account these credentials open; commits the failure count. Raises SignInRefused.

    The password is checked outside any transaction; a wrong one then counts with one atomic
    increment, so guesses sent in parallel all count (and the one reaching `LOCK_AFTER` locks
    the account), and no read is ever followed by a write in one transaction.
    """
    account = find_account(session, email)
    stored = None if account is None else account.password_hash
    locked_until = None if account is None else account.locked_until
    account_id = None if account is None else account.id
    session.commit()  # end the read: what follows starts with its write
    matches, fresher = verify_password(password, stored)
    if account_id is None:
        raise SignInRefused("wrong")
    if locked_until is not None and locked_until > now:
        raise SignInRefused("locked", locked_until)
    if not matches:
        _count_failure(session, account_id, now)
        raise SignInRefused("wrong")
    values: dict[str, object] = {"failed_sign_ins": 0, "locked_until": None}
    if fresher is not None:
        values["password_hash"] = fresher
    session.exec(update(Account).where(col(Account.id) == account_id).values(**values))
    session.commit()
    signed_in = session.get(Account, account_id)
    assert signed_in is not None
    return signed_in


def _count_failure(session: Session, account_id: int, now: datetime) -> None:
    """One more wrong password, atomically; the `LOCK_AFTER`th locks the account."""
    count: int = session.execute(
        update(Account).where(col(Account.id) == account_id)
        .values(failed_sign_ins=col(Account.failed_sign_ins) + 1)
        .returning(col(Account.failed_sign_ins))).scalar_one()
    if count >= LOCK_AFTER:
        session.exec(update(Account).where(col(Account.id) == account_id)
                     .values(failed_sign_ins=0, locked_until=now + LOCK_FOR))
    session.commit()


def change_password(session: Session, account: Account, current: str, new: str, *,
                    now: datetime) -> None:
    """Set a new password after checking the current one; commits.

    Raises SignInRefused ("wrong") for a wrong current password, which counts like a wrong
    sign-in (and "locked" once the account locks), and PasswordRefused for a new one that does
    not do. The caller closes the account's other sessions (all of them when locked).
    """
    assert account.id is not None
    account_id, stored = account.id, account.password_hash
    session.commit()
    matches, _ = verify_password(current, stored)
    if not matches:
        _count_failure(session, account_id, now)
        refreshed = session.get(Account, account_id)
        if refreshed is not None and refreshed.locked_until is not None \
                and refreshed.locked_until > now:
            raise SignInRefused("locked", refreshed.locked_until)
        raise SignInRefused("wrong")
    check_password(new)
    if verify_password(new, stored)[0]:
        raise PasswordRefused("the same as the current one",
                              "Le nouveau mot de passe est celui d'aujourd'hui.")
    session.exec(update(Account).where(col(Account.id) == account_id).values(
        password_hash=hash_password(new), password_changed_at=now, failed_sign_ins=0))
    session.commit()


def set_password(session: Session, account: Account, password: str, *, now: datetime
                 ) -> None:
    """An admin's reset: a new password without the current one; commits. Raises
    PasswordRefused. The caller ends the account's sessions."""
    check_password(password)
    session.exec(update(Account).where(col(Account.id) == account.id).values(
        password_hash=hash_password(password), password_changed_at=now, failed_sign_ins=0,
        locked_until=None))
    session.commit()


def unlock(session: Session, account: Account) -> None:
    """Lift a lock-out (and forget the wrong passwords); commits."""
    session.exec(update(Account).where(col(Account.id) == account.id).values(
        failed_sign_ins=0, locked_until=None))
    session.commit()


def account_sites(session: Session, account_id: int) -> frozenset[str]:
    """The sites given to the account."""
    return frozenset(session.exec(
        select(AccountSite.site_id).where(AccountSite.account_id == account_id)).all())
