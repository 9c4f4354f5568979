"""Do-not-call lists: numbers read as E.164 (so ``+1 (555) 010-0001`` and ``+15550100001``
are one entry), and which numbers of a try the lists forbid. Pure.

A list belongs to a client, or to the whole installation (client id ``INSTALLATION``). A
listed B number ends its task; a listed A number is left out of the try while the other A
numbers ring, and a task whose every A number is listed ends too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import phonenumbers

INSTALLATION = 0  # the client id under which the installation-wide list is kept
NUMBER_CHARS_MAX = 64  # what is read as a number at all, before normalising
E164_CHARS_MAX = 24  # the column: "+" and what libphonenumber keeps (at most 17 + 3 digits)
NUMBERS_PER_REQUEST_MAX = 10_000
# Numbers normalised and kept: a dispatch batch's numbers are read once per round.
_KEYS_KEPT = 65_536
# What the API takes: "+", then 3 to 20 digits with spaces, dots, dashes and brackets
# among them (+1 (555) 010-0001); the CLI also reads national numbers in a region.
NUMBER_PATTERN = r"^\+(?:[ ().-]*[0-9]){3,20}[ ().-]*$"
_INTERNATIONAL = re.compile(NUMBER_PATTERN)
# With a region (ISO 3166, e.g. "US"): the "+" may be left out.
NATIONAL_PATTERN = r"^\+?(?:[ ().-]*[0-9]){3,20}[ ().-]*$"
_NATIONAL = re.compile(NATIONAL_PATTERN)
_NOT_DIGITS = re.compile(r"[^0-9]")
NUMBER_RULE = ("must be a phone number in international format: + and the country code, 3 to "
               "20 digits in all; spaces, dots, dashes and brackets may stand among them")
NATIONAL_RULE = "must be a phone number of 3 to 20 digits (national numbers read in the region)"


class ListScope(StrEnum):
    """Whose list an entry is on, as comments and documents name it."""

    CLIENT = "client"
    INSTALLATION = "installation"

    @staticmethod
    def of(client_id: int) -> ListScope:
        return ListScope.INSTALLATION if client_id == INSTALLATION else ListScope.CLIENT

    def phrase(self) -> str:
        return ("the installation-wide do-not-call list" if self is ListScope.INSTALLATION
                else "the client's do-not-call list")


class NotANumber(ValueError):
    """The text cannot be read as a phone number; ``rule`` says what is wanted."""

    def __init__(self, rule: str = NUMBER_RULE) -> None:
        super().__init__(rule)
        self.rule = rule


def normalise(raw: object, region: str | None = None) -> str:
    """``raw`` as E.164 (libphonenumber's reading: "+33 (0)1 ..." loses its trunk 0); one it
    cannot read stays "+" and its digits. Without ``region`` (ISO 3166, e.g. "US") a number
    must be international; with one, national numbers are read there."""
    rule, shape = (NUMBER_RULE, _INTERNATIONAL) if region is None else (NATIONAL_RULE,
                                                                         _NATIONAL)
    if not isinstance(raw, str) or len(raw) > NUMBER_CHARS_MAX or not shape.fullmatch(raw):
        raise NotANumber(rule)
    try:
        parsed = phonenumbers.parse(raw, region)
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        if not raw.lstrip().startswith("+"):
            raise NotANumber(rule) from None
        e164 = "+" + _NOT_DIGITS.sub("", raw)
    if len(e164) > E164_CHARS_MAX:
        raise NotANumber(rule)
    return e164


@lru_cache(maxsize=_KEYS_KEPT)
def key_of(number: str) -> str:
    """A task's number (3 to 20 digits, "+" optional) as the lists hold it; one that
    libphonenumber cannot read is kept as "+" and its digits."""
    international = number if number.startswith("+") else f"+{number}"
    try:
        return normalise(international)
    except NotANumber:
        return international


@dataclass(frozen=True, slots=True)
class Screening:
    """What the lists say of one try: ``refusal`` (why the task ends) or the A numbers
    left out of it."""

    refusal: str | None
    skipped_a_numbers: tuple[str, ...] = ()


def screen(b_number: str, a_numbers: Sequence[str],
           listed: Mapping[str, ListScope]) -> Screening:
    """``listed``: the keys (``key_of``) of the numbers on a list in force, by whose list."""
    b_scope = listed.get(key_of(b_number))
    if b_scope is not None:
        return Screening(f"do-not-call: B number {b_number} is on {b_scope.phrase()}")
    skipped = tuple(number for number in a_numbers if key_of(number) in listed)
    if skipped and len(skipped) == len(a_numbers):
        numbers = ", ".join(skipped)
        return Screening(f"do-not-call: every A number is on a do-not-call list ({numbers})",
                         skipped)
    return Screening(None, skipped)


def a_numbers_of(a_number: str, callback_params: Mapping[str, object] | None) -> list[str]:
    """A task's A numbers: ``a_number`` and each of ``callback_params.extended_a_numbers``."""
    extended = (callback_params or {}).get("extended_a_numbers")
    listed = extended if isinstance(extended, list) else []
    return [a_number, *(n for n in listed if isinstance(n, str))]
