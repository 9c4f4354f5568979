"""The work calling windows cost, counted rather than timed (counters wrapped around the real
functions): a weighing decides the window once per zone set and instant however many tasks
share it, a zone set whose zones have no common opening is searched two zones at a time,
and a later weighing of the same zone set and rules finds the weeks already searched."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.rules.calling import admission, windows
from models.rules.calling.zones import zones_for
from models.rules.task_state import TaskTrigger

# Russian mobile numbers: libphonenumber gives 16 zones, Europe/Bucharest to Asia/Anadyr.
RUSSIAN_MOBILE = "+7912{:07d}"
PARIS = "+33142685300"
NINE_TO_SIX = {day: [["09:00", "18:00"]]
               for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
# Weeks searched for one opening: the horizon's, and the week it starts in.
WEEKS_SEARCHED = windows.SEARCH_DAYS // 7 + 2

Calls = list[tuple[Any, ...]]


def counted(monkeypatch: pytest.MonkeyPatch, name: str) -> Calls:
    """The calls made to ``windows.<name>`` from now on (the real function still runs)."""
    calls: Calls = []
    real: Callable[..., Any] = getattr(windows, name)

    def counting(*args: Any) -> Any:
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(windows, name, counting)
    return calls


def rules(skip_date: str) -> admission.CallingRules:
    """Nine to six every day; ``skip_date`` makes the rules this test's own, so no week
    another test searched is found already searched."""
    parsed = admission.CallingRules.of(
        {"calling_windows": NINE_TO_SIX, "skip_dates": [skip_date]}, None)
    assert parsed is not None
    return parsed


def test_a_weighing_decides_the_window_once_per_zone_set(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    decisions = counted(monkeypatch, "window_decision")
    candidates = [(i, RUSSIAN_MOBILE.format(i), None) for i in range(600)]
    candidates += [(1000 + i, PARIS, None) for i in range(10)]
    candidates += [(2000 + i, PARIS, "Asia/Tokyo") for i in range(5)]
    decided = admission.admit_all(rules("2031-01-01"), candidates, {}, NOW)

    assert len(decisions) == 3  # the 16 zones, Paris, Tokyo
    russian = decided[0]
    assert russian.hold is TaskTrigger.HOLD_CALLING_WINDOW and russian.next_at is None
    assert all(decided[i].next_at is None for i in range(600))
    assert decided[1000].allowed  # 13:00 in Paris
    assert decided[2000].hold is TaskTrigger.HOLD_CALLING_WINDOW  # 21:00 in Tokyo
    assert decided[2000].next_at == datetime(2026, 11, 26, 0, 0, tzinfo=UTC)


def test_no_common_opening_is_searched_two_zones_a_week(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    """Bucharest (UTC+2) and Anadyr (UTC+12) are intersected first: empty, every week, so
    the other 14 zones are never computed."""
    zones = zones_for(RUSSIAN_MOBILE.format(1), None, "UTC")
    assert len(zones) == 16
    computed = counted(monkeypatch, "_open_intervals")
    decision = windows.window_decision(rules("2031-01-02").windows, zones, NOW)

    assert not decision.open and decision.next_open_at is None
    assert len(decision.evidence) == 16
    assert len(computed) <= 2 * WEEKS_SEARCHED


def test_later_weighings_find_the_weeks_already_searched(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    zones = zones_for(RUSSIAN_MOBILE.format(1), None, "UTC")
    calling = rules("2031-01-03").windows
    computed = counted(monkeypatch, "_open_intervals")
    windows.window_decision(calling, zones, NOW)
    first = len(computed)
    # The following dispatch rounds, each with its own instant, and a dry run an hour on;
    # the rules parsed again each time, as each round does.
    for later in (timedelta(seconds=1), timedelta(seconds=2), timedelta(hours=1)):
        decision = windows.window_decision(rules("2031-01-03").windows, zones, NOW + later)
        assert decision.next_open_at is None
    assert first > 0 and len(computed) == first


def test_an_opening_found_is_the_same_from_a_week_already_searched() -> None:
    """Paris and New York, nine to six: open 14:00-17:00 UTC in November."""
    calling = rules("2031-01-04").windows
    zones = ["Europe/Paris", "America/New_York"]
    morning = windows.window_decision(calling, zones, NOW - timedelta(hours=4))
    assert morning.next_open_at == datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
    evening = windows.window_decision(calling, zones, NOW + timedelta(hours=6))
    assert evening.next_open_at == datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
    inside = windows.window_decision(calling, zones, NOW + timedelta(hours=3))
    assert inside.open and inside.open_until == datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
