"""Calling windows decided with an injected clock: the nights the clocks change in New York
(2026-03-08, 2026-11-01) and Paris (2026-03-29, 2026-10-25), numbers of several zones,
public holidays, skip dates and the presets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from models.rules.calling.spec import CallingRules, parse_calling_rules
from models.rules.calling.windows import window_decision
from models.rules.calling.zones import zones_for

NY, PARIS = "America/New_York", "Europe/Paris"


def rules(**raw: Any) -> CallingRules:
    parsed = parse_calling_rules(raw)
    assert parsed is not None
    return parsed


def on(days: str, start: str, end: str) -> dict[str, list[list[str]]]:
    """calling_windows with one range on each of ``days`` ("mon tue")."""
    return {day: [[start, end]] for day in days.split()}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(zone: str, year: int, month: int, day: int, hour: int, minute: int,
          second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo(zone))


def is_open(calling: CallingRules, zones: list[str], moment: datetime) -> bool:
    return window_decision(calling, zones, moment).open


def test_a_range_the_clocks_skip_never_opens_that_day() -> None:
    # NY, Sunday 2026-03-08: 02:00 EST is followed by 03:00 EDT (07:00 UTC).
    calling = rules(calling_windows={"sun": [["02:00", "03:00"]], "mon": [["02:00", "03:00"]]})
    decision = window_decision(calling, [NY], local(NY, 2026, 3, 8, 0, 30))
    assert not decision.open
    assert decision.next_open_at == local(NY, 2026, 3, 9, 2, 0) == utc(2026, 3, 9, 6, 0)
    assert decision.evidence[0].rule == "sun: outside 02:00-03:00"


@pytest.mark.parametrize(("zone", "day", "first_instant"), [
    (NY, (2026, 3, 8), utc(2026, 3, 8, 7, 0)),  # 03:00 EDT
    (PARIS, (2026, 3, 29), utc(2026, 3, 29, 1, 0)),  # 03:00 CEST
])
def test_a_range_starting_in_the_skipped_hour_opens_at_the_first_instant_after(
        zone: str, day: tuple[int, int, int], first_instant: datetime) -> None:
    calling = rules(calling_windows={"sun": [["02:30", "04:00"]]})
    decision = window_decision(calling, [zone], local(zone, *day, 0, 0))
    assert decision.next_open_at == first_instant
    assert not is_open(calling, [zone], first_instant - timedelta(microseconds=1))
    after = window_decision(calling, [zone], first_instant)
    assert after.open and after.evidence[0].rule == "sun 02:30-04:00"
    shown = after.evidence[0].local_time
    assert (shown.date().timetuple()[:3], shown.hour, shown.minute) == (day, 3, 0)
    assert is_open(calling, [zone], first_instant + timedelta(minutes=59, seconds=59))
    assert not is_open(calling, [zone], first_instant + timedelta(hours=1))


def test_the_repeated_hour_is_open_in_both_occurrences_new_york() -> None:
    # NY, Sunday 2026-11-01: 01:00-02:00 shown twice, EDT (05:00 UTC) then EST (06:00 UTC).
    calling = rules(calling_windows={"sun": [["01:00", "02:00"]]})
    decision = window_decision(calling, [NY], utc(2026, 11, 1, 3, 0))
    assert not decision.open and decision.next_open_at == utc(2026, 11, 1, 5, 0)
    first, second = utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30)
    assert window_decision(calling, [NY], first).evidence[0].local_time.utcoffset() == \
        timedelta(hours=-4)
    assert window_decision(calling, [NY], second).evidence[0].local_time.utcoffset() == \
        timedelta(hours=-5)
    assert is_open(calling, [NY], first) and is_open(calling, [NY], second)
    assert not is_open(calling, [NY], utc(2026, 11, 1, 7, 0))  # 02:00 EST
    later = window_decision(calling, [NY], utc(2026, 11, 1, 7, 0))
    assert later.next_open_at == local(NY, 2026, 11, 8, 1, 0)


def test_the_repeated_hour_is_open_in_both_occurrences_paris() -> None:
    # Paris, Sunday 2026-10-25: 02:00-03:00 shown twice, CEST (00:00 UTC) then CET (01:00).
    calling = rules(calling_windows={"sun": [["02:00", "03:00"]]})
    assert window_decision(calling, [PARIS], utc(2026, 10, 24, 22, 0)).next_open_at == \
        utc(2026, 10, 25, 0, 0)
    assert is_open(calling, [PARIS], utc(2026, 10, 25, 0, 59))
    assert is_open(calling, [PARIS], utc(2026, 10, 25, 1, 59))
    assert not is_open(calling, [PARIS], utc(2026, 10, 25, 2, 0))
    # 01:00-02:00 is not repeated in Paris: one hour, 23:00-00:00 UTC.
    one_am = rules(calling_windows={"sun": [["01:00", "02:00"]]})
    assert window_decision(one_am, [PARIS], utc(2026, 10, 24, 20, 0)).next_open_at == \
        utc(2026, 10, 24, 23, 0)
    assert not is_open(one_am, [PARIS], utc(2026, 10, 25, 0, 0))


def test_a_range_starting_in_the_repeated_hour_reopens_when_the_clock_reaches_it_again() -> None:
    # 01:30-03:00 NY on 2026-11-01: 01:30-02:00 EDT, then from 01:30 EST (06:30 UTC).
    calling = rules(calling_windows={"sun": [["01:30", "03:00"]]})
    assert is_open(calling, [NY], utc(2026, 11, 1, 5, 45))
    decision = window_decision(calling, [NY], utc(2026, 11, 1, 6, 10))  # 01:10 EST
    assert not decision.open and decision.next_open_at == utc(2026, 11, 1, 6, 30)
    assert is_open(calling, [NY], utc(2026, 11, 1, 7, 59))


@pytest.mark.parametrize(("now", "opening"), [
    # Saturday evening before spring forward: Sunday 09:00 is EDT, 13:00 UTC.
    (local(NY, 2026, 3, 7, 18, 0), utc(2026, 3, 8, 13, 0)),
    (local(NY, 2026, 10, 31, 18, 0), utc(2026, 11, 1, 14, 0)),
    (local(PARIS, 2026, 3, 28, 18, 0), utc(2026, 3, 29, 7, 0)),
    (local(PARIS, 2026, 10, 24, 18, 0), utc(2026, 10, 25, 8, 0)),
])
def test_the_next_opening_across_the_change(now: datetime, opening: datetime) -> None:
    calling = rules(calling_windows=on("mon tue wed thu fri sat sun", "09:00", "17:00"))
    zone = str(now.tzinfo)
    decision = window_decision(calling, [zone], now)
    assert not decision.open and decision.next_open_at == opening
    assert window_decision(calling, [zone], opening).evidence[0].local_time.hour == 9


def test_a_number_of_two_zones_is_open_only_where_both_are() -> None:
    zones = zones_for("+16055551234", None, "UTC")  # South Dakota: Mountain and Central
    assert zones == ("America/Denver", "America/North_Dakota/Center")
    calling = rules(calling_windows=on("mon tue wed", "09:00", "17:00"))
    now = utc(2026, 6, 2, 14, 30)  # Tuesday 08:30 MDT, 09:30 CDT
    decision = window_decision(calling, list(zones), now)
    assert [(e.zone, e.open, e.rule) for e in decision.evidence] == [
        ("America/Denver", False, "tue: outside 09:00-17:00"),
        ("America/North_Dakota/Center", True, "tue 09:00-17:00")]
    assert not decision.open and decision.next_open_at == utc(2026, 6, 2, 15, 0)
    # Open until Central closes at 17:00 CDT (22:00 UTC), though Denver stays open.
    assert is_open(calling, list(zones), utc(2026, 6, 2, 21, 59))
    assert window_decision(calling, list(zones), utc(2026, 6, 2, 22, 0)).next_open_at == \
        utc(2026, 6, 3, 15, 0)


def test_a_toll_free_number_spans_from_guam_to_samoa() -> None:
    zones = list(zones_for("+18005551234", None, "UTC"))
    assert {"Pacific/Guam", "Pacific/Pago_Pago", "America/St_Johns"} <= set(zones)
    calling = rules(calling_window_preset="us_federal")
    # 08:00 in Guam (UTC+10) is 22:00 UTC; 21:00 in St John's (NDT, UTC-2:30) is 23:30 UTC.
    decision = window_decision(calling, zones, utc(2026, 7, 1, 12, 0))
    assert decision.next_open_at == utc(2026, 7, 1, 22, 0)
    assert is_open(calling, zones, utc(2026, 7, 1, 23, 29))
    assert not is_open(calling, zones, utc(2026, 7, 1, 23, 30))


def test_zones_that_never_overlap_give_no_opening() -> None:
    calling = rules(calling_windows={"mon": [["09:00", "10:00"]], "tue": [["09:00", "10:00"]]})
    # UTC+14 and UTC-11: the same wall clock is 25 hours apart.
    decision = window_decision(calling, ["Pacific/Kiritimati", "Pacific/Pago_Pago"],
                               utc(2026, 5, 1))
    assert not decision.open and decision.next_open_at is None
    closed_week = rules(calling_windows={"sun": []})
    assert window_decision(closed_week, [PARIS], utc(2026, 5, 1)).next_open_at is None


def test_public_holidays_close_the_whole_local_day() -> None:
    fr = rules(calling_window_preset="fr_consumer")
    bastille = window_decision(fr, [PARIS], local(PARIS, 2026, 7, 14, 11, 0))  # a Tuesday
    assert not bastille.open
    assert bastille.evidence[0].rule == "public holiday in FR: National Day"
    assert bastille.next_open_at == local(PARIS, 2026, 7, 15, 10, 0)
    us = rules(calling_windows=on("fri sat sun", "09:00", "17:00"),
               holidays_country="US")
    # 2026-07-04 is a Saturday: Friday the 3rd is the observed holiday, both closed.
    friday = window_decision(us, [NY], local(NY, 2026, 7, 3, 12, 0))
    assert "Independence Day" in friday.evidence[0].rule
    assert friday.next_open_at == local(NY, 2026, 7, 5, 9, 0)
    belgian = rules(calling_window_preset="fr_consumer", holidays_country="BE")
    assert is_open(belgian, [PARIS], local(PARIS, 2026, 7, 14, 11, 0))


def test_a_skip_date_closes_the_local_day() -> None:
    calling = rules(skip_dates=["2026-12-25"])
    christmas_night = local(PARIS, 2026, 12, 25, 0, 30)  # still the 24th in UTC
    decision = window_decision(calling, [PARIS], christmas_night)
    assert not decision.open and decision.evidence[0].rule == "skip date 2026-12-25"
    assert decision.next_open_at == local(PARIS, 2026, 12, 26, 0, 0)
    assert is_open(calling, [NY], christmas_night)  # 18:30 on the 24th in New York
    open_day = window_decision(calling, [PARIS], local(PARIS, 2026, 12, 24, 12, 0))
    assert open_day.evidence[0].rule == "thu 00:00-24:00 (no calling_windows: all day)"


def test_a_start_at_three_in_the_morning_moves_to_the_opening() -> None:
    calling = rules(calling_window_preset="us_federal")
    start = local(NY, 2026, 3, 8, 3, 0)  # the first minute of EDT
    decision = window_decision(calling, [NY], start)
    assert not decision.open and decision.next_open_at == local(NY, 2026, 3, 8, 8, 0)


def test_the_us_federal_preset_is_08_to_21_every_day() -> None:
    calling = rules(calling_window_preset="us_federal")
    sunday = local(NY, 2026, 5, 3, 8, 0)
    assert is_open(calling, [NY], sunday)
    assert window_decision(calling, [NY], sunday).evidence[0].rule == "sun 08:00-21:00"
    assert is_open(calling, [NY], local(NY, 2026, 5, 3, 20, 59, 59))
    evening = window_decision(calling, [NY], local(NY, 2026, 5, 3, 21, 0))
    assert not evening.open and evening.next_open_at == local(NY, 2026, 5, 4, 8, 0)


def test_the_fr_consumer_preset_closes_lunch_and_weekends() -> None:
    calling = rules(calling_window_preset="fr_consumer")
    assert is_open(calling, [PARIS], local(PARIS, 2026, 6, 5, 12, 59))  # Friday
    lunch = window_decision(calling, [PARIS], local(PARIS, 2026, 6, 5, 13, 0))
    assert lunch.next_open_at == local(PARIS, 2026, 6, 5, 14, 0)
    evening = window_decision(calling, [PARIS], local(PARIS, 2026, 6, 5, 20, 0))
    assert evening.next_open_at == local(PARIS, 2026, 6, 8, 10, 0)  # Monday
    saturday = window_decision(calling, [PARIS], local(PARIS, 2026, 6, 6, 11, 0))
    assert saturday.evidence[0].rule == "sat: closed all day"


def test_open_until_is_where_the_first_zone_closes() -> None:
    """A try let go now must be placed before ``open_until``: the strictest zone's close."""
    zones = list(zones_for("+16055551234", None, "UTC"))
    calling = rules(calling_windows=on("tue", "09:00", "17:00"))
    # Central closes at 17:00 CDT (22:00 UTC); Denver would stay open an hour longer.
    assert window_decision(calling, zones, utc(2026, 6, 2, 16, 0)).open_until == \
        utc(2026, 6, 2, 22, 0)
    lunch = rules(calling_window_preset="fr_consumer")
    assert window_decision(lunch, [PARIS], local(PARIS, 2026, 6, 5, 12, 30)).open_until == \
        local(PARIS, 2026, 6, 5, 13, 0)
    # The night New York's clocks go back: 01:00-01:59 shows twice and stays open through
    # both; the range closes at the second 02:00 (07:00 UTC).
    night = rules(calling_windows=on("sun", "00:30", "02:00"))
    first_pass = local(NY, 2026, 11, 1, 1, 15)
    assert window_decision(night, [NY], first_pass).open_until == utc(2026, 11, 1, 7, 0)
    assert window_decision(night, [NY], utc(2026, 11, 1, 4, 0)).open_until is None


