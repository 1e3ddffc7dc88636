"""Phone numbers, one form stored: E.164 ("+33611223344"), read with `phonenumbers` (the
Python port of Google's libphonenumber and its numbering-plan metadata) as French unless they
carry a country code, and shown in the national format for French numbers ("06 11 22 33 44"),
the international one for others.

Numbers of France's overseas departments ("0692 12 34 56", Réunion) are read with their own
country codes and shown nationally too.

A 9-digit French number whose leading 0 a spreadsheet dropped ("611223344", Excel reading the
cell as a number) is read as the number it was ("06 11 22 33 44"): French national numbers are
the 9 digits after the trunk prefix 0, so the 0 is restored, never guessed otherwise.
"""

from __future__ import annotations

import phonenumbers

#: Numbers without a country code are read as French.
REGION = "FR"
#: France's overseas departments and collectivities: their own country codes (+262, +590,
#: +594, +596, +508), the same 10-digit national numbers from 0 ("0692 12 34 56").
OVERSEAS = ("RE", "YT", "GP", "MQ", "GF", "BL", "MF", "PM")


class PhoneError(ValueError):
    """`text` is not a phone number of a known numbering plan: `french` says so in French."""

    def __init__(self, text: str) -> None:
        super().__init__(f"invalid phone number {text!r}")
        self.french = f"numéro de téléphone non valide « {text} »"


def to_e164(text: str) -> str:
    """`text` ("06.11.22.33.46", "+33 6 11 22 33 45", "611223344") as E.164; `PhoneError` when
    it is not a valid number (wrong length, unknown range, letters)."""
    for region in (REGION, *OVERSEAS):
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            raise PhoneError(text) from None
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise PhoneError(text)


def same_phone(stored: str | None, e164: str) -> bool:
    """Whether a stored phone (E.164, or as typed before phones were normalised) is `e164`."""
    if stored is None:
        return False
    try:
        return to_e164(stored) == e164
    except PhoneError:
        return stored == e164


def shown(stored: str | None) -> str:
    """A stored phone as people read it: national format for a French number, international
    for others; a value stored before E.164 (not parseable) as it is; "" for None."""
    if not stored:
        return ""
    try:
        number = phonenumbers.parse(stored, REGION)
    except phonenumbers.NumberParseException:
        return stored
    style = phonenumbers.PhoneNumberFormat.NATIONAL \
        if phonenumbers.region_code_for_number(number) in (REGION, *OVERSEAS) \
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)
