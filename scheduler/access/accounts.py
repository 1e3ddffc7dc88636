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

from sqlmodel import Session, col, select

from scheduler.access.passwords import (
    PasswordRefused,
    check_password,
    hash_password,
    verify_password,
)
from scheduler.domain.enums import Role
from scheduler.domain.errors import InputError
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
    return session.exec(select(Account).where(Account.email == normal_email(email))).first()


def create_account(
    session: Session, *, email: str, password: str, role: Role, sites: Sequence[str] = (),
    name: str = "", now: datetime,
) -> Account:
    """A new account with these sites (an admin's sites do not matter); commits.

    Raises InputError naming `email` (malformed or taken), `password` (too short...) or
    `site` (unknown); nothing is written then.
    """
    address = normal_email(email)
    if not _EMAIL.fullmatch(address) or len(address) > 254:
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
    """The account these credentials open; commits the failure count. Raises SignInRefused."""
    account = find_account(session, email)
    locked = account is not None and account.locked_until is not None \
        and account.locked_until > now
    matches, fresher = verify_password(password, None if account is None else
                                       account.password_hash)
    if account is None:
        raise SignInRefused("wrong")
    if locked:
        raise SignInRefused("locked", account.locked_until)
    if not matches:
        account.failed_sign_ins += 1
        if account.failed_sign_ins >= LOCK_AFTER:
            account.failed_sign_ins = 0
            account.locked_until = now + LOCK_FOR
        session.add(account)
        session.commit()
        if account.locked_until is not None and account.locked_until > now:
            raise SignInRefused("locked", account.locked_until)
        raise SignInRefused("wrong")
    account.failed_sign_ins = 0
    account.locked_until = None
    if fresher is not None:
        account.password_hash = fresher
    session.add(account)
    session.commit()
    return account


def change_password(session: Session, account: Account, current: str, new: str, *,
                    now: datetime) -> None:
    """Set a new password after checking the current one; commits.

    Raises SignInRefused ("wrong") for a wrong current password and PasswordRefused for a new
    one that does not do. The caller closes the account's other sessions.
    """
    matches, _ = verify_password(current, account.password_hash)
    if not matches:
        raise SignInRefused("wrong")
    check_password(new)
    account.password_hash = hash_password(new)
    account.password_changed_at = now
    session.add(account)
    session.commit()


def account_sites(session: Session, account_id: int) -> frozenset[str]:
    """The sites given to the account."""
    return frozenset(session.exec(
        select(AccountSite.site_id).where(AccountSite.account_id == account_id)).all())
