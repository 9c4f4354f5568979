"""Retry rules per outcome of a failed try: how long to wait, growing with each same
outcome in a row, whether the try counts towards the task's try_count, or whether the
outcome ends the task. An outcome without a rule keeps the task's try_again_pause."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from models.rules import limits
from models.rules import outcome as call_outcome
from models.rules.calling.fields import Checker
from models.rules.calling.localtime import utc

MAX_FACTOR = 100
RULE_FIELDS = ("pause_s", "factor", "max_pause_s", "spend_try", "final")


class Leg(StrEnum):
    A = "a"
    B = "b"


class Outcome(StrEnum):
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    REJECTED = "rejected"
    FAILED = "failed"


def rule_key(leg: Leg, outcome: Outcome) -> str:
    return f"{leg}_{outcome}"


RULE_KEYS = tuple(rule_key(leg, outcome) for leg in Leg for outcome in Outcome)


def of_call_outcome(result: call_outcome.CallOutcome) -> tuple[Leg, Outcome] | None:
    """The rule a dialer's report falls under; None when the call connected or nobody
    was dialled (neither is a failed try to retry by these rules)."""
    cause = result.cause
    if result.connected or not result.placed or cause is None:
        return None
    if cause is call_outcome.LegResult.ANSWER:
        return None
    leg = Leg.B if result.failed_leg is call_outcome.Leg.B else Leg.A
    return leg, Outcome(cause.value)


@dataclass(frozen=True, slots=True)
class RetryRule:
    """``pause_s`` None: the task's try_again_pause; ``max_pause_s`` None: no cap."""

    pause_s: int | None = None
    factor: float = 1
    max_pause_s: int | None = None
    spend_try: bool = True
    final: bool = False

    def pause(self, consecutive: int, default_pause_s: int) -> int:
        """pause_s * factor ** (consecutive - 1), at most max_pause_s (and limits.INT32_MAX)."""
        base = default_pause_s if self.pause_s is None else self.pause_s
        cap = limits.INT32_MAX if self.max_pause_s is None else self.max_pause_s
        try:
            grown = base * float(self.factor) ** max(consecutive - 1, 0)
        except OverflowError:  # factor ** a long streak: past any cap
            grown = float(cap) if base else 0.0
        return min(round(grown), cap) if grown < cap else cap

    def to_document(self) -> dict[str, Any]:
        return {"pause_s": self.pause_s, "factor": self.factor,
                "max_pause_s": self.max_pause_s, "spend_try": self.spend_try,
                "final": self.final}


@dataclass(frozen=True, slots=True)
class RetryRules:
    rules: tuple[tuple[str, RetryRule], ...]  # (rule key, rule) in RULE_KEYS order

    def rule_for(self, leg: Leg, outcome: Outcome) -> RetryRule | None:
        return dict(self.rules).get(rule_key(leg, outcome))

    def to_document(self) -> dict[str, Any]:
        return {key: rule.to_document() for key, rule in self.rules}


def parse_retry_rules(raw: object, field: str = "retry_rules") -> RetryRules | None:
    """The retry rules a client sent in ``field``; None when absent or empty."""
    if raw is None:
        return None
    check = Checker()
    rules = check.mapping(raw, field)
    if rules is None:
        check.raise_if_any()
        return None
    check.unknown_keys(rules, RULE_KEYS, field, "is not an outcome: use " + ", ".join(RULE_KEYS))
    parsed = tuple((key, _rule(check, rules[key], f"{field}.{key}"))
                   for key in RULE_KEYS if key in rules)
    check.raise_if_any()
    return RetryRules(parsed) if parsed else None


def _rule(check: Checker, raw: object, where: str) -> RetryRule:
    rule = check.mapping(raw, where)
    if rule is None:
        return RetryRule()
    check.unknown_keys(rule, RULE_FIELDS, where,
                       "is not a retry rule field: use " + ", ".join(RULE_FIELDS))

    def given(name: str) -> object:
        return rule.get(name)

    pause_s = None if given("pause_s") is None else check.whole_number(
        given("pause_s"), f"{where}.pause_s", 0)
    factor = 1 if given("factor") is None else check.number(
        given("factor"), f"{where}.factor", 1, MAX_FACTOR)
    max_pause_s = None if given("max_pause_s") is None else check.whole_number(
        given("max_pause_s"), f"{where}.max_pause_s", 0)
    if pause_s is not None and max_pause_s is not None and max_pause_s < pause_s:
        check.fail(f"{where}.max_pause_s", f"must be at least pause_s ({pause_s})")
    spend_try = True if given("spend_try") is None else check.boolean(
        given("spend_try"), f"{where}.spend_try")
    final = False if given("final") is None else check.boolean(given("final"), f"{where}.final")
    return RetryRule(pause_s, 1 if factor is None else factor, max_pause_s,
                     spend_try is not False, final is True)


class RetryVerdict(StrEnum):
    RETRY = "retry"
    FINISH = "finish"


@dataclass(frozen=True, slots=True)
class RetryDecision:
    """``rule``: the rule key that decided, or "try_again_pause" when none applies."""

    verdict: RetryVerdict
    spends_try: bool
    rule: str
    reason: str
    next_attempt_at: datetime | None = None
    pause_s: int | None = None


def decide_retry(
    rules: RetryRules | None, leg: Leg, outcome: Outcome, *, consecutive: int,
    default_pause_s: int, tries_used: int, try_count: int, now: datetime,
) -> RetryDecision:
    """After a failed try: finish (a final rule, or the last try spent) or retry after a
    pause. ``consecutive``: tries in a row, this one included, that ended with this leg and
    outcome (1 the first time); the pause grows with it. ``tries_used``: tries counted
    towards ``try_count`` before this one."""
    key = rule_key(leg, outcome)
    rule = rules.rule_for(leg, outcome) if rules is not None else None
    if rule is None:
        key, rule = "try_again_pause", RetryRule(pause_s=default_pause_s)
    if rule.final:
        return RetryDecision(RetryVerdict.FINISH, rule.spend_try, key, f"{key} is final")
    counted = tries_used + 1 if rule.spend_try else tries_used
    if rule.spend_try and counted >= try_count:
        return RetryDecision(RetryVerdict.FINISH, True, key,
                             f"{key}: try {counted} of {try_count}, none left")
    pause = rule.pause(consecutive, default_pause_s)
    counting = f"try {counted} of {try_count}" if rule.spend_try else "try not counted"
    return RetryDecision(RetryVerdict.RETRY, rule.spend_try, key,
                         f"{key} ({consecutive} in a row): pause {pause} s, {counting}",
                         utc(now) + timedelta(seconds=pause), pause)
