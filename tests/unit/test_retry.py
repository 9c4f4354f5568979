from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.rules import retry
from models.rules.retry import Verdict
from models.rules.task_state import TaskTrigger

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def test_connected_succeeds_without_next_attempt() -> None:
    decision = retry.decide(
        connected=True,
        description="A and B connected",
        attempt_no=3,
        try_count=3,
        try_again_pause_s=60,
        now=NOW,
    )
    assert decision.verdict is Verdict.SUCCEED
    assert decision.comment == "A and B connected on try 3 of 3"
    assert decision.next_attempt_at is None


def test_connected_on_an_early_try_still_succeeds() -> None:
    decision = retry.decide(
        connected=True,
        description="A and B connected",
        attempt_no=1,
        try_count=5,
        try_again_pause_s=60,
        now=NOW,
    )
    assert decision.verdict is Verdict.SUCCEED
    assert decision.comment == "A and B connected on try 1 of 5"
    assert decision.next_attempt_at is None


def test_failure_with_tries_left_retries_after_pause() -> None:
    decision = retry.decide(
        connected=False,
        description="B leg busy (+15550000002)",
        attempt_no=1,
        try_count=3,
        try_again_pause_s=45,
        now=NOW,
    )
    assert decision.verdict is Verdict.RETRY
    assert decision.comment == "B leg busy (+15550000002) on try 1 of 3"
    assert decision.next_attempt_at == NOW + timedelta(seconds=45)
    assert decision.next_attempt_at is not None
    assert decision.next_attempt_at.tzinfo is UTC


def test_failure_on_last_try_fails() -> None:
    decision = retry.decide(
        connected=False,
        description="A leg no_answer (+15550000001)",
        attempt_no=3,
        try_count=3,
        try_again_pause_s=45,
        now=NOW,
    )
    assert decision.verdict is Verdict.FAIL
    assert decision.comment == "A leg no_answer (+15550000001) on try 3 of 3"
    assert decision.next_attempt_at is None


def test_single_try_fails_on_first_failure() -> None:
    decision = retry.decide(
        connected=False,
        description="A leg busy",
        attempt_no=1,
        try_count=1,
        try_again_pause_s=60,
        now=NOW,
    )
    assert decision.verdict is Verdict.FAIL
    assert decision.next_attempt_at is None


def test_zero_pause_retries_now() -> None:
    decision = retry.decide(
        connected=False,
        description="A leg busy",
        attempt_no=2,
        try_count=3,
        try_again_pause_s=0,
        now=NOW,
    )
    assert decision.verdict is Verdict.RETRY
    assert decision.next_attempt_at == NOW


@pytest.mark.parametrize(
    ("verdict", "trigger"),
    [
        (Verdict.SUCCEED, TaskTrigger.SUCCEED),
        (Verdict.RETRY, TaskTrigger.RETRY),
        (Verdict.FAIL, TaskTrigger.FAIL),
    ],
)
def test_verdict_trigger(verdict: Verdict, trigger: TaskTrigger) -> None:
    assert verdict.trigger is trigger
    assert verdict.name == trigger.name


def test_every_verdict_has_a_trigger() -> None:
    expected = {TaskTrigger.SUCCEED, TaskTrigger.RETRY, TaskTrigger.FAIL}
    assert {v.trigger for v in Verdict} == expected
