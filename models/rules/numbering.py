"""A phone number read once, at intake, into the one form every rule and the trunk use:
E.164, by Google's libphonenumber. Pure.

A number with "+" is international; without it, a national number of the scheduler's
``default_region`` (its national prefix, its international prefix — 00 in France, 011 in
the US — and its country code are understood as a person there would dial them). A number
that cannot be read that way, or whose length is impossible for its country, is refused:
the do-not-call lists, the caps, the calling windows and the dial string then always name
the same number. A scheduler may declare its A numbers PBX extensions (an agent's ``1001``):
they are dialled as written and no number rule applies to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from functools import lru_cache

import phonenumbers

E164_CHARS_MAX = 24  # the column: "+" and at most 17 digits, with room to spare
# Readings kept: a request's or a dispatch batch's numbers repeat (one agent, many B numbers).
_READINGS_KEPT = 65_536
NO_REGION_RULE = ("must be in international format (+ and the country code), or the "
                  "scheduler needs a default_region to read national numbers")
IMPOSSIBLE_RULE = "is not a possible phone number of its country (libphonenumber)"
REGION_RULE = ("must be a region code libphonenumber knows (ISO 3166-1 alpha-2, upper case, "
               "such as US or FR), or null")


class ANumberType(StrEnum):
    """What a scheduler's A numbers are: phone numbers (E.164, every number rule applies) or
    extensions of the client's PBX (dialled as written, outside the number rules)."""

    PHONE = "phone"
    PBX_EXTENSION = "pbx_extension"


class NotANumber(ValueError):
    """The text cannot be read as a phone number; ``rule`` says why, for an error."""

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule


@lru_cache(maxsize=_READINGS_KEPT)
def canonical(raw: str, region: str | None) -> str:
    """``raw`` in E.164. With "+": international whatever ``region`` says; without: a
    national number of ``region`` (None: refused). Only a number libphonenumber reads and
    finds of a possible length (not merely a local one, dialled without its area code) is
    taken: its validity data lags new ranges, so lengths are checked, not allocations."""
    international = raw.lstrip().startswith("+")
    if not international and region is None:
        raise NotANumber(NO_REGION_RULE)
    try:
        parsed = phonenumbers.parse(raw, None if international else region)
    except phonenumbers.NumberParseException:
        raise NotANumber(IMPOSSIBLE_RULE) from None
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise NotANumber(IMPOSSIBLE_RULE)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if len(e164) > E164_CHARS_MAX:
        raise NotANumber(IMPOSSIBLE_RULE)
    return e164


def dialled(raw: str, region: str | None, kind: ANumberType) -> str:
    """An A number as it is dialled: canonical, or as written for a PBX extension."""
    return raw if kind is ANumberType.PBX_EXTENSION else canonical(raw, region)


def region_problem(value: object) -> str | None:
    """None when ``value`` is a region code libphonenumber reads numbers of, or null."""
    if value is None or (isinstance(value, str) and value in phonenumbers.SUPPORTED_REGIONS):
        return None
    return REGION_RULE


def ruled(numbers: Sequence[str]) -> list[str]:
    """Of a try's dialled numbers, those the number rules apply to: E.164 ones (a PBX
    extension is dialled as written, outside them)."""
    return [number for number in numbers if number.startswith("+")]
