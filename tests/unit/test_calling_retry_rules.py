"""Retry rules per leg and outcome: the pause grows by its factor with each same outcome in
a row up to its cap, a try may go uncounted, a final rule ends the task, no rule keeps the
task's try_again_pause; and a retry falling in closed hours waits for the opening."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.rules.calling.retry_rules import (
    RULE_KEYS,
    Leg,
    Outcome,
    RetryRule,
    RetryRules,
    RetryVerdict,
    decide_retry,
    of_call_outcome,
    parse_retry_rules,
)
from models.rules.calling.spec import parse_calling_rules
from models.rules.calling.windows import window_decision
from models.rules.errors import FieldError, InvalidInput
from models.rules.outcome import NOT_PLACED, CallOutcome, LegResult
from models.rules.outcome import Leg as CallLeg
from tests import strategies

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


def rules(**raw: Any) -> RetryRules:
    parsed = parse_retry_rules(raw)
    assert parsed is not None
    return parsed


def decide(retry: RetryRules | None, leg: Leg = Leg.B, outcome: Outcome = Outcome.BUSY, *,
           consecutive: int = 1, tries_used: int = 0, try_count: int = 5) -> Any:
    return decide_retry(retry, leg, outcome, consecutive=consecutive, default_pause_s=45,
                        tries_used=tries_used, try_count=try_count, now=NOW)


def test_the_pause_grows_by_the_factor_up_to_its_cap() -> None:
    retry = rules(b_busy={"pause_s": 60, "factor": 2, "max_pause_s": 300})
    pauses = [decide(retry, consecutive=n).pause_s for n in range(1, 6)]
    assert pauses == [60, 120, 240, 300, 300]
    decision = decide(retry, consecutive=2, tries_used=1)
    assert decision.verdict is RetryVerdict.RETRY and decision.spends_try
    assert decision.next_attempt_at == NOW + timedelta(seconds=120)
    assert decision.rule == "b_busy"
    assert decision.reason == "b_busy (2 in a row): pause 120 s, try 2 of 5"


def test_a_long_streak_reaches_the_cap_without_overflowing() -> None:
    retry = rules(a_failed={"pause_s": 10, "factor": 100})
    assert decide(retry, Leg.A, Outcome.FAILED, consecutive=10**6).pause_s == 2**31 - 1
    assert decide(rules(a_failed={"pause_s": 0, "factor": 100}), Leg.A, Outcome.FAILED,
                  consecutive=10**6).pause_s == 0
    assert decide(rules(a_failed={"pause_s": 7, "factor": 1.5}), Leg.A, Outcome.FAILED,
                  consecutive=3).pause_s == 16  # 15.75, to the nearest second


def test_the_last_counted_try_finishes_the_task() -> None:
    retry = rules(b_no_answer={"pause_s": 600})
    decision = decide(retry, Leg.B, Outcome.NO_ANSWER, tries_used=4, try_count=5)
    assert decision.verdict is RetryVerdict.FINISH and decision.next_attempt_at is None
    assert decision.reason == "b_no_answer: try 5 of 5, none left"


def test_an_uncounted_try_retries_even_on_the_last_try() -> None:
    retry = rules(b_busy={"pause_s": 30, "spend_try": False})
    decision = decide(retry, tries_used=4, try_count=5)
    assert decision.verdict is RetryVerdict.RETRY and not decision.spends_try
    assert decision.next_attempt_at == NOW + timedelta(seconds=30)
    assert decision.reason == "b_busy (1 in a row): pause 30 s, try not counted"


def test_a_final_rule_ends_the_task_with_tries_left() -> None:
    decision = decide(rules(b_rejected={"final": True}), Leg.B, Outcome.REJECTED, tries_used=0)
    assert decision.verdict is RetryVerdict.FINISH and decision.reason == "b_rejected is final"


def test_no_rule_for_the_outcome_keeps_todays_behaviour() -> None:
    retry = rules(b_busy={"pause_s": 5})
    for chosen in (retry, None):
        decision = decide(chosen, Leg.A, Outcome.NO_ANSWER, consecutive=3, tries_used=1)
        assert decision.verdict is RetryVerdict.RETRY and decision.spends_try
        assert decision.pause_s == 45 and decision.rule == "try_again_pause"
        assert decide(chosen, Leg.A, Outcome.NO_ANSWER, tries_used=4).verdict is \
            RetryVerdict.FINISH


def test_a_rule_without_pause_uses_the_tasks_pause() -> None:
    retry = rules(a_busy={"factor": 2, "spend_try": False})
    assert decide(retry, Leg.A, Outcome.BUSY, consecutive=3).pause_s == 180


def test_a_retry_falling_in_closed_hours_waits_for_the_opening() -> None:
    paris = ZoneInfo("Europe/Paris")
    window = parse_calling_rules({"calling_windows": {
        day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}})
    ended = datetime(2026, 6, 5, 17, 55, tzinfo=paris)  # Friday, the window still open
    assert window_decision(window, ["Europe/Paris"], ended).open
    retry = decide_retry(rules(b_busy={"pause_s": 600}), Leg.B, Outcome.BUSY, consecutive=1,
                         default_pause_s=60, tries_used=0, try_count=3, now=ended)
    assert retry.next_attempt_at == datetime(2026, 6, 5, 16, 5, tzinfo=UTC)  # 18:05 local
    held = window_decision(window, ["Europe/Paris"], retry.next_attempt_at)
    assert not held.open and held.evidence[0].rule == "fri: outside 09:00-18:00"
    assert held.next_open_at == datetime(2026, 6, 8, 9, 0, tzinfo=paris)  # Monday


def test_the_rule_a_dialers_report_falls_under() -> None:
    busy_b = CallOutcome(a_answered=True, b_answered=False, failed_leg=CallLeg.B,
                         cause=LegResult.BUSY)
    assert of_call_outcome(busy_b) == (Leg.B, Outcome.BUSY)
    rejected_a = CallOutcome(a_answered=False, b_answered=False, failed_leg=CallLeg.A,
                             cause=LegResult.REJECTED)
    assert of_call_outcome(rejected_a) == (Leg.A, Outcome.REJECTED)
    assert of_call_outcome(CallOutcome(a_answered=True, b_answered=True)) is None
    assert of_call_outcome(NOT_PLACED) is None


def test_the_stored_form_reads_back_the_same() -> None:
    retry = rules(b_busy={"pause_s": 60, "factor": 2, "max_pause_s": 3600},
                  a_rejected={"final": True})
    document = retry.to_document()
    assert document == {
        "a_rejected": {"pause_s": None, "factor": 1, "max_pause_s": None, "spend_try": True,
                       "final": True},
        "b_busy": {"pause_s": 60, "factor": 2, "max_pause_s": 3600, "spend_try": True,
                   "final": False}}
    assert parse_retry_rules(document) == retry
    assert retry.rule_for(Leg.B, Outcome.BUSY) == RetryRule(60, 2, 3600)
    assert parse_retry_rules(None) is None and parse_retry_rules({}) is None


def errors_of(raw: object) -> list[FieldError]:
    with pytest.raises(InvalidInput) as raised:
        parse_retry_rules(raw)
    return raised.value.errors


def test_each_broken_rule_is_named_with_its_field() -> None:
    errors = errors_of({
        "c_busy": {}, "a_busy": [],
        "b_busy": {"pause_s": -1, "factor": 0.5, "spend_try": "yes", "final": 1, "retry": 2},
        "b_failed": {"pause_s": 600, "max_pause_s": 60},
        "b_no_answer": {"pause_s": 2**31, "factor": float("nan")},
    })
    assert errors == [
        FieldError("retry_rules.c_busy", "is not an outcome: use " + ", ".join(RULE_KEYS)),
        FieldError("retry_rules.a_busy", "must be an object"),
        FieldError("retry_rules.b_busy.retry", "is not a retry rule field: use pause_s, factor, "
                   "max_pause_s, spend_try, final"),
        FieldError("retry_rules.b_busy.pause_s", "must be a whole number from 0 to 2147483647"),
        FieldError("retry_rules.b_busy.factor", "must be a number from 1 to 100"),
        FieldError("retry_rules.b_busy.spend_try", "must be true or false"),
        FieldError("retry_rules.b_busy.final", "must be true or false"),
        FieldError("retry_rules.b_no_answer.pause_s",
                   "must be a whole number from 0 to 2147483647"),
        FieldError("retry_rules.b_no_answer.factor", "must be a number from 1 to 100"),
        FieldError("retry_rules.b_failed.max_pause_s", "must be at least pause_s (600)"),
    ]
    assert errors_of([]) == [FieldError("retry_rules", "must be an object")]


@settings(max_examples=300, deadline=None)
@given(st.one_of(strategies.JSON, st.dictionaries(
    st.sampled_from(RULE_KEYS), st.one_of(strategies.JSON, st.dictionaries(st.sampled_from(
        ["pause_s", "factor", "max_pause_s", "spend_try", "final"]), strategies.SCALAR)))))
def test_hostile_input_raises_only_invalid_input(raw: object) -> None:
    try:
        parsed = parse_retry_rules(raw)
    except InvalidInput as invalid:
        assert invalid.errors and all(e.field.startswith("retry_rules") for e in invalid.errors)
        return
    assert parsed is None or parse_retry_rules(parsed.to_document()) == parsed