def test_no_rules_is_always_open() -> None:
    now = utc(2026, 1, 1, 3, 0)
    decision = window_decision(None, [PARIS], now)
    assert decision.open and decision.next_open_at == now
    assert decision.to_document() == {
        "open": True, "next_open_at": "2026-01-01T03:00:00.000Z", "open_until": None,
        "evidence": [{"zone": PARIS, "local_time": "2026-01-01T04:00:00+01:00",
                      "open": True, "rule": "no rules"}]}


def test_no_zone_given_reads_the_default_zone() -> None:
    calling = rules(calling_windows={"fri": [["09:00", "10:00"]]}, default_timezone=PARIS)
    decision = window_decision(calling, [], utc(2026, 6, 5, 7, 30))
    assert decision.open and decision.evidence[0].zone == PARIS


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        window_decision(None, [PARIS], datetime(2026, 1, 1))


@pytest.mark.parametrize(("number", "task_zone", "zones"), [
    ("+33142685300", None, ("Europe/Paris",)),
    ("+33142685300", "Asia/Tokyo", ("Asia/Tokyo",)),
    ("+12125551234", None, (NY,)),
    ("+15555550100", None, ("Europe/Berlin",)),  # phonenumbers: Etc/Unknown
    ("0142685300", None, ("Europe/Berlin",)),  # not E.164
    ("+999123", None, ("Europe/Berlin",)),  # unparseable
])
def test_zones_of_a_number(number: str, task_zone: str | None, zones: tuple[str, ...]) -> None:
    assert zones_for(number, task_zone, "Europe/Berlin") == zones
