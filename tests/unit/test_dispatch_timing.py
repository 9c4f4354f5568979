from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.rules import dispatch_timing
from models.rules.dispatch_timing import BACKLOG_RECHECK_S, ROUND_GAP_MIN_S, next_round_at

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def seconds_until(at: datetime) -> float:
    return (at - NOW).total_seconds()


def test_with_nothing_waiting_the_next_round_is_the_longest_wait_away() -> None:
    at = next_round_at(NOW, longest_wait_s=0.25, next_due_at=None, backlog_limited=False)
    assert seconds_until(at) == 0.25


def test_a_task_falling_due_sooner_brings_the_round_forward_to_its_time() -> None:
    due = NOW + timedelta(seconds=0.1)
    assert next_round_at(NOW, longest_wait_s=1, next_due_at=due, backlog_limited=False) == due


def test_a_task_due_after_the_longest_wait_does_not_delay_the_round() -> None:
    due = NOW + timedelta(seconds=30)
    at = next_round_at(NOW, longest_wait_s=1, next_due_at=due, backlog_limited=False)
    assert seconds_until(at) == 1


def test_rounds_are_never_closer_than_the_minimum_gap() -> None:
    due = NOW + timedelta(milliseconds=1)
    at = next_round_at(NOW, longest_wait_s=1, next_due_at=due, backlog_limited=True)
    assert seconds_until(at) == ROUND_GAP_MIN_S


def test_a_round_that_filled_the_backlog_room_looks_again_soon() -> None:
    at = next_round_at(NOW, longest_wait_s=1, next_due_at=None, backlog_limited=True)
    assert seconds_until(at) == pytest.approx(max(BACKLOG_RECHECK_S, ROUND_GAP_MIN_S))


@pytest.mark.parametrize("fruitless", [0, 1, 2, 3])
def test_each_fruitless_recheck_doubles_the_wait(fruitless: int) -> None:
    at = next_round_at(NOW, longest_wait_s=10, next_due_at=None, backlog_limited=True,
                       fruitless_rechecks=fruitless)
    assert seconds_until(at) == pytest.approx(BACKLOG_RECHECK_S * 2**fruitless)


def test_rechecks_never_wait_longer_than_the_longest_wait() -> None:
    at = next_round_at(NOW, longest_wait_s=0.25, next_due_at=None, backlog_limited=True,
                       fruitless_rechecks=1000)
    assert seconds_until(at) == 0.25
    assert dispatch_timing.RECHECK_DOUBLINGS_MAX < 64  # the doubling stays a small float
