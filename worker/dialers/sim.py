"""The simulated telephone network: outcomes come from a JSON scenario file.

``{"default": "answer", "numbers": {"+15550000001": ["busy", "no_answer", "answer"]},
"ring_seconds": 0, "talk_seconds": 0, "originate_seconds": 0}``: a number's outcome on try N
is the list's N-th entry (the last repeats). ``originate_seconds`` is how long the network
takes to accept a call, for tests that kill a worker mid-dial.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from models.rules.outcome import CallOutcome, Leg, LegResult
from models.storage.repository import calls_repo
from worker.dialers.base import DialRequest, QueuedCall


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


@dataclass(frozen=True)
class Dial:
    """One number the simulated network rang, for the dial log."""

    leg: Leg
    number: str
    at: datetime


def fate(scenario: Scenario, call: QueuedCall, now: datetime) -> tuple[calls_repo.Fate,
                                                                          list[Dial]]:
    """What becomes of ``call`` placed at ``now``, and the numbers rung: pure. Every A
    number rings at once; the first to answer wins and B rings after a ring time."""
    request = call.request
    ring = timedelta(seconds=scenario.ring_seconds)
    a_results = [(n, scenario.result(n, request.attempt_no)) for n in request.a_numbers]
    dials = [Dial(Leg.A, number, now) for number, _ in a_results]
    answered = [n for n, r in a_results if r is LegResult.ANSWER]
    if not answered:
        number, cause = a_results[0]
        outcome = CallOutcome(False, False, Leg.A, cause, number)
        return calls_repo.Fate(request.attempt_id, outcome, now + ring), dials
    dials.append(Dial(Leg.B, request.b_number, now + ring))
    b_result = scenario.result(request.b_number, request.attempt_no)
    ends_at = now + ring + ring
    if b_result is not LegResult.ANSWER:
        outcome = CallOutcome(True, False, Leg.B, b_result, request.b_number)
    else:
        outcome = CallOutcome(True, True, cdr=call.uuid, talk_seconds=scenario.talk_seconds)
        ends_at += timedelta(seconds=scenario.talk_seconds)
    return calls_repo.Fate(request.attempt_id, outcome, ends_at), dials


class SimDialer:
    """The simulated network: a call's fate is fixed when it is placed and written to its
    call at once, to be collected when it has ended; ringing and talking hold no worker."""

    name = calls_repo.DialerName("sim")

    def __init__(self, engine: sa.Engine, scenario: Scenario,
                 dial_log: Path | None = None) -> None:
        self.engine = engine
        self.scenario = scenario
        self.dial_log = dial_log

    def originate(self, calls: Sequence[QueuedCall], now: datetime) -> None:
        fates = {call.request.attempt_id: fate(self.scenario, call, now) for call in calls}
        with self.engine.begin() as conn:
            placed = calls_repo.place_with_fate(conn, [f for f, _ in fates.values()], now)
        # Only calls still queued are placed: one the reaper abandoned rings nobody.
        for call in calls:
            if call.request.attempt_id in placed:
                self._log(call.request, fates[call.request.attempt_id][1])
        if placed and self.scenario.originate_seconds:
            time.sleep(self.scenario.originate_seconds)  # the network is slow to accept

    def _log(self, request: DialRequest, dials: Sequence[Dial]) -> None:
        if self.dial_log is None:
            return
        lines = "".join(json.dumps({
            "attempt_id": request.attempt_id, "task_id": request.task_id,
            "attempt_no": request.attempt_no, "leg": dial.leg.value, "number": dial.number,
            "time": dial.at.isoformat(),
        }) + "\n" for dial in dials)
        # One O_APPEND write per call keeps lines whole across worker processes.
        fd = os.open(self.dial_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, lines.encode())
        finally:
            os.close(fd)
