"""What a signed-in account holds: a browser session (the cookie's secret) or an API token
(a bearer secret for scripts). Both are secret links of `storage.tokens` bound to the account:
192 random bits, stored hashed, expiring, revocable, with their last use.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select, update

from scheduler.domain.enums import TokenKind
from scheduler.models import AccessToken, Account
from scheduler.storage import tokens

#: The last use is written at most this often (a script polling every second writes little).
LAST_USE_GRAIN = timedelta(minutes=1)


def open_session(session: Session, account: Account, *, now: datetime, hours: float) -> str:
    """A new browser session lasting `hours`; commits. Returns the cookie's secret."""
    assert account.id is not None
    secret = tokens.issue(session, TokenKind.SESSION, now=now, account_id=account.id,
                          expires_at=now + timedelta(hours=hours))
    session.commit()
    return secret


def session_account(session: Session, secret: str, *, now: datetime) -> Account | None:
    """The account of a live session, or None (unknown, ended, revoked)."""
    return _account(session, TokenKind.SESSION, secret, now)


def close_session(session: Session, secret: str, *, now: datetime) -> None:
    """End one session (signing out); commits."""
    token = tokens.resolve(session, TokenKind.SESSION, secret, now=now)
    if token is not None:
        token.revoked_at = now
        session.add(token)
        session.commit()


def close_other_sessions(session: Session, account: Account, *, now: datetime,
                         keep: str | None = None) -> int:
    """End the account's sessions but `keep` (after a password change); commits."""
    kept = tokens.hash_secret(keep) if keep is not None and tokens.well_formed(keep) else None
    live = session.exec(select(AccessToken).where(
        AccessToken.kind == TokenKind.SESSION, AccessToken.account_id == account.id,
        col(AccessToken.revoked_at).is_(None))).all()
    ended = 0
    for token in live:
        if token.token_hash != kept:
            token.revoked_at = now
            session.add(token)
            ended += 1
    session.commit()
    return ended


def issue_api_token(session: Session, account: Account, *, now: datetime,
                    days: int | None = None, label: str = "") -> str:
    """A bearer token for scripts (expiring after `days`, or never); commits. Shown once."""
    assert account.id is not None
    expires = now + timedelta(days=days) if days is not None else None
    secret = tokens.issue(session, TokenKind.API_TOKEN, now=now, account_id=account.id,
                          expires_at=expires, label=label)
    session.commit()
    return secret


def api_token_account(session: Session, secret: str, *, now: datetime) -> Account | None:
    """The account of a live API token, or None."""
    return _account(session, TokenKind.API_TOKEN, secret, now)


def api_tokens(session: Session, account: Account) -> list[AccessToken]:
    """The account's API tokens, live or not, newest first (with their last use)."""
    return list(session.exec(
        select(AccessToken).where(AccessToken.kind == TokenKind.API_TOKEN,
                                  AccessToken.account_id == account.id)
        .order_by(col(AccessToken.id).desc())).all())


def revoke_api_token(session: Session, account: Account, token_id: int, *, now: datetime
                     ) -> bool:
    """Revoke one of the account's API tokens; commits. False when it has no such token."""
    token = session.get(AccessToken, token_id)
    if token is None or token.kind != TokenKind.API_TOKEN or token.account_id != account.id:
        return False
    if token.revoked_at is None:
        token.revoked_at = now
        session.add(token)
        session.commit()
    return True


def _account(session: Session, kind: TokenKind, secret: str, now: datetime) -> Account | None:
    token = tokens.resolve(session, kind, secret, now=now)
    if token is None or token.account_id is None:
        return None
    account = session.get(Account, token.account_id)
    if account is None:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_GRAIN:
        token_id = token.id
        session.commit()  # end the read: the write below starts its own transaction
        try:
            session.exec(update(AccessToken).where(col(AccessToken.id) == token_id)
                         .values(last_used_at=now))
            session.commit()
        except OperationalError:
            # The last use is a courtesy: a database too busy to write it now skips it.
            session.rollback()
    return account
