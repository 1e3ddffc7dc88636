"""Secret links: issue, resolve, revoke and rotate tokens (≥ 128 bits, stored hashed).

The secrets are random (192 bits), so a plain SHA-256 is enough to store them: there is nothing
to brute-force. A lookup answers None alike for unknown, malformed, revoked or expired tokens,
so callers cannot tell (or tell others) whether a token ever existed.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from sqlmodel import Session, col, select

from scheduler.domain.enums import TokenKind
from scheduler.models import AccessToken

#: 24 random bytes → 32 URL-safe characters.
SECRET_BYTES = 24
SECRET_LENGTH = (SECRET_BYTES * 4 + 2) // 3
_SHAPE = re.compile(rf"^[A-Za-z0-9_-]{{{SECRET_LENGTH}}}$")


def well_formed(secret: str) -> bool:
    """Could this be one of our secrets? (Checked before any database lookup.)"""
    return _SHAPE.match(secret) is not None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def issue(
    session: Session,
    kind: TokenKind,
    *,
    now: datetime,
    doctor_id: str | None = None,
    organisation_id: str | None = None,
    site_id: str | None = None,
    period_id: str | None = None,
    account_id: int | None = None,
    expires_at: datetime | None = None,
    label: str = "",
) -> str:
    """A new secret for this subject; the caller commits. Returns the secret (shown once)."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    session.add(AccessToken(kind=kind, token_hash=hash_secret(secret), doctor_id=doctor_id,
                            organisation_id=organisation_id, site_id=site_id,
                            period_id=period_id, account_id=account_id, created_at=now,
                            expires_at=expires_at, label=label))
    session.flush()
    return secret


def resolve(session: Session, kind: TokenKind, secret: str, *, now: datetime
            ) -> AccessToken | None:
    """The live token of `kind` for `secret`, or None (unknown, malformed, revoked, expired)."""
    if not well_formed(secret):
        return None
    token = session.exec(
        select(AccessToken).where(AccessToken.token_hash == hash_secret(secret))
    ).first()
    if token is None or token.kind != kind or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    return token


def revoke_all(
    session: Session,
    kind: TokenKind,
    *,
    now: datetime,
    doctor_id: str | None = None,
    organisation_id: str | None = None,
    site_id: str | None = None,
    account_id: int | None = None,
) -> int:
    """Revoke every live token of `kind` for the subject; the caller commits."""
    query = select(AccessToken).where(
        AccessToken.kind == kind, col(AccessToken.revoked_at).is_(None),
        AccessToken.doctor_id == doctor_id, AccessToken.organisation_id == organisation_id,
        AccessToken.site_id == site_id, AccessToken.account_id == account_id,
    )
    tokens = list(session.exec(query))
    for token in tokens:
        token.revoked_at = now
        session.add(token)
    session.flush()
    return len(tokens)


def rotate(
    session: Session,
    kind: TokenKind,
    *,
    now: datetime,
    doctor_id: str | None = None,
    organisation_id: str | None = None,
    site_id: str | None = None,
    period_id: str | None = None,
    expires_at: datetime | None = None,
) -> str:
    """Revoke the subject's live tokens of `kind` and issue a new one: the old URL stops working."""
    revoke_all(session, kind, now=now, doctor_id=doctor_id, organisation_id=organisation_id,
               site_id=site_id)
    return issue(session, kind, now=now, doctor_id=doctor_id, organisation_id=organisation_id,
                 site_id=site_id, period_id=period_id, expires_at=expires_at)
