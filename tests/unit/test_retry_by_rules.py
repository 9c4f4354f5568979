"""The retry decision with a scheduler's retry rules (retry.decide_by_rules): a rule's pause
grows with the same failures in a row of the task's earlier tries, a try may go uncounted or
end the task, no rule keeps decide(); and every task ends, counted tries or not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from models.rules import limits, retry
from models.rules.calling.retry_rules import RULE_KEYS, RetryRules, parse_retry_rules
from models.rules.outcome import NOT_PLACED, CallOutcome, Leg, LegResult
from models.rules.retry import PastTry, TryFacts, Verdict

NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
A = "+15550000001"
B = "+15550000002"


def rules(**raw: Any) -> RetryRules:
    parsed = parse_retry_rules(raw)
    assert parsed is not None
    return parsed


def b_fails(cause: LegResult, code: int | None = None, reason: str | None = None) -> CallOutcome:
    return CallOutcome(True, False, Leg.B, cause, B, code=code, reason=reason)


def a_fails(cause: LegResult) -> CallOutcome:
    return CallOutcome(False, False, Leg.A, cause, A)


CONNECTED = CallOutcome(True, True, cdr="c" * 36)
B_BUSY = b_fails(LegResult.BUSY)
B_NO_ANSWER = b_fails(LegResult.NO_ANSWER)


def facts(*earlier: CallOutcome | None, try_in_execution: int | None = None,
          try_count: int = 3, pause: int = 45) -> TryFacts:
    """This try is the one after ``earlier`` (oldest first); all counted unless told."""
    attempt_no = len(earlier) + 1
    history = tuple(PastTry(n, outcome) for n, outcome in enumerate(earlier, start=1))
    return TryFacts(attempt_no, try_in_execution or attempt_no, try_count, pause, history)


def test_without_rules_the_decision_is_todays() -> None:
    cases: list[tuple[CallOutcome | None, TryFacts]] = [
        (CONNECTED, facts()), (B_BUSY, facts()), (B_BUSY, facts(B_BUSY, B_BUSY)),
        (None, facts()), (NOT_PLACED, facts(try_count=1)), (a_fails(LegResult.FAILED), facts()),
    ]
    for outcome, known in cases:
        today = retry.decide(
            connected=outcome is not None and outcome.connected,
            description=outcome.describe() if outcome else "no outcome from the dialer (try lost)",
            attempt_no=known.try_in_execution, try_count=known.try_count,
            try_again_pause_s=known.try_again_pause_s, now=NOW,
            placed=outcome is None or outcome.placed)
        for chosen in (None, rules(a_busy={"pause_s": 1, "final": True})):
            assert retry.decide_by_rules(chosen, outcome, known, NOW) == today


def test_the_pause_grows_with_the_same_failure_in_a_row() -> None:
    retry_rules = rules(b_busy={"pause_s": 10, "factor": 2, "max_pause_s": 30})
    # The no-answer on try 1 breaks the streak: tries 2 and 3 were busy, so is this one.
    decision = retry.decide_by_rules(
        retry_rules, B_BUSY, facts(B_NO_ANSWER, B_BUSY, B_BUSY, try_count=5), NOW)
    assert decision.verdict is Verdict.RETRY and decision.spends_try
    assert decision.next_attempt_at == NOW + timedelta(seconds=30)  # 40, capped
    assert decision.rule == "b_busy"
    assert decision.comment == (
        f"B leg busy ({B}) on try 4 of 5; b_busy (3 in a row): pause 30 s, try 4 of 5")
    first = retry.decide_by_rules(retry_rules, B_BUSY, facts(B_NO_ANSWER, try_count=5), NOW)
    assert first.next_attempt_at == NOW + timedelta(seconds=10)


def test_tries_never_placed_neither_add_to_nor_break_a_streak_and_lost_ones_break_it() -> None:
    retry_rules = rules(b_busy={"pause_s": 10, "factor": 2})
    skipped = facts(B_BUSY, NOT_PLACED, B_BUSY, try_in_execution=3, try_count=5)
    assert retry.decide_by_rules(retry_rules, B_BUSY, skipped, NOW).next_attempt_at == \
        NOW + timedelta(seconds=40)
    broken = facts(B_BUSY, None, try_count=5)
    assert retry.decide_by_rules(retry_rules, B_BUSY, broken, NOW).next_attempt_at == \
        NOW + timedelta(seconds=10)


def test_history_from_this_try_on_is_ignored() -> None:
    retry_rules = rules(b_busy={"pause_s": 10, "factor": 2})
    known = TryFacts(2, 2, 5, 45, (PastTry(3, B_BUSY), PastTry(2, B_BUSY), PastTry(1, B_BUSY)))
    assert retry.decide_by_rules(retry_rules, B_BUSY, known, NOW).next_attempt_at == \
        NOW + timedelta(seconds=20)


def test_a_final_rule_ends_the_task_on_its_first_try_naming_the_rule() -> None:
    rejected = b_fails(LegResult.REJECTED, 603, "Decline")
    decision = retry.decide_by_rules(rules(b_rejected={"final": True}), rejected, facts(), NOW)
    assert decision.verdict is Verdict.FAIL and decision.next_attempt_at is None
    assert decision.rule == "b_rejected"
    assert decision.comment == f"B leg rejected: 603 Decline ({B}) on try 1 of 3; " \
        "b_rejected is final"


def test_an_uncounted_try_retries_on_the_last_counted_try() -> None:
    retry_rules = rules(a_busy={"pause_s": 5, "spend_try": False})
    decision = retry.decide_by_rules(retry_rules, a_fails(LegResult.BUSY),
                                     facts(B_BUSY, try_count=2), NOW)
    assert decision.verdict is Verdict.RETRY and not decision.spends_try
    assert decision.next_attempt_at == NOW + timedelta(seconds=5)
    assert decision.comment == (
        f"A leg busy ({A}) on try 2 of 2; a_busy (1 in a row): pause 5 s, try not counted")


def test_the_last_counted_try_by_a_rule_fails_the_task() -> None:
    decision = retry.decide_by_rules(rules(b_no_answer={"pause_s": 6}), B_NO_ANSWER,
                                     facts(B_NO_ANSWER, B_NO_ANSWER), NOW)
    assert decision.verdict is Verdict.FAIL and decision.rule == "b_no_answer"
    assert decision.comment == (
        f"B leg no_answer ({B}) on try 3 of 3; b_no_answer: try 3 of 3, none left")


def test_a_connected_call_succeeds_whatever_the_rules() -> None:
    decision = retry.decide_by_rules(rules(b_busy={"final": True}), CONNECTED,
                                     facts(B_BUSY), NOW)
    assert (decision.verdict, decision.comment, decision.rule) == (
        Verdict.SUCCEED, "A and B connected on try 2 of 3", None)


def test_a_task_ends_after_try_count_max_tries_counted_or_not() -> None:
    uncounted = rules(b_busy={"pause_s": 0, "spend_try": False})
    before_last = facts(*[B_BUSY] * (limits.TRY_COUNT_MAX - 2), try_in_execution=1)
    assert retry.decide_by_rules(uncounted, B_BUSY, before_last, NOW).verdict is Verdict.RETRY
    last = facts(*[B_BUSY] * (limits.TRY_COUNT_MAX - 1), try_in_execution=1)
    decision = retry.decide_by_rules(uncounted, B_BUSY, last, NOW)
    assert decision.verdict is Verdict.FAIL and decision.rule == "b_busy"
    assert decision.comment == (f"B leg busy ({B}) on try 1 of 3; {limits.TRY_COUNT_MAX} tries"
                                " made in all, the most a task may make")
    # Tries never placed are uncounted too, with or without rules.
    never = facts(*[NOT_PLACED] * (limits.TRY_COUNT_MAX - 1), try_in_execution=1)
    assert retry.decide_by_rules(None, NOT_PLACED, never, NOW).verdict is Verdict.FAIL


def test_the_history_is_needed_only_with_rules_or_near_the_cap() -> None:
    assert not retry.needs_history(None, 1)
    assert not retry.needs_history(None, limits.TRY_COUNT_MAX - 1)
    assert retry.needs_history(None, limits.TRY_COUNT_MAX)
    assert retry.needs_history(rules(b_busy={"pause_s": 1}), 1)


OUTCOMES = st.sampled_from([B_BUSY, B_NO_ANSWER, b_fails(LegResult.REJECTED),
                            a_fails(LegResult.BUSY), a_fails(LegResult.FAILED), NOT_PLACED,
                            None, CONNECTED])
RULE = st.fixed_dictionaries({}, optional={
    "pause_s": st.integers(0, 100), "factor": st.sampled_from([1, 1.5, 100]),
    "spend_try": st.booleans(), "final": st.booleans()})


@settings(max_examples=200, deadline=None)
@given(raw=st.dictionaries(st.sampled_from(RULE_KEYS), RULE),
       outcomes=st.lists(OUTCOMES, min_size=1, max_size=3),
       try_count=st.integers(1, limits.TRY_COUNT_MAX))
def test_every_task_ends_within_the_cap_and_its_counted_tries(
    raw: dict[str, Any], outcomes: list[CallOutcome | None], try_count: int,
) -> None:
    """Completion's bookkeeping replayed: an uncounted retry moves tries_before_execution
    on; outcomes repeat in turn, so a run of uncounted ones can go on until the cap."""
    chosen = parse_retry_rules(raw)
    history: list[PastTry] = []
    tries_before = 0
    while True:
        attempt_no = len(history) + 1
        outcome = outcomes[(attempt_no - 1) % len(outcomes)]
        known = TryFacts(attempt_no, attempt_no - tries_before, try_count, 60, tuple(history))
        decision = retry.decide_by_rules(chosen, outcome, known, NOW)
        assert known.try_in_execution <= try_count
        if decision.verdict is not Verdict.RETRY:
            break
        assert decision.next_attempt_at is not None and decision.next_attempt_at >= NOW
        tries_before += 0 if decision.spends_try else 1
        history.append(PastTry(attempt_no, outcome))
    assert attempt_no <= limits.TRY_COUNT_MAX


def test_a_refused_number_ends_the_task_whatever_tries_and_rules_are_left() -> None:
    refusal = "do-not-call: B number +15550100001 is on the client's do-not-call list"
    outcome = CallOutcome(True, False, Leg.B, LegResult.FAILED, "+15550100001",
                          refusal=refusal)
    rules = parse_retry_rules({"b_failed": {"pause_s": 5, "spend_try": False}})
    facts = retry.TryFacts(attempt_no=1, try_in_execution=1, try_count=5, try_again_pause_s=60)
    for scheduler_rules in (None, rules):
        decision = retry.decide_by_rules(scheduler_rules, outcome, facts, NOW)
        assert decision.verdict is retry.Verdict.FAIL
        assert decision.comment == f"{refusal} on try 1 of 5"
