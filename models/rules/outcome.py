"""What a dialer reports about one try: pure data."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


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
    # False: no number was dialled (the call was abandoned before any dialer took it);
    # such a try is made again and does not count towards try_count.
    placed: bool = True
    # What the network said of the failed leg: its SIP status and reason phrase, or only a
    # reason (no response at all, a failed re-INVITE ...).
    code: int | None = None
    reason: str | None = None
    # A rule forbade a number of this try as it was about to be dialled (a do-not-call list
    # that holds it now): the task ends with this comment, however many tries are left.
    refusal: str | None = None

    @property
    def connected(self) -> bool:
        return self.a_answered and self.b_answered

    def describe(self) -> str:
        if self.refusal is not None:
            return self.refusal
        if not self.placed:
            return f"not placed: {self.reason}" if self.reason else NOT_PLACED_DESCRIPTION
        if self.connected:
            return "A and B connected"
        cause = self.cause.value if self.cause else "unknown"
        number = f" ({self.failed_number})" if self.failed_number else ""
        said = " ".join(str(part) for part in (self.code, self.reason) if part)
        detail = f": {said}" if said else ""
        return f"{self.failed_leg or 'A'} leg {cause}{detail}{number}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> CallOutcome:
        return cls(
            a_answered=bool(raw["a_answered"]), b_answered=bool(raw["b_answered"]),
            failed_leg=Leg(raw["failed_leg"]) if raw.get("failed_leg") else None,
            cause=LegResult(raw["cause"]) if raw.get("cause") else None,
            failed_number=raw.get("failed_number"), cdr=raw.get("cdr"),
            talk_seconds=float(raw.get("talk_seconds") or 0.0),
            placed=bool(raw.get("placed", True)),
            code=raw.get("code"), reason=raw.get("reason"), refusal=raw.get("refusal"),
        )


LOST_DESCRIPTION = "no outcome from the dialer (try lost)"
NOT_PLACED_DESCRIPTION = "not placed: no dialer took the try in time"
NOT_PLACED = CallOutcome(a_answered=False, b_answered=False, placed=False)
# A try whose calling window closed before it could be placed (its dial_by passed): made
# again, uncounted, and so held by dispatch until the window opens again.
WINDOW_CLOSED = CallOutcome(a_answered=False, b_answered=False, placed=False,
                            reason="the calling window closed before the call was placed")
