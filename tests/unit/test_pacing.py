"""The pacing rule, with an injected clock: each rule alone, then their order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.rules import pacing
from models.rules.pacing import UNLIMITED, History, PacingSettings
from models.rules.task_state import TaskTrigger

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
IDLE = History(running=0, claimed_not_dialled=0, last_dial_at=None)


def test_no_rules_set_means_only_the_pending_claims_cap_and_no_hold() -> None:
    assert pacing.decide(PacingSettings(), IDLE, NOW) == pacing.Decision(200, None)
    unbounded = PacingSettings(max_pending_claims=UNLIMITED)
    assert pacing.decide(unbounded, IDLE, NOW) == pacing.Decision(UNLIMITED, None)


@pytest.mark.parametrize(("running", "slots", "hold"), [
    (0, 3, TaskTrigger.HOLD_CONCURRENCY), (2, 1, TaskTrigger.HOLD_CONCURRENCY),
    (3, 0, TaskTrigger.HOLD_CONCURRENCY), (5, 0, TaskTrigger.HOLD_CONCURRENCY),
])
def test_concurrency_leaves_limit_minus_running(
    running: int, slots: int, hold: TaskTrigger
) -> None:
    history = History(running=running, claimed_not_dialled=0, last_dial_at=None)
    decision = pacing.decide(PacingSettings(concurrent_task_limit=3), history, NOW)
    assert (decision.slots, decision.hold) == (slots, hold)


def test_interval_allows_one_start_once_it_has_passed_since_the_last_dial() -> None:
    settings = PacingSettings(interval_s=2)
    just = History(0, 0, last_dial_at=NOW - timedelta(seconds=1.999))
    passed = History(0, 0, last_dial_at=NOW - timedelta(seconds=2))
    assert pacing.decide(settings, just, NOW) == pacing.Decision(0, TaskTrigger.HOLD_INTERVAL)
    assert pacing.decide(settings, passed, NOW) == pacing.Decision(1, TaskTrigger.HOLD_INTERVAL)
    assert pacing.decide(settings, IDLE, NOW).slots == 1


def test_interval_waits_while_a_claimed_try_has_not_dialled() -> None:
    pending = History(running=1, claimed_not_dialled=1, last_dial_at=None)
    assert pacing.decide(PacingSettings(interval_s=2), pending, NOW).slots == 0


def test_asr_under_threshold_starts_a_hold_once_enough_tries_are_measured() -> None:
    settings = PacingSettings(asr_threshold_pct=50, asr_window=10, asr_min_attempts=10,
                              asr_pause_s=30)
    nine_bad = History(0, 0, None, recent_a_answered=(False,) * 9)
    ten_bad = History(0, 0, None, recent_a_answered=(False,) * 10)
    assert pacing.decide(settings, nine_bad, NOW) == pacing.Decision(200, None)
    decision = pacing.decide(settings, ten_bad, NOW)
    assert decision == pacing.Decision(0, TaskTrigger.HOLD_ASR,
                                       new_asr_hold_until=NOW + timedelta(seconds=30))


def test_asr_at_the_threshold_does_not_hold_and_only_the_window_counts() -> None:
    settings = PacingSettings(asr_threshold_pct=50, asr_window=4, asr_min_attempts=4)
    half = History(0, 0, None, recent_a_answered=(True, False, True, False))
    assert pacing.decide(settings, half, NOW).hold is None
    # Newest first: the four newest are good; older failures are outside the window.
    good_window = History(0, 0, None, recent_a_answered=(True,) * 4 + (False,) * 10)
    assert pacing.decide(settings, good_window, NOW).hold is None


def test_a_running_asr_hold_holds_until_it_ends_and_overrides_other_rules() -> None:
    settings = PacingSettings(concurrent_task_limit=5, asr_threshold_pct=50)
    held = History(0, 0, None, asr_hold_until=NOW + timedelta(seconds=1))
    ended = History(0, 0, None, asr_hold_until=NOW)
    assert pacing.decide(settings, held, NOW) == pacing.Decision(0, TaskTrigger.HOLD_ASR)
    assert pacing.decide(settings, ended, NOW) == pacing.Decision(
        5, TaskTrigger.HOLD_CONCURRENCY)


def test_concurrency_binds_before_interval() -> None:
    settings = PacingSettings(concurrent_task_limit=1, interval_s=2)
    busy = History(running=1, claimed_not_dialled=0, last_dial_at=NOW - timedelta(seconds=10))
    assert pacing.decide(settings, busy, NOW).hold is TaskTrigger.HOLD_CONCURRENCY


def test_asr_pct() -> None:
    assert pacing.asr_pct(()) is None
    assert pacing.asr_pct((True, False, False, False)) == 25.0


def test_claims_not_yet_taken_are_kept_under_the_cap_without_a_hold_status() -> None:
    settings = PacingSettings(max_pending_claims=200)
    backlog = History(running=150, claimed_not_dialled=150, last_dial_at=None)
    assert pacing.decide(settings, backlog, NOW) == pacing.Decision(50, None)
    full = History(running=250, claimed_not_dialled=250, last_dial_at=None)
    assert pacing.decide(settings, full, NOW) == pacing.Decision(0, None)
    limited = PacingSettings(concurrent_task_limit=3, max_pending_claims=200)
    assert pacing.decide(limited, History(1, 1, None), NOW) == pacing.Decision(
        2, TaskTrigger.HOLD_CONCURRENCY)
