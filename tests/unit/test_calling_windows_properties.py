"""window_decision checked against itself at random: its next opening is open, and no
instant before it (from ``now``) is. Rules, zones and clocks are drawn with a bias towards
the nights the clocks change, in zones whose changes are odd (half an hour on Lord Howe,
at midnight in Havana and Santiago, Morocco's Ramadan)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from models.rules.calling.spec import CallingRules, TimeRange, parse_calling_rules
from models.rules.calling.windows import SEARCH_DAYS, window_decision

ZONES = ["America/New_York", "Europe/Paris", "Australia/Lord_Howe", "America/St_Johns",
         "Asia/Kolkata", "Pacific/Chatham", "America/Santiago", "Africa/Casablanca",
         "America/Havana", "Pacific/Kiritimati", "UTC"]
CHANGE_NIGHTS = [datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 11, 1, 6, tzinfo=UTC),
                 datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC),
                 datetime(2026, 4, 5, 3, tzinfo=UTC), datetime(2026, 10, 4, 3, tzinfo=UTC),
                 datetime(2026, 3, 8, 5, tzinfo=UTC), datetime(2026, 9, 6, 4, tzinfo=UTC)]


def _ranges(bounds: set[int]) -> list[list[str]]:
    ordered = sorted(bounds)
    return [[TimeRange.clock(a), TimeRange.clock(b)]
            for a, b in zip(ordered[::2], ordered[1::2], strict=False)]


# Bounds in seconds of the day: whole minutes mostly (as users write them), any second too.
BOUND = st.integers(0, 1440).map(lambda minute: minute * 60) | st.integers(0, 86400)
DAY = st.sets(BOUND, max_size=6).map(_ranges)
WINDOWS = st.dictionaries(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
                          DAY, min_size=1)
NEAR_A_CHANGE = st.tuples(st.sampled_from(CHANGE_NIGHTS),
                          st.integers(-3 * 86400, 3 * 86400)).map(
    lambda pair: pair[0] + timedelta(seconds=pair[1]))
NOW = st.one_of(NEAR_A_CHANGE, st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31),
                                            timezones=st.just(UTC)))


@st.composite
def calling_rules(draw: st.DrawFn) -> CallingRules:
    raw: dict[str, Any] = draw(st.one_of(
        st.fixed_dictionaries({"calling_windows": WINDOWS}),
        st.fixed_dictionaries({"calling_window_preset": st.sampled_from(
            ["us_federal", "fr_consumer"])}),
        st.just({"skip_dates": ["2026-03-08", "2026-10-25"]})))
    if draw(st.booleans()):
        raw["holidays_country"] = draw(st.sampled_from(["FR", "US", "CL"]))
    parsed = parse_calling_rules(raw)
    assert parsed is not None
    return parsed


@settings(max_examples=300, deadline=None)
@given(calling_rules(), st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True),
       NOW, st.lists(st.floats(0, 1, exclude_max=True), min_size=4, max_size=4))
def test_next_open_at_is_the_first_open_instant(
        rules: CallingRules, zones: list[str], now: datetime, fractions: list[float]) -> None:
    decision = window_decision(rules, zones, now)
    nxt = decision.next_open_at
    assert decision.open == (nxt == now)
    if nxt is None:
        span = timedelta(days=SEARCH_DAYS)
        assert not any(window_decision(rules, zones, now + span * f).open for f in fractions)
        return
    assert nxt >= now and nxt.tzinfo is UTC
    assert window_decision(rules, zones, nxt).open
    if nxt > now:
        # timedelta * float rounds to the microsecond: a fraction near 1 may reach nxt.
        last = nxt - timedelta(microseconds=1)
        before = [min(now + (nxt - now) * f, last) for f in fractions] + [last]
        assert not any(window_decision(rules, zones, moment).open for moment in before)


@settings(max_examples=300, deadline=None)
@given(calling_rules(), st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True),
       NOW, st.lists(st.floats(0, 1, exclude_max=True), min_size=4, max_size=4))
def test_open_until_is_the_first_closed_instant(
        rules: CallingRules, zones: list[str], now: datetime, fractions: list[float]) -> None:
    """A try let go at ``now`` may be placed up to ``open_until``: every instant before it
    is open, the instant itself is closed unless it is the end of the week searched (cut
    early, so never late)."""
    decision = window_decision(rules, zones, now)
    until = decision.open_until
    if not decision.open:
        assert until is None
        return
    assert until is not None and until > now and until.tzinfo is UTC
    last = until - timedelta(microseconds=1)
    inside = [min(now + (until - now) * f, last) for f in fractions] + [last]
    assert all(window_decision(rules, zones, moment).open for moment in inside)
    week_searched = now.replace(microsecond=0) + timedelta(days=7)
    assert until == week_searched or not window_decision(rules, zones, until).open
