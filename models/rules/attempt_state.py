"""The attempt state machine: claimed → dialing → completed | lost."""

from __future__ import annotations

from enum import StrEnum


class AttemptStatus(StrEnum):
    CLAIMED = "claimed"  # row written by dispatch, message sent
    DIALING = "dialing"  # the dialer was asked to originate
    COMPLETED = "completed"  # the outcome is known
    LOST = "lost"  # no outcome could be had: a failed try, never redialled as the same try


class AttemptTrigger(StrEnum):
    DIAL = "dial"
    COMPLETE = "complete"
    LOSE = "lose"


A = AttemptStatus
TRANSITIONS: dict[AttemptTrigger, tuple[frozenset[AttemptStatus], AttemptStatus]] = {
    AttemptTrigger.DIAL: (frozenset({A.CLAIMED}), A.DIALING),
    AttemptTrigger.COMPLETE: (frozenset({A.DIALING}), A.COMPLETED),
    AttemptTrigger.LOSE: (frozenset({A.DIALING}), A.LOST),
}
FINAL: frozenset[AttemptStatus] = frozenset({A.COMPLETED, A.LOST})
# Tries that count as running for pacing: the call may be ringing or talking.
RUNNING: frozenset[AttemptStatus] = frozenset({A.CLAIMED, A.DIALING})


class TransitionRefused(ValueError):
    def __init__(self, trigger: AttemptTrigger, status: AttemptStatus) -> None:
        super().__init__(f"attempt trigger {trigger.value!r} is not allowed from {status.value!r}")


def allowed_from(trigger: AttemptTrigger) -> frozenset[AttemptStatus]:
    return TRANSITIONS[trigger][0]


def target(trigger: AttemptTrigger) -> AttemptStatus:
    return TRANSITIONS[trigger][1]


def transition(status: AttemptStatus, trigger: AttemptTrigger) -> AttemptStatus:
    sources, to = TRANSITIONS[trigger]
    if status not in sources:
        raise TransitionRefused(trigger, status)
    return to
