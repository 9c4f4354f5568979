"""Dispatch's admission of a due task under calling rules, with an injected clock: the
window in every zone of the number first, then the caps; a try let go counts at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.rules.calling import admission
from models.rules.calling import windows as windows_rules
from models.rules.task_state import TaskTrigger

NY = "+12125550100"  # America/New_York
PARIS = "+33142685300"  # Europe/Paris
WEEKDAY_9_TO_17 = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
# Wednesday 2026-11-25 15:00 UTC: 10:00 in New York, 16:00 in Paris.
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def _rules(windows: dict[str, object] | None, caps: dict[str, object] | None = None
           ) -> admission.CallingRules:
    rules = admission.CallingRules.of(windows, caps)
    assert rules is not None
    return rules


def test_no_rules_at_all_is_none() -> None:
    assert admission.CallingRules.of(None, None) is None


def test_open_in_new_york_closed_in_paris_an_hour_later() -> None:
    rules = _rules({"calling_windows": WEEKDAY_9_TO_17})
    later = NOW + timedelta(hours=1)  # 11:00 in New York, 17:00 in Paris
    ny = admission.admit(rules, NY, None, admission.NumberHistory(), later)
    paris = admission.admit(rules, PARIS, None, admission.NumberHistory(), later)
    assert ny.allowed and ny.evidence["zones"] == ["America/New_York"]
    assert ny.evidence["window"]["evidence"][0]["local_time"].startswith("2026-11-25T11:00")
    assert not paris.allowed and paris.hold is TaskTrigger.HOLD_CALLING_WINDOW
    assert paris.next_at == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # 09:00 Paris Thursday


def test_the_task_s_own_zone_overrides_the_number_s() -> None:
    rules = _rules({"calling_windows": WEEKDAY_9_TO_17})
    at_19_utc = NOW + timedelta(hours=4)  # 14:00 New York, 20:00 Paris
    assert admission.admit(rules, NY, None, admission.NumberHistory(), at_19_utc).allowed
    held = admission.admit(rules, NY, "Europe/Paris", admission.NumberHistory(), at_19_utc)
    assert held.hold is TaskTrigger.HOLD_CALLING_WINDOW


def test_a_cap_counts_the_tries_let_go_in_the_same_round() -> None:
    rules = _rules(None, {"per_24h": 2})
    histories = {NY: admission.NumberHistory([NOW - timedelta(hours=1)])}
    decided = admission.admit_all(rules, [(1, NY, None), (2, NY, None), (3, PARIS, None)],
                                  histories, NOW)
    assert decided[1].allowed and decided[3].allowed
    assert decided[2].hold is TaskTrigger.HOLD_NUMBER_CAP
    assert decided[2].next_at == NOW + timedelta(hours=23)  # the older dial leaves the 24 h
    assert decided[2].evidence["cap"]["rule"] == "per_24h"


def test_a_closed_window_holds_before_any_cap_is_counted() -> None:
    rules = _rules({"calling_windows": {"mon": [["09:00", "10:00"]]}}, {"lifetime": 1})
    held = admission.admit(rules, NY, None, admission.NumberHistory(), NOW)
    assert held.hold is TaskTrigger.HOLD_CALLING_WINDOW and "cap" not in held.evidence


def test_a_try_let_go_must_be_placed_a_margin_before_the_window_closes() -> None:
    """dial_by is the close less the margin (the A leg's ring), so B is rung inside."""
    rules = _rules({"calling_windows": WEEKDAY_9_TO_17})
    let_go = admission.admit(rules, NY, None, admission.NumberHistory(), NOW,
                             timedelta(seconds=30))
    close = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)  # 17:00 in New York
    assert let_go.allowed and let_go.dial_by == close - timedelta(seconds=30)
    assert admission.admit(rules, NY, None, admission.NumberHistory(), NOW).dial_by == close


def test_a_window_closing_within_the_margin_holds_until_the_next_opening() -> None:
    rules = _rules({"calling_windows": WEEKDAY_9_TO_17})
    close = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)
    late = close - timedelta(seconds=20)  # 16:59:40 in New York: open, but not for 30 s
    held = admission.admit(rules, NY, None, admission.NumberHistory(), late,
                           timedelta(seconds=30))
    assert not held.allowed and held.hold is TaskTrigger.HOLD_CALLING_WINDOW
    assert held.next_at == datetime(2026, 11, 26, 14, 0, tzinfo=UTC)  # Thursday 09:00
    assert held.evidence["window"]["open"] is True
    assert held.evidence["window"]["margin_s"] == 30.0
    # With no margin the same instant is let go, to be placed within those 20 s.
    assert admission.admit(rules, NY, None, admission.NumberHistory(), late).allowed


def test_a_number_at_its_lifetime_cap_ends_its_task_rather_than_waiting_forever() -> None:
    rules = _rules(None, {"lifetime": 2, "per_24h": 5})
    history = admission.NumberHistory([NOW - timedelta(days=30), NOW - timedelta(days=2)])
    refused = admission.admit(rules, NY, None, history, NOW)
    assert not refused.allowed and refused.hold is TaskTrigger.REFUSE
    assert refused.next_at is None
    assert refused.reason == f"number cap: {NY} dialled 2 times, lifetime cap 2"
    # Under the lifetime cap, a cap that frees later only holds.
    busy_day = admission.NumberHistory([NOW - timedelta(hours=1)])
    held = admission.admit(_rules(None, {"lifetime": 2, "per_24h": 1}), NY, None, busy_day,
                           NOW)
    assert held.hold is TaskTrigger.HOLD_NUMBER_CAP and held.reason is None


# Rules of each kind, and numbers and zones from UTC-11 to UTC+14 (a local date past
# 9999-12-31 does not exist there): issue 23, defect 5.
FAR_RULES = [{"calling_windows": WEEKDAY_9_TO_17}, {"calling_window_preset": "us_federal"},
             {"calling_windows": {"fri": [["00:00", "24:00"]]}, "holidays_country": "US"}, None]
FAR_CAPS = [None, {"per_24h": 1, "per_local_day": 1, "cooldown_after_rejected_s": 86400}]
FAR_ZONES = [None, "Pacific/Kiritimati", "Pacific/Niue", "Asia/Tokyo"]
LAST = datetime.max.replace(tzinfo=UTC)


@pytest.mark.parametrize("windows", FAR_RULES)
@pytest.mark.parametrize("caps", FAR_CAPS)
def test_instants_near_the_end_of_the_calendar_are_weighed_without_overflow(
    windows: dict[str, object] | None, caps: dict[str, object] | None
) -> None:
    """Up to datetime's last instant: held with no opening past windows.LATEST (a month
    before it), weighed as usual before it, no try let go past it."""
    rules = admission.CallingRules.of(windows, caps)
    if rules is None:
        return  # neither: dispatch never asks
    for back_s in (0, 1, 3600, 86400, 7 * 86400, 31 * 86400, 32 * 86400, 400 * 86400):
        at = LAST.replace(microsecond=0) - timedelta(seconds=back_s)
        history = admission.NumberHistory([at - timedelta(hours=1)], at - timedelta(hours=1))
        for zone in FAR_ZONES:
            verdict = admission.admit(rules, NY, zone, history, at, timedelta(seconds=30))
            if at >= windows_rules.LATEST:
                assert (verdict.allowed, verdict.hold, verdict.next_at) == (
                    False, TaskTrigger.HOLD_CALLING_WINDOW, None)
                rule = verdict.evidence["window"]["evidence"][0]["rule"]
                assert rule == windows_rules.BEYOND_RULE
            assert verdict.dial_by is None or verdict.dial_by <= windows_rules.LATEST
