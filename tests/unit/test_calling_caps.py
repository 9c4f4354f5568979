"""Caps on dialling one number across a client's tasks: rolling 24 hours, the number's
local day (its midnight found across clock changes), a lifetime total and a cooldown after
a rejection; the cap that holds longest decides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.rules.calling.caps import (
    CAP_FIELDS,
    CapRule,
    NumberCaps,
    cap_decision,
    parse_number_caps,
)
from models.rules.errors import FieldError, InvalidInput
from tests import strategies

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def caps(**raw: Any) -> NumberCaps:
    parsed = parse_number_caps(raw)
    assert parsed is not None
    return parsed


def test_no_caps_allows() -> None:
    decision = cap_decision(None, [NOW - HOUR] * 50, NOW, "UTC", NOW)
    assert decision.allowed and decision.next_allowed_at == NOW and decision.rule is CapRule.NONE


def test_rolling_24_hours_frees_when_the_oldest_of_the_last_n_leaves() -> None:
    limit = caps(per_24h=3)
    dials = [NOW - 30 * HOUR, NOW - 20 * HOUR, NOW - 5 * HOUR, NOW - 1 * HOUR]
    decision = cap_decision(limit, dials, None, "UTC", NOW)
    assert not decision.allowed and decision.rule is CapRule.PER_24H
    assert decision.next_allowed_at == NOW + 4 * HOUR  # the dial 20 h ago leaves
    assert cap_decision(limit, dials, None, "UTC", NOW + 4 * HOUR).allowed
    assert cap_decision(limit, dials[:3], None, "UTC", NOW).allowed


def test_a_dial_exactly_24_hours_ago_has_left_the_window() -> None:
    limit = caps(per_24h=1)
    assert cap_decision(limit, [NOW - 24 * HOUR], None, "UTC", NOW).allowed
    assert not cap_decision(limit, [NOW - 24 * HOUR + timedelta(seconds=1)], None, "UTC",
                            NOW).allowed


def test_the_local_day_frees_at_the_numbers_next_midnight() -> None:
    limit = caps(per_local_day=2)
    paris = ZoneInfo("Europe/Paris")
    now = datetime(2026, 6, 10, 21, 30, tzinfo=UTC)  # 23:30 in Paris
    dials = [datetime(2026, 6, 10, 8, 0, tzinfo=paris), datetime(2026, 6, 10, 20, 0, tzinfo=paris)]
    decision = cap_decision(limit, dials, None, "Europe/Paris", now)
    assert not decision.allowed and decision.rule is CapRule.PER_LOCAL_DAY
    assert decision.next_allowed_at == datetime(2026, 6, 11, 0, 0, tzinfo=paris)
    # In New York both dials fell on the 10th too, but it is still the 10th there at 17:30.
    assert cap_decision(limit, dials, None, "America/New_York", now).next_allowed_at == \
        datetime(2026, 6, 11, 4, 0, tzinfo=UTC)
    # Yesterday's dials do not count: in Tokyo it is already the 11th.
    assert cap_decision(limit, dials, None, "Asia/Tokyo", now).allowed


@pytest.mark.parametrize(("zone", "day", "midnight_utc"), [
    # The day before the clocks change: the next midnight has the new offset.
    ("America/New_York", (2026, 3, 7), datetime(2026, 3, 8, 5, 0, tzinfo=UTC)),
    ("America/New_York", (2026, 3, 8), datetime(2026, 3, 9, 4, 0, tzinfo=UTC)),
    ("Europe/Paris", (2026, 10, 25), datetime(2026, 10, 25, 23, 0, tzinfo=UTC)),
    # Santiago skips midnight in spring (2026-09-06: 00:00 is 01:00): the day starts at 01:00.
    ("America/Santiago", (2026, 9, 5), datetime(2026, 9, 6, 4, 0, tzinfo=UTC)),
])
def test_the_next_local_midnight_across_clock_changes(
        zone: str, day: tuple[int, int, int], midnight_utc: datetime) -> None:
    tz = ZoneInfo(zone)
    now = datetime(*day, 22, 0, tzinfo=tz)
    decision = cap_decision(caps(per_local_day=1), [now - HOUR], None, zone, now)
    assert decision.next_allowed_at == midnight_utc
    assert (midnight_utc - timedelta(microseconds=1)).astimezone(tz).date() == \
        datetime(*day).date()
    assert midnight_utc.astimezone(tz).date() > datetime(*day).date()


def test_the_lifetime_cap_is_never_freed() -> None:
    limit = caps(lifetime=3, per_24h=1)
    decision = cap_decision(limit, [NOW - 500 * HOUR] * 3, None, "UTC", NOW)
    assert not decision.allowed and decision.next_allowed_at is None
    assert decision.rule is CapRule.LIFETIME


def test_the_cooldown_after_a_rejection() -> None:
    limit = caps(cooldown_after_rejected_s=86400)
    rejected = NOW - 2 * HOUR
    decision = cap_decision(limit, [rejected], rejected, "UTC", NOW)
    assert not decision.allowed and decision.rule is CapRule.COOLDOWN_AFTER_REJECTED
    assert decision.next_allowed_at == rejected + timedelta(days=1)
    assert cap_decision(limit, [rejected], rejected, "UTC", rejected + timedelta(days=1)).allowed
    assert cap_decision(limit, [], None, "UTC", NOW).allowed


def test_the_cap_holding_longest_decides() -> None:
    limit = caps(per_24h=1, per_local_day=1, cooldown_after_rejected_s=3600)
    dial = NOW - HOUR
    decision = cap_decision(limit, [dial], dial, "UTC", NOW)
    assert decision.rule is CapRule.PER_24H and decision.next_allowed_at == dial + 24 * HOUR
    assert decision.reason == "dialled 1 times in the last 24 h, cap 1"


def test_parse_and_the_stored_form() -> None:
    limit = caps(per_24h=3, per_local_day=2, lifetime=10, cooldown_after_rejected_s=86400)
    assert limit.to_document() == {"per_24h": 3, "per_local_day": 2, "lifetime": 10,
                                   "cooldown_after_rejected_s": 86400}
    assert parse_number_caps(limit.to_document()) == limit
    assert parse_number_caps(None) is None and parse_number_caps({"lifetime": None}) is None


def test_each_broken_cap_is_named_with_its_field() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_number_caps({"per_24h": 0, "lifetime": True, "per_hour": 1,
                           "cooldown_after_rejected_s": "60"})
    rule = "must be a whole number from 1 to 2147483647"
    assert raised.value.errors == [
        FieldError("number_caps.per_hour",
                   "is not a cap: use per_24h, per_local_day, lifetime, cooldown_after_rejected_s"),
        FieldError("number_caps.per_24h", rule), FieldError("number_caps.lifetime", rule),
        FieldError("number_caps.cooldown_after_rejected_s", rule)]


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        cap_decision(caps(per_24h=1), [datetime(2026, 1, 1)], None, "UTC", NOW)


@settings(max_examples=300, deadline=None)
@given(st.one_of(strategies.JSON, st.dictionaries(st.sampled_from(CAP_FIELDS),
                                                  strategies.SCALAR)))
def test_hostile_input_raises_only_invalid_input(raw: object) -> None:
    try:
        parsed = parse_number_caps(raw)
    except InvalidInput as invalid:
        assert invalid.errors and all(e.field.startswith("number_caps") for e in invalid.errors)
        return
    assert parsed is None or parse_number_caps(parsed.to_document()) == parsed


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-72 * 3600, 0), max_size=8), st.integers(1, 4), st.integers(1, 3),
       st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe"]))
def test_once_freed_stays_freed(offsets: list[int], per_24h: int, per_day: int,
                                zone: str) -> None:
    """At next_allowed_at the number is allowed, and a second before it is not."""
    limit = caps(per_24h=per_24h, per_local_day=per_day)
    dials = [NOW + timedelta(seconds=s) for s in offsets]
    decision = cap_decision(limit, dials, None, zone, NOW)
    assert decision.next_allowed_at is not None
    assert cap_decision(limit, dials, None, zone, decision.next_allowed_at).allowed
    if not decision.allowed:
        before = decision.next_allowed_at - timedelta(seconds=1)
        assert before < NOW or not cap_decision(limit, dials, None, zone, before).allowed
