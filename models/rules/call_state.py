"""The call state machine: what became of the call a try handed to its dialer. Pure.

A try's call is written `queued` in the try's own transaction. The dialer (the simulated
network, or a SIP controller) takes it `placed`, and it is `ended` once its outcome is
known. A call nobody placed in time is `abandoned` (a fence: whoever changes `queued`
first wins, so an abandoned call is never placed later); one whose outcome never came is
`lost`.
"""

from __future__ import annotations

from enum import StrEnum

from models.rules import state_machine


class CallStatus(StrEnum):
    QUEUED = "queued"
    PLACED = "placed"
    ENDED = "ended"
    ABANDONED = "abandoned"
    LOST = "lost"


class CallTrigger(StrEnum):
    PLACE = "place"  # the dialer took the call: numbers may be ringing
    END = "end"  # the outcome is known
    ABANDON = "abandon"  # nobody placed it in time: it never will be
    LOSE = "lose"  # no outcome by the longest call's end


C = CallStatus
FINAL: frozenset[CallStatus] = frozenset({C.ENDED, C.ABANDONED, C.LOST})


class TransitionRefused(state_machine.TransitionRefused[CallStatus, CallTrigger]):
    subject = "call"


MACHINE: state_machine.StateMachine[CallStatus, CallTrigger] = state_machine.StateMachine({
    CallTrigger.PLACE: (frozenset({C.QUEUED}), C.PLACED),
    CallTrigger.END: (frozenset({C.PLACED}), C.ENDED),
    CallTrigger.ABANDON: (frozenset({C.QUEUED}), C.ABANDONED),
    CallTrigger.LOSE: (frozenset({C.QUEUED, C.PLACED}), C.LOST),
}, TransitionRefused)
TRANSITIONS = MACHINE.table
allowed_from = MACHINE.allowed_from
target = MACHINE.target
transition = MACHINE.transition
