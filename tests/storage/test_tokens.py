"""Secret links: issued once, stored hashed, and dead once revoked, rotated or expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from scheduler.domain.enums import TokenKind
from scheduler.domain.problem import Problem
from scheduler.models import AccessToken
from scheduler.storage import tokens

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(session: Session, loaded_tiny: Problem) -> Session:
    return session


def test_issued_token_resolves_and_only_its_hash_is_stored(db: Session) -> None:
    secret = tokens.issue(db, TokenKind.DOCTOR_LINK, now=NOW, doctor_id="dr-alpha")
    assert len(secret) == 32  # 24 random bytes: 192 bits
    token = tokens.resolve(db, TokenKind.DOCTOR_LINK, secret, now=NOW)
    assert token is not None and token.doctor_id == "dr-alpha"
    stored = db.exec(select(AccessToken)).all()
    assert [t.token_hash for t in stored] == [tokens.hash_secret(secret)]
    assert secret not in {t.token_hash for t in stored}


def test_unknown_malformed_and_wrong_kind_tokens_do_not_resolve(db: Session) -> None:
    secret = tokens.issue(db, TokenKind.FEED, now=NOW, doctor_id="dr-alpha")
    assert tokens.resolve(db, TokenKind.DOCTOR_LINK, secret, now=NOW) is None
    assert tokens.resolve(db, TokenKind.FEED, "x" * 32, now=NOW) is None
    assert tokens.resolve(db, TokenKind.FEED, "../etc/passwd", now=NOW) is None


def test_expired_token_does_not_resolve(db: Session) -> None:
    secret = tokens.issue(db, TokenKind.DOCTOR_LINK, now=NOW, doctor_id="dr-alpha",
                          expires_at=NOW + timedelta(days=1))
    assert tokens.resolve(db, TokenKind.DOCTOR_LINK, secret,
                          now=NOW + timedelta(hours=23)) is not None
    assert tokens.resolve(db, TokenKind.DOCTOR_LINK, secret,
                          now=NOW + timedelta(days=1)) is None


def test_rotating_kills_the_old_url(db: Session) -> None:
    old = tokens.issue(db, TokenKind.FEED, now=NOW, doctor_id="dr-alpha")
    new = tokens.rotate(db, TokenKind.FEED, now=NOW, doctor_id="dr-alpha")
    assert tokens.resolve(db, TokenKind.FEED, old, now=NOW) is None
    assert tokens.resolve(db, TokenKind.FEED, new, now=NOW) is not None


def test_revoking_one_doctor_leaves_the_others(db: Session) -> None:
    a = tokens.issue(db, TokenKind.FEED, now=NOW, doctor_id="dr-alpha")
    b = tokens.issue(db, TokenKind.FEED, now=NOW, doctor_id="dr-bravo")
    assert tokens.revoke_all(db, TokenKind.FEED, now=NOW, doctor_id="dr-alpha") == 1
    assert tokens.resolve(db, TokenKind.FEED, a, now=NOW) is None
    assert tokens.resolve(db, TokenKind.FEED, b, now=NOW) is not None
