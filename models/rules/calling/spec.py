"""A scheduler's calling rules as a client sends them, validated: calling windows (or a
preset), public holidays of a country, skip dates, and the zone of numbers of no known zone.

``calling_windows`` gives, per weekday, wall-clock ranges [start, end) of the called
number's local day, as "HH:MM" or "HH:MM:SS" (seconds for windows seconds wide); a day left
out is closed once any day is given. ``calling_window_preset`` names a fixed week instead; a
preset and explicit windows together are refused, since neither reading (one replacing the
other, or both merged) is obviously what was meant.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cache
from typing import Any

import holidays

from models.rules.calling.fields import Checker
from models.rules.calling.localtime import timezone_problem

CALLING_RULE_FIELDS = ("calling_windows", "calling_window_preset", "holidays_country",
                       "skip_dates", "default_timezone")
DEFAULT_TIMEZONE = "UTC"
MAX_RANGES_PER_DAY = 8
MAX_SKIP_DATES = 366
SECONDS_PER_DAY = 24 * 60 * 60
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?")
_END_OF_DAY = ("24:00", "24:00:00")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_COUNTRY = re.compile(r"[A-Z]{2}")


class Weekday(StrEnum):
    """In date.weekday() order: Weekday.of(day) indexes a week."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @staticmethod
    def of(day: date) -> Weekday:
        return WEEKDAYS[day.weekday()]


WEEKDAYS = tuple(Weekday)


class Preset(StrEnum):
    US_FEDERAL = "us_federal"
    FR_CONSUMER = "fr_consumer"


@dataclass(frozen=True, slots=True, order=True)
class TimeRange:
    """Wall-clock seconds since local midnight, [start, end); end 86400 is "24:00"."""

    start: int
    end: int

    @staticmethod
    def clock(seconds: int) -> str:
        """"HH:MM", or "HH:MM:SS" when the seconds are not 0."""
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")

    def label(self) -> str:
        return f"{self.clock(self.start)}-{self.clock(self.end)}"

    def to_document(self) -> list[str]:
        return [self.clock(self.start), self.clock(self.end)]


Week = tuple[tuple[TimeRange, ...], ...]  # seven days, Monday first
_H = 3600  # seconds in an hour
ALL_DAY = (TimeRange(0, SECONDS_PER_DAY),)
_WORKDAYS_FR = (TimeRange(10 * _H, 13 * _H), TimeRange(14 * _H, 20 * _H))
PRESET_WEEKS: dict[Preset, Week] = {
    # TCPA: no solicitation calls before 8 a.m. or after 9 p.m. at the called party's place.
    Preset.US_FEDERAL: (((TimeRange(8 * _H, 21 * _H),),) * 7),
    # Code de la consommation (décret 2022-1313): weekdays 10-13 h and 14-20 h only.
    Preset.FR_CONSUMER: (_WORKDAYS_FR,) * 5 + ((), ()),
}
PRESET_HOLIDAYS: dict[Preset, str] = {Preset.FR_CONSUMER: "FR"}


@dataclass(frozen=True, slots=True)
class CallingRules:
    """As given: ``windows`` None means every day all day (unless a preset is named)."""

    windows: Week | None = None
    preset: Preset | None = None
    holidays_country: str | None = None
    skip_dates: frozenset[date] = field(default_factory=frozenset)
    default_timezone: str = DEFAULT_TIMEZONE

    @property
    def week(self) -> Week | None:
        """The ranges in force each weekday; None: every day all day."""
        return PRESET_WEEKS[self.preset] if self.preset is not None else self.windows

    @property
    def holiday_country(self) -> str | None:
        """The country whose public holidays are closed, the preset's unless one is given."""
        if self.holidays_country is not None:
            return self.holidays_country
        return PRESET_HOLIDAYS.get(self.preset) if self.preset is not None else None

    def to_document(self) -> dict[str, Any]:
        windows = None if self.windows is None else {
            day.value: [r.to_document() for r in ranges]
            for day, ranges in zip(WEEKDAYS, self.windows, strict=True)}
        return {
            "calling_windows": windows,
            "calling_window_preset": None if self.preset is None else self.preset.value,
            "holidays_country": self.holidays_country,
            "skip_dates": [day.isoformat() for day in sorted(self.skip_dates)],
            "default_timezone": self.default_timezone,
        }


@cache
def _holiday_countries() -> frozenset[str]:
    return frozenset(code for code in holidays.list_supported_countries()
                     if _COUNTRY.fullmatch(code))


