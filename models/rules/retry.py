"""The retry decision after a try ends: pure, takes ``now``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

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
