"""What a dialer reports about one try: pure data."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class LegResult(StrEnum):
    ANSWER = "answer"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    FAILED = "failed"
    REJECTED = "rejected"


class Leg(StrEnum):
    A = "A"
    B = "B"


@dataclass(frozen=True)
class CallOutcome:
    """The result of one try: whether each leg answered, and why not."""

    a_answered: bool
    b_answered: bool
    # The leg that ended the call unanswered and its result; None when both answered.
    failed_leg: Leg | None = None
    cause: LegResult | None = None
    failed_number: str | None = None
    cdr: str | None = None
    talk_seconds: float = 0.0

    @property
    def connected(self) -> bool:
        return self.a_answered and self.b_answered

    def describe(self) -> str:
        if self.connected:
            return "A and B connected"
        cause = self.cause.value if self.cause else "unknown"
        number = f" ({self.failed_number})" if self.failed_number else ""
        return f"{self.failed_leg or 'A'} leg {cause}{number}"


LOST_DESCRIPTION = "no outcome from the dialer (try lost)"
