"""Calling rules as a client sends them: every broken rule is named with its field, the
stored form reads back the same, and no input raises anything but InvalidInput."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.rules.calling.spec import (
    CALLING_RULE_FIELDS,
    CallingRules,
    Preset,
    TimeRange,
    parse_calling_rules,
)
from models.rules.errors import FieldError, InvalidInput
from tests import strategies

H = 3600  # seconds in an hour


def errors_of(**raw: Any) -> list[FieldError]:
    with pytest.raises(InvalidInput) as raised:
        parse_calling_rules(raw)
    return raised.value.errors


def test_no_calling_field_means_no_rules() -> None:
    assert parse_calling_rules({}) is None
    assert parse_calling_rules({"name": "sales", "calling_windows": None}) is None


def test_windows_are_read_per_day_and_a_missing_day_is_closed() -> None:
    rules = parse_calling_rules({"calling_windows": {
        "mon": [["13:00", "20:00"], ["09:00", "12:00"]], "sat": [["10:00", "24:00"]]}})
    assert rules is not None and rules.week is not None
    assert rules.week[0] == (TimeRange(9 * H, 12 * H), TimeRange(13 * H, 20 * H))  # sorted
    assert rules.week[5] == (TimeRange(10 * H, 24 * H),)
    assert rules.week[1] == rules.week[6] == ()
    assert rules.default_timezone == "UTC"


def test_windows_may_give_seconds() -> None:
    rules = parse_calling_rules({"calling_windows": {
        "mon": [["09:00:05", "09:00:30"], ["10:00", "24:00:00"]]}})
    assert rules is not None and rules.week is not None
    assert rules.week[0] == (TimeRange(9 * H + 5, 9 * H + 30), TimeRange(10 * H, 24 * H))
    assert rules.to_document()["calling_windows"]["mon"] == [["09:00:05", "09:00:30"],
                                                              ["10:00", "24:00"]]
    assert FieldError("calling_windows.mon[0][1]",
                      'must be a time "HH:MM" or "HH:MM:SS" from 00:00 to 23:59:59 or "24:00"'
                      ) in errors_of(calling_windows={"mon": [["09:00", "09:00:60"]]})


def test_each_broken_range_is_named_with_its_rule() -> None:
    errors = errors_of(calling_windows={
        "mon": [["09:00", "12:00"], ["11:00", "13:00"]],
        "tue": [["9:00", "10:00"], ["10:00", "24:01"], ["12:00", "12:00"], "x"],
        "wed": [["24:00", "24:00"]],
        "funday": [],
    })
    assert FieldError("calling_windows.mon[1]", "must not overlap calling_windows.mon[0]") in errors
    assert FieldError("calling_windows.tue[0][0]",
                      'must be a time "HH:MM" or "HH:MM:SS" from 00:00 to 23:59:59') in errors
    assert FieldError(
        "calling_windows.tue[1][1]",
        'must be a time "HH:MM" or "HH:MM:SS" from 00:00 to 23:59:59 or "24:00"') in errors
    assert FieldError("calling_windows.tue[2]", "must start before it ends") in errors
    assert FieldError("calling_windows.tue[3]",
                      'must be a [start, end] pair of "HH:MM" (or "HH:MM:SS") times') in errors
    assert FieldError("calling_windows.wed[0][0]",
                      'must be a time "HH:MM" or "HH:MM:SS" from 00:00 to 23:59:59') in errors
    assert FieldError("calling_windows.funday",
                      "is not a day: use mon, tue, wed, thu, fri, sat or sun") in errors
    assert len(errors) == 7


def test_an_overlap_is_found_past_a_short_range_in_between() -> None:
    errors = errors_of(calling_windows={
        "fri": [["08:00", "20:00"], ["09:00", "10:00"], ["12:00", "13:00"]]})
    overlap = "must not overlap calling_windows.fri[0]"
    assert errors == [FieldError("calling_windows.fri[1]", overlap),
                      FieldError("calling_windows.fri[2]", overlap)]


@pytest.mark.parametrize(("raw", "error"), [
    ({"calling_windows": []}, FieldError("calling_windows", "must be an object")),
    ({"calling_windows": {}},
     FieldError("calling_windows", "must give one or more days (leave it out for no windows)")),
    ({"calling_windows": {"mon": [["09:00", "10:00"]] * 9}},
     FieldError("calling_windows.mon", "must be a list of at most 8 [start, end] ranges")),
    ({"calling_window_preset": "uk"},
     FieldError("calling_window_preset", "must be one of us_federal, fr_consumer")),
    ({"calling_window_preset": "us_federal", "calling_windows": {"mon": []}},
     FieldError("calling_window_preset", "must not be given together with calling_windows")),
    ({"holidays_country": "fr"}, FieldError(
        "holidays_country", "must be an ISO 3166 alpha-2 country code in capitals that the "
        "holidays library knows (e.g. FR, US)")),
    ({"holidays_country": "XX"}, FieldError(
        "holidays_country", "must be an ISO 3166 alpha-2 country code in capitals that the "
        "holidays library knows (e.g. FR, US)")),
    ({"skip_dates": "2026-12-25"},
     FieldError("skip_dates", "must be a list of at most 366 dates")),
    ({"skip_dates": ["2026-12-25", "2026-02-30", "25/12/2026"]},
     FieldError("skip_dates[1]", "must be a date in the format YYYY-MM-DD")),
    ({"default_timezone": "Mars/Olympus"}, FieldError(
        "default_timezone",
        "must be an IANA time zone name known to the tz database (e.g. Europe/Paris)")),
    ({"default_timezone": "localtime"}, FieldError(
        "default_timezone",
        "must be an IANA time zone name known to the tz database (e.g. Europe/Paris)")),
    ({"default_timezone": "../../etc/passwd"}, FieldError(
        "default_timezone",
        "must be an IANA time zone name known to the tz database (e.g. Europe/Paris)")),
])
def test_field_rules(raw: dict[str, Any], error: FieldError) -> None:
    assert error in errors_of(**raw)


def test_presets_and_their_holidays() -> None:
    fr = parse_calling_rules({"calling_window_preset": "fr_consumer"})
    assert fr is not None and fr.preset is Preset.FR_CONSUMER
    assert fr.holiday_country == "FR" and fr.holidays_country is None
    assert fr.week is not None
    assert fr.week[4] == (TimeRange(10 * H, 13 * H), TimeRange(14 * H, 20 * H))
    assert fr.week[5] == fr.week[6] == ()
    belgian = parse_calling_rules({"calling_window_preset": "fr_consumer",
                                   "holidays_country": "BE"})
    assert belgian is not None and belgian.holiday_country == "BE"
    us = parse_calling_rules({"calling_window_preset": "us_federal"})
    assert us is not None and us.holiday_country is None
    assert us.week == ((TimeRange(8 * H, 21 * H),),) * 7


def test_the_stored_form_reads_back_the_same() -> None:
    rules = parse_calling_rules({
        "calling_windows": {"mon": [["09:00", "12:00"]], "sun": [["00:00", "24:00"]]},
        "holidays_country": "US", "skip_dates": ["2026-12-25", "2026-01-01", "2026-12-25"],
        "default_timezone": "America/Chicago"})
    assert rules is not None
    document = rules.to_document()
    assert document == {
        "calling_windows": {"mon": [["09:00", "12:00"]], "tue": [], "wed": [], "thu": [],
                            "fri": [], "sat": [], "sun": [["00:00", "24:00"]]},
        "calling_window_preset": None, "holidays_country": "US",
        "skip_dates": ["2026-01-01", "2026-12-25"], "default_timezone": "America/Chicago"}
    assert parse_calling_rules(document) == rules
    assert rules.skip_dates == {date(2026, 1, 1), date(2026, 12, 25)}


CLOCK = st.integers(0, 96).map(lambda quarter: f"{quarter // 4:02d}:{quarter % 4 * 15:02d}")
DAY = st.lists(st.tuples(CLOCK, CLOCK).map(sorted).filter(lambda r: r[0] < r[1]).map(list),
               max_size=3)
RAW_RULES = st.fixed_dictionaries({}, optional={
    "calling_windows": st.dictionaries(
        st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), DAY, min_size=1),
    "holidays_country": st.sampled_from(["FR", "US", "DE"]),
    "skip_dates": st.lists(st.dates().map(date.isoformat), max_size=3),
    "default_timezone": st.sampled_from(["UTC", "Europe/Paris", "Asia/Kolkata"]),
})


@settings(max_examples=200, deadline=None)
@given(RAW_RULES)
def test_any_valid_rules_read_back_the_same(raw: dict[str, Any]) -> None:
    try:
        rules = parse_calling_rules(raw)
    except InvalidInput as invalid:  # overlapping ranges drawn at random
        assert all(e.rule.startswith("must not overlap") for e in invalid.errors)
        return
    assert rules is None or parse_calling_rules(rules.to_document()) == rules


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({}, optional=dict.fromkeys(CALLING_RULE_FIELDS, strategies.JSON)))
def test_hostile_input_raises_only_invalid_input(raw: dict[str, Any]) -> None:
    try:
        rules = parse_calling_rules(raw)
    except InvalidInput as invalid:
        assert invalid.errors and all(e.field.split(".")[0].split("[")[0] in CALLING_RULE_FIELDS
                                      for e in invalid.errors)
        return
    assert rules is None or isinstance(rules, CallingRules)
