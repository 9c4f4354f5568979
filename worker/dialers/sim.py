"""The simulated telephone network: outcomes come from a JSON scenario file.

``{"default": "answer", "numbers": {"+15550000001": ["busy", "no_answer", "answer"]},
"ring_seconds": 0, "talk_seconds": 0, "originate_seconds": 0}``: a number's outcome on try N
is the list's N-th entry (the last repeats). The call's fate is fixed when it is placed and
told when it has ended, so ringing and talking hold no worker; ``originate_seconds`` is how
long the network takes to accept a call, for tests that kill a worker mid-dial.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from models.outcome import CallOutcome, Leg, LegResult
from worker.dialers.base import DialRequest, PlacedCall


@dataclass(frozen=True)
class Scenario:
    default: LegResult = LegResult.ANSWER
    numbers: dict[str, tuple[LegResult, ...]] = field(default_factory=dict)
    # Outcomes by a number's last digit, for numbers not listed in `numbers` (the demo).
    suffixes: dict[str, tuple[LegResult, ...]] = field(default_factory=dict)
    ring_seconds: float = 0.0
    talk_seconds: float = 0.0
    originate_seconds: float = 0.0

    @classmethod
    def load(cls, path: Path | None) -> Scenario:
        if path is None:
            return cls()
        raw: dict[str, Any] = json.loads(path.read_text())
        numbers = {
            number: tuple(LegResult(o) for o in outcomes)
            for number, outcomes in raw.get("numbers", {}).items()
        }
        suffixes = {
            digit: tuple(LegResult(o) for o in outcomes)
            for digit, outcomes in raw.get("suffixes", {}).items()
        }
        return cls(
            default=LegResult(raw.get("default", "answer")),
            numbers=numbers,
            suffixes=suffixes,
            ring_seconds=float(raw.get("ring_seconds", 0)),
            talk_seconds=float(raw.get("talk_seconds", 0)),
            originate_seconds=float(raw.get("originate_seconds", 0)),
        )

    def result(self, number: str, attempt_no: int) -> LegResult:
        outcomes = self.numbers.get(number) or self.suffixes.get(number[-1:])
        if not outcomes:
            return self.default
        return outcomes[min(attempt_no, len(outcomes)) - 1]


class SimDialer:
    def __init__(self, scenario: Scenario, dial_log: Path | None = None) -> None:
        self.scenario = scenario
        self.dial_log = dial_log

    def originate(self, request: DialRequest, now: datetime) -> PlacedCall:
        ring = timedelta(seconds=self.scenario.ring_seconds)
        a_results = [(n, self.scenario.result(n, request.attempt_no)) for n in request.a_numbers]
        for number, _ in a_results:
            self._log(request, Leg.A, number, now)
        if self.scenario.originate_seconds:
            time.sleep(self.scenario.originate_seconds)  # the network is slow to accept
        outcome = self._outcome(request, a_results, now + ring)
        ends_at = now + ring
        if outcome.a_answered:
            ends_at += ring + timedelta(seconds=outcome.talk_seconds)
        ref = json.dumps({"ends_at": ends_at.isoformat(), "outcome": _outcome_json(outcome)})
        return PlacedCall(ref=ref, check_at=ends_at)

    def poll(self, ref: str | None, now: datetime) -> CallOutcome | None:
        if ref is None:
            return None  # the network never confirmed the call: nothing to learn
        call = json.loads(ref)
        if now < datetime.fromisoformat(call["ends_at"]):
            return None
        return _outcome_from_json(call["outcome"])

    def _outcome(
        self, request: DialRequest, a_results: list[tuple[str, LegResult]], a_answered_at: datetime
    ) -> CallOutcome:
        answered = [n for n, r in a_results if r is LegResult.ANSWER]
        if not answered:
            number, cause = a_results[0]
            return CallOutcome(False, False, Leg.A, cause, number)
        self._log(request, Leg.B, request.b_number, a_answered_at)
        b_result = self.scenario.result(request.b_number, request.attempt_no)
        if b_result is not LegResult.ANSWER:
            return CallOutcome(True, False, Leg.B, b_result, request.b_number)
        return CallOutcome(
            True, True, cdr=str(uuid.uuid4()), talk_seconds=self.scenario.talk_seconds
        )

    def _log(self, request: DialRequest, leg: Leg, number: str, at: datetime) -> None:
        if self.dial_log is None:
            return
        line = json.dumps({
            "attempt_id": request.attempt_id, "task_id": request.task_id,
            "attempt_no": request.attempt_no, "leg": leg.value, "number": number,
            "time": at.isoformat(),
        }) + "\n"
        # One O_APPEND write per line keeps lines whole across worker processes.
        fd = os.open(self.dial_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)


def _outcome_json(outcome: CallOutcome) -> dict[str, Any]:
    return {
        "a_answered": outcome.a_answered, "b_answered": outcome.b_answered,
        "failed_leg": outcome.failed_leg, "cause": outcome.cause,
        "failed_number": outcome.failed_number, "cdr": outcome.cdr,
        "talk_seconds": outcome.talk_seconds,
    }


def _outcome_from_json(raw: dict[str, Any]) -> CallOutcome:
    return CallOutcome(
        a_answered=raw["a_answered"], b_answered=raw["b_answered"],
        failed_leg=Leg(raw["failed_leg"]) if raw["failed_leg"] else None,
        cause=LegResult(raw["cause"]) if raw["cause"] else None,
        failed_number=raw["failed_number"], cdr=raw["cdr"], talk_seconds=raw["talk_seconds"],
    )
