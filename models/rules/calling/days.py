"""What the calling rules allow on one local date: its weekday's ranges, or closed all day
by a skip date or a public holiday."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import holidays

from models.rules.calling.spec import ALL_DAY, CallingRules, TimeRange, Weekday

# Holiday calendars kept (country, year): a search a year ahead touches two years of few
# countries.
_CALENDARS_KEPT = 256


@dataclass(frozen=True, slots=True)
class DayPlan:
    weekday: Weekday
    ranges: tuple[TimeRange, ...]
    closed_by: str | None = None  # why the whole day is closed (skip date, holiday)


@lru_cache(maxsize=_CALENDARS_KEPT)
def _calendar(country: str, year: int) -> dict[date, str]:
    # A plain dict: the library's calendar adds years to itself when asked about others.
    return dict(holidays.country_holidays(country, years=year).items())


def holiday_name(country: str, day: date) -> str | None:
    """The public holiday(s) of ``country`` on ``day``, or None."""
    return _calendar(country, day.year).get(day)


def day_plan(rules: CallingRules, day: date) -> DayPlan:
    weekday = Weekday.of(day)
    if day in rules.skip_dates:
        return DayPlan(weekday, (), f"skip date {day.isoformat()}")
    country = rules.holiday_country
    if country is not None and (name := holiday_name(country, day)) is not None:
        return DayPlan(weekday, (), f"public holiday in {country}: {name}")
    week = rules.week
    return DayPlan(weekday, ALL_DAY if week is None else week[day.weekday()])
