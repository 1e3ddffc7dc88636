"""Passwords: argon2 hashes through `pwdlib`, and what a new password must be.

Only the hash is stored; verifying takes the same time whatever the password (argon2), and a
hash made with weaker parameters than today's is replaced at the next sign-in.
"""

from __future__ import annotations

from pwdlib import PasswordHash

#: NIST SP 800-63B: at least 8 characters, longer is better; a manager account decides who
#: works in an ED, so 12.
MIN_LENGTH = 12
MAX_LENGTH = 256

_HASHER = PasswordHash.recommended()
#: Verified against when the account does not exist, so both answers take as long.
_DECOY = _HASHER.hash("not a password of anybody's")


def hash_password(password: str) -> str:
    """The argon2 hash to store."""
    return _HASHER.hash(password)


def verify_password(password: str, stored_hash: str | None) -> tuple[bool, str | None]:
    """(matches, a fresher hash to store or None). `stored_hash` None (no such account) still
    costs one verification, so timing does not tell whether an account exists."""
    if stored_hash is None:
        _HASHER.verify(password, _DECOY)
        return False, None
    return _HASHER.verify_and_update(password, stored_hash)


class PasswordRefused(ValueError):
    """A new password that does not do: the reason in English (CLI, API) and French (pages)."""

    def __init__(self, message: str, message_fr: str) -> None:
        super().__init__(message)
        self.message, self.message_fr = message, message_fr


def check_password(password: str) -> None:
    """Raise PasswordRefused unless `password` may be set."""
    if len(password) < MIN_LENGTH:
        raise PasswordRefused(f"at least {MIN_LENGTH} characters",
                              f"Le mot de passe doit compter au moins {MIN_LENGTH} caractères.")
    if len(password) > MAX_LENGTH:
        raise PasswordRefused(f"at most {MAX_LENGTH} characters",
                              f"Le mot de passe doit compter au plus {MAX_LENGTH} caractères.")
    if "\x00" in password or any(0xD800 <= ord(c) <= 0xDFFF for c in password):
        raise PasswordRefused("a character that is not text",
                              "Le mot de passe contient un caractère non valide.")
    if password.strip() != password:
        raise PasswordRefused("no space at the start or the end",
                              "Le mot de passe ne doit commencer ni finir par une espace.")