def parse_calling_rules(raw: Mapping[str, Any]) -> CallingRules | None:
    """The calling rules among a scheduler's fields (``raw``; its other fields are left to
    their own checks), None when none is given (always open); InvalidInput names every
    broken rule."""
    if all(raw.get(name) is None for name in CALLING_RULE_FIELDS):
        return None
    check = Checker()
    windows = _windows(check, raw.get("calling_windows"))
    preset = _preset(check, raw.get("calling_window_preset"))
    if preset is not None and raw.get("calling_windows") is not None:
        check.fail("calling_window_preset", "must not be given together with calling_windows")
    country = _country(check, raw.get("holidays_country"))
    skip_dates = _skip_dates(check, raw.get("skip_dates"))
    zone_name = raw.get("default_timezone")
    if zone_name is None:
        zone_name = DEFAULT_TIMEZONE
    elif (problem := timezone_problem(zone_name)) is not None:
        check.fail("default_timezone", problem)
    check.raise_if_any()
    return CallingRules(windows, preset, country, skip_dates, str(zone_name))


def _preset(check: Checker, value: object) -> Preset | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in {preset.value for preset in Preset}:
        check.fail("calling_window_preset",
                   "must be one of " + ", ".join(preset.value for preset in Preset))
        return None
    return Preset(value)


def _country(check: Checker, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in _holiday_countries():
        check.fail("holidays_country", "must be an ISO 3166 alpha-2 country code in capitals "
                   "that the holidays library knows (e.g. FR, US)")
        return None
    return value


def _skip_dates(check: Checker, value: object) -> frozenset[date]:
    if value is None:
        return frozenset()
    if not isinstance(value, list) or len(value) > MAX_SKIP_DATES:
        check.fail("skip_dates", f"must be a list of at most {MAX_SKIP_DATES} dates")
        return frozenset()
    days: set[date] = set()
    for index, item in enumerate(value):
        try:
            if isinstance(item, str) and _DATE.fullmatch(item):
                days.add(date.fromisoformat(item))
                continue
        except ValueError:  # e.g. 2026-02-30
            pass
        check.fail(f"skip_dates[{index}]", "must be a date in the format YYYY-MM-DD")
    return frozenset(days)


def _windows(check: Checker, value: object) -> Week | None:
    if value is None:
        return None
    days = check.mapping(value, "calling_windows")
    if days is None:
        return None
    check.unknown_keys(days, (day.value for day in Weekday), "calling_windows",
                       "is not a day: use mon, tue, wed, thu, fri, sat or sun")
    if not days:
        check.fail("calling_windows", "must give one or more days (leave it out for no windows)")
    return tuple(_day(check, days.get(day.value), f"calling_windows.{day.value}")
                 for day in Weekday)


def _day(check: Checker, value: object, where: str) -> tuple[TimeRange, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_RANGES_PER_DAY:
        check.fail(where, f"must be a list of at most {MAX_RANGES_PER_DAY} [start, end] ranges")
        return ()
    ranges = [(index, _range(check, item, f"{where}[{index}]"))
              for index, item in enumerate(value)]
    valid = sorted((r, index) for index, r in ranges if r is not None)
    reach, reach_index = -1, -1  # the latest end so far, and whose it is
    for current, index in valid:
        if current.start < reach:
            check.fail(f"{where}[{max(index, reach_index)}]",
                       f"must not overlap {where}[{min(index, reach_index)}]")
        if current.end > reach:
            reach, reach_index = current.end, index
    return tuple(r for r, _ in valid)


def _range(check: Checker, value: object, where: str) -> TimeRange | None:
    if not isinstance(value, list) or len(value) != 2:
        check.fail(where, 'must be a [start, end] pair of "HH:MM" (or "HH:MM:SS") times')
        return None
    start = _clock(check, value[0], f"{where}[0]", end=False)
    end = _clock(check, value[1], f"{where}[1]", end=True)
    if start is None or end is None:
        return None
    if start >= end:
        check.fail(where, "must start before it ends")
        return None
    return TimeRange(start, end)


def _clock(check: Checker, value: object, where: str, *, end: bool) -> int | None:
    if end and value in _END_OF_DAY:
        return SECONDS_PER_DAY
    match = _CLOCK.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        rule = '"HH:MM" or "HH:MM:SS" from 00:00 to 23:59:59' + (' or "24:00"' if end else "")
        check.fail(where, f"must be a time {rule}")
        return None
    return int(match[1]) * 3600 + int(match[2]) * 60 + int(match[3] or 0)
