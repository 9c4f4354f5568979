"""The legs of a third-party call and the commands the call flow gives: pure data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from models.rules.outcome import CallOutcome, Leg, LegResult
from sip import results

# RFC 3326: why the losing A numbers are CANCELled once one of them answered.
COMPLETED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"'


class LegState(StrEnum):
    INVITING = "inviting"  # INVITE sent, nothing back yet: no CANCEL before a provisional
    RINGING = "ringing"  # a provisional came: it may be CANCELled (183 early media rings)
    ANSWERED = "answered"  # a 2xx: the leg has a dialog
    CANCELLING = "cancelling"  # CANCEL sent: its 487 (or a 200 that crossed it) will come
    ENDING = "ending"  # BYE sent
    DONE = "done"


OPEN_STATES = frozenset({LegState.INVITING, LegState.RINGING})


@dataclass
class CallLeg:
    key: str  # "A0", "A1", ... or "B": names the leg to the controller
    side: Leg
    number: str
    state: LegState = LegState.INVITING
    invited_at: float = 0.0
    ringing_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    code: int | None = None  # the final response to the INVITE; None: none came
    reason: str | None = None
    cancel_when_ringing: bool = False  # a CANCEL is due as soon as a provisional comes
    ring_timeout: bool = False  # our CANCEL was the ring timeout (its 487 is no answer)
    authenticated: bool = False  # credentials went with the INVITE that got the final
    hangup_by: str | None = None  # "ringback" or "peer"
    listed: bool = False  # a do-not-call list held its number: its INVITE was never sent
    offer: bytes | None = None  # the SDP the leg answered with (its offer)
    sent_sdp: bytes | None = None  # the last description we sent it
    sdp_version: int = 0  # that description's version

    def close(self, now: float) -> None:
        self.state = LegState.DONE
        self.ended_at = self.ended_at or now

    def result(self) -> LegResult:
        return results.leg_result(self.code, ring_timeout=self.ring_timeout,
                                  authenticated=self.authenticated)

    def failure(self, cause: LegResult | None = None, reason: str | None = None,
                a_answered: bool = False) -> CallOutcome:
        """The try's outcome when this leg is why it failed."""
        return CallOutcome(a_answered, False, self.side, cause or self.result(), self.number,
                           code=self.code, reason=reason or self.reason)


@dataclass(frozen=True)
class Invite:
    leg: str
    number: str


@dataclass(frozen=True)
class Cancel:
    leg: str
    reason: str | None = None  # a Reason header value


@dataclass(frozen=True)
class Ack:
    """ACK the leg's 2xx, with the answer if its 2xx carried an offer."""

    leg: str
    sdp: bytes | None


@dataclass(frozen=True)
class ReInvite:
    leg: str
    sdp: bytes


@dataclass(frozen=True)
class Bye:
    leg: str


@dataclass(frozen=True)
class Finish:
    """Every leg is over; this is the try's outcome."""

    outcome: CallOutcome


Command = Invite | Cancel | Ack | ReInvite | Bye | Finish


def ended_fields(leg: CallLeg, wall: datetime, now: float) -> dict[str, Any]:
    """What a leg's row says once its call is over (its end in wall-clock time)."""
    ended = now if leg.ended_at is None else leg.ended_at
    return {"status_code": leg.code, "reason": leg.reason, "hangup_by": leg.hangup_by,
            "ended_at": wall - timedelta(seconds=now - ended)}
