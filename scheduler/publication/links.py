"""A doctor's private feed link, shown again on every visit yet stored only as a hash.

Tokens are stored hashed, so a feed secret cannot be read back to show it a second time.
Instead the doctor's feed secret is derived from the personal link they open the page with:
HMAC(personal link secret, doctor and generation). The page recomputes it on every visit,
the database holds only its hash, and a leaked feed URL does not reveal the personal link.
Rotating revokes the doctor's feed tokens; the count of revoked ones is the generation, so
the next visit derives a new secret and the old URL stays dead.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from scheduler.domain.enums import TokenKind
from scheduler.models import AccessToken
from scheduler.storage import tokens


def doctor_feed_secret(
    session: Session, *, link_secret: str, doctor_id: str, now: datetime
) -> str:
    """The doctor's feed secret as reached through this personal link; issued on first use.

    The caller has resolved `link_secret` as the doctor's personal link. Commits when it
    issues the feed token (a page view must not lose it to a later rollback).
    """
    secret = derive_feed_secret(link_secret, doctor_id, _generation(session, doctor_id))
    digest = tokens.hash_secret(secret)
    if session.exec(select(AccessToken.id).where(AccessToken.token_hash == digest)).first():
        return secret
    session.add(AccessToken(kind=TokenKind.FEED, token_hash=digest, doctor_id=doctor_id,
                            created_at=now))
    try:
        session.commit()
    except IntegrityError:
        # The same page opened twice at once: the other request stored this very hash.
        session.rollback()
    return secret


def rotate_doctor_feed(session: Session, doctor_id: str, *, now: datetime) -> int:
    """Kill every feed URL of the doctor; the next page visit shows a new one. Flushes."""
    return tokens.revoke_all(session, TokenKind.FEED, now=now, doctor_id=doctor_id)


def derive_feed_secret(link_secret: str, doctor_id: str, generation: int) -> str:
    """32 URL-safe characters (192 bits), the shape `tokens.resolve` accepts."""
    message = f"feed\x00{doctor_id}\x00{generation}".encode()
    digest = hmac.new(link_secret.encode("ascii"), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[: tokens.SECRET_BYTES]).decode("ascii")


def _generation(session: Session, doctor_id: str) -> int:
    revoked = session.exec(
        select(func.count()).select_from(AccessToken).where(
            AccessToken.kind == TokenKind.FEED, AccessToken.doctor_id == doctor_id,
            col(AccessToken.revoked_at).is_not(None))
    ).one()
    return int(revoked)
