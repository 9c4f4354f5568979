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

from models.rules import numbering

INSTALLATION = 0  # the client id under which the installation-wide list is kept
NUMBER_CHARS_MAX = 64  # what is read as a number at all, before normalising
E164_CHARS_MAX = numbering.E164_CHARS_MAX
NUMBERS_PER_REQUEST_MAX = 10_000
# What the API takes: "+", then 3 to 20 digits with spaces, dots, dashes and brackets
# among them (+1 (555) 010-0001); with a region, national numbers too.
NUMBER_PATTERN = r"^\+(?:[ ().-]*[0-9]){3,20}[ ().-]*$"
_INTERNATIONAL = re.compile(NUMBER_PATTERN)
# With a region (ISO 3166, e.g. "US"): the "+" may be left out.
NATIONAL_PATTERN = r"^\+?(?:[ ().-]*[0-9]){3,20}[ ().-]*$"
_NATIONAL = re.compile(NATIONAL_PATTERN)
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


NotANumber = numbering.NotANumber


def normalise(raw: object, region: str | None = None) -> str:
    """``raw`` as E.164, read as a task's number is (numbering.canonical: "+33 (0)1 ..."
    loses its trunk 0; a number of an impossible length is refused). Without ``region``
    (ISO 3166, e.g. "US") a number must be international; with one, national numbers are
    read there."""
    rule, shape = (NUMBER_RULE, _INTERNATIONAL) if region is None else (NATIONAL_RULE,
                                                                         _NATIONAL)
    if not isinstance(raw, str) or len(raw) > NUMBER_CHARS_MAX or not shape.fullmatch(raw):
        raise NotANumber(rule)
    return numbering.canonical(raw, region)


@dataclass(frozen=True, slots=True)
class Screening:
    """What the lists say of one try: ``refusal`` (why the task ends) or the A numbers
    left out of it."""

    refusal: str | None
    skipped_a_numbers: tuple[str, ...] = ()


def screen(b_number: str, a_numbers: Sequence[str],
           listed: Mapping[str, ListScope]) -> Screening:
    """``b_number`` and ``a_numbers`` as dialled (canonical E.164, or PBX extensions, which
    no list holds); ``listed``: the numbers on a list in force, by whose list."""
    b_scope = listed.get(b_number)
    if b_scope is not None:
        return Screening(f"do-not-call: B number {b_number} is on {b_scope.phrase()}")
    skipped = tuple(number for number in a_numbers if number in listed)
    if skipped and len(skipped) == len(a_numbers):
        numbers = ", ".join(skipped)
        return Screening(f"do-not-call: every A number is on a do-not-call list ({numbers})",
                         skipped)
    return Screening(None, skipped)
