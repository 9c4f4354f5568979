"""The attempt state machine: claimed → dialing → completed | lost."""

from __future__ import annotations

from enum import StrEnum

from models.rules import state_machine


class AttemptStatus(StrEnum):
    CLAIMED = "claimed"  # row written by dispatch, message sent
    DIALING = "dialing"  # the dialer was asked to originate
    COMPLETED = "completed"  # the outcome is known
    # No outcome could be had (a failed try), or never placed (its call abandoned, or its
    # window closed while it waited to be placed); never redialled as the same try.
    LOST = "lost"


class AttemptTrigger(StrEnum):
    DIAL = "dial"
    COMPLETE = "complete"
    LOSE = "lose"


A = AttemptStatus
FINAL: frozenset[AttemptStatus] = frozenset({A.COMPLETED, A.LOST})
# Tries that count as running for pacing: the call may be ringing or talking.
RUNNING: frozenset[AttemptStatus] = frozenset({A.CLAIMED, A.DIALING})


class TransitionRefused(state_machine.TransitionRefused[AttemptStatus, AttemptTrigger]):
    subject = "attempt"


MACHINE: state_machine.StateMachine[AttemptStatus, AttemptTrigger] = state_machine.StateMachine({
    AttemptTrigger.DIAL: (frozenset({A.CLAIMED}), A.DIALING),
    AttemptTrigger.COMPLETE: (frozenset({A.DIALING}), A.COMPLETED),
    AttemptTrigger.LOSE: (frozenset({A.CLAIMED, A.DIALING}), A.LOST),
}, TransitionRefused)
TRANSITIONS = MACHINE.table
allowed_from = MACHINE.allowed_from
target = MACHINE.target
transition = MACHINE.transition
