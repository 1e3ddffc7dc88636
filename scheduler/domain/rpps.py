"""RPPS numbers: 11 digits whose last digit is a Luhn check digit."""

from __future__ import annotations


def luhn_check_digit(body: str) -> int:
    """The digit that makes `body + digit` pass the Luhn test."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        n = int(ch)
        if i % 2 == 0:  # rightmost digit of the body is doubled once the check digit is appended
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return (10 - total % 10) % 10


def rpps_is_valid(value: str) -> bool:
    return len(value) == 11 and value.isdigit() and luhn_check_digit(value[:10]) == int(value[10])


def make_rpps(body: str) -> str:
    """Complete a 10-digit body with its check digit (used to make fictional numbers)."""
    if len(body) != 10 or not body.isdigit():
        raise ValueError("an RPPS body has 10 digits")
    return body + str(luhn_check_digit(body))
