"""The retry decision after a try ends, by the task's try_again_pause or by its scheduler's
retry rules: pure, takes ``now``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from models.rules import limits
from models.rules.calling import retry_rules
from models.rules.outcome import LOST_DESCRIPTION, CallOutcome
from models.rules.task_state import TaskTrigger


class Verdict(StrEnum):
    SUCCEED = "succeed"
    RETRY = "retry"
    FAIL = "fail"

    @property
    def trigger(self) -> TaskTrigger:
        return TaskTrigger(self.value)


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    comment: str
    next_attempt_at: datetime | None = None
    spends_try: bool = True  # False: the try does not count towards try_count
    rule: str | None = None  # the retry rule's key that decided; None: try_again_pause


def decide(
    *,
    connected: bool,
    description: str,
    attempt_no: int,
    try_count: int,
    try_again_pause_s: int,
    now: datetime,
    placed: bool = True,
) -> Decision:
    """Success ends the task; a failure waits ``try_again_pause_s`` unless it was the last
    try. A try never placed called nobody: it is made again after the pause, uncounted."""
    where = f"on try {attempt_no} of {try_count}"
    if not placed:
        return Decision(Verdict.RETRY, f"{description} {where}; made again, not counted",
                        next_attempt_at=now + timedelta(seconds=try_again_pause_s),
                        spends_try=False)
    if connected:
        return Decision(Verdict.SUCCEED, f"{description} {where}")
    if attempt_no < try_count:
        return Decision(
            Verdict.RETRY,
            f"{description} {where}",
            next_attempt_at=now + timedelta(seconds=try_again_pause_s),
        )
    return Decision(Verdict.FAIL, f"{description} {where}")


@dataclass(frozen=True, slots=True)
class PastTry:
    """An earlier try of a task: its number and what its dialer said (None: lost)."""

    attempt_no: int
    outcome: CallOutcome | None

    @property
    def rule_key(self) -> str | None:
        matched = None if self.outcome is None else retry_rules.of_call_outcome(self.outcome)
        return None if matched is None else retry_rules.rule_key(*matched)


@dataclass(frozen=True, slots=True)
class TryFacts:
    """What the retry decision knows of a task when one of its tries ends."""

    attempt_no: int  # the try's number among all the task's tries
    try_in_execution: int  # its number among the tries counted in this execution
    try_count: int
    try_again_pause_s: int
    # This execution's tries (the newest TRY_COUNT_MAX are enough), in any order; those not
    # before ``attempt_no`` are ignored. May be empty when needs_history says so.
    history: tuple[PastTry, ...] = ()

    @property
    def earlier(self) -> list[PastTry]:
        """The tries before this one, newest first."""
        return sorted((t for t in self.history if t.attempt_no < self.attempt_no),
                      key=lambda t: t.attempt_no, reverse=True)


def needs_history(rules: retry_rules.RetryRules | None, attempt_no: int) -> bool:
    """Whether deciding needs the task's earlier tries: a rule's pause grows with them, and
    the cap counts them (never reached before try TRY_COUNT_MAX of the task's whole life)."""
    return rules is not None or attempt_no >= limits.TRY_COUNT_MAX


def decide_by_rules(
    rules: retry_rules.RetryRules | None, outcome: CallOutcome | None, facts: TryFacts,
    now: datetime,
) -> Decision:
    """decide(), unless the scheduler has a retry rule for how this try failed: then the
    rule's pause (grown with the same outcomes in a row), counting and finality decide, and
    the comment names the rule. Whatever decided, a task makes at most TRY_COUNT_MAX tries
    per execution, counted or not, so uncounted tries cannot go on for ever."""
    description = outcome.describe() if outcome else LOST_DESCRIPTION
    where = f"on try {facts.try_in_execution} of {facts.try_count}"
    if outcome is not None and outcome.refusal is not None:
        # A number a rule forbids now is forbidden on every later try too: no retry rule
        # may dial it again.
        return Decision(Verdict.FAIL, f"{description} {where}")
    matched = None if outcome is None else retry_rules.of_call_outcome(outcome)
    rule = None if rules is None or matched is None else rules.rule_for(*matched)
    if rules is None or matched is None or rule is None:
        decision = decide(
            connected=outcome is not None and outcome.connected, description=description,
            attempt_no=facts.try_in_execution, try_count=facts.try_count,
            try_again_pause_s=facts.try_again_pause_s, now=now,
            placed=outcome is None or outcome.placed)
    else:
        decision = _by_rule(rules, matched, facts, f"{description} {where}", now)
    tries = len(facts.earlier) + 1
    if decision.verdict is not Verdict.RETRY or tries < limits.TRY_COUNT_MAX:
        return decision
    return Decision(Verdict.FAIL, f"{description} {where}; {tries} tries made in all, the most"
                    f" a task may make", rule=decision.rule)


def _by_rule(
    rules: retry_rules.RetryRules, matched: tuple[retry_rules.Leg, retry_rules.Outcome],
    facts: TryFacts, said: str, now: datetime,
) -> Decision:
    made = retry_rules.decide_retry(
        rules, *matched, consecutive=streak(facts, retry_rules.rule_key(*matched)),
        default_pause_s=facts.try_again_pause_s, tries_used=facts.try_in_execution - 1,
        try_count=facts.try_count, now=now)
    comment = f"{said}; {made.reason}"
    if made.verdict is retry_rules.RetryVerdict.FINISH:
        return Decision(Verdict.FAIL, comment, rule=made.rule)
    return Decision(Verdict.RETRY, comment, next_attempt_at=made.next_attempt_at,
                    spends_try=made.spends_try, rule=made.rule)


def streak(facts: TryFacts, key: str) -> int:
    """This try and the earlier ones in a row that failed the same way (``key``). A try
    never placed called nobody: it neither adds to a streak nor breaks it."""
    count = 1
    for past in facts.earlier:
        if past.outcome is not None and not past.outcome.placed:
            continue
        if past.rule_key != key:
            break
        count += 1
    return count
