"""Server transactions (RFC 3261 17.2) for requests a UAC receives inside its dialogs, and
the UAS core's 2xx retransmission for a re-INVITE it accepts (13.3.1.4)."""

from __future__ import annotations

from enum import StrEnum

from sip.codec import Request, Response
from sip.transaction_base import (
    Action,
    ResponseClass,
    Send,
    ServerKey,
    Terminated,
    TimedMachine,
    TimedOut,
    Timers,
    response_class,
    server_key,
)


class ServerNonInviteState(StrEnum):
    TRYING = "trying"
    PROCEEDING = "proceeding"
    COMPLETED = "completed"
    TERMINATED = "terminated"


class ServerInviteState(StrEnum):
    PROCEEDING = "proceeding"
    COMPLETED = "completed"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


_N, _I, _R = ServerNonInviteState, ServerInviteState, ResponseClass
# (state, class of the response the TU sends) -> next state; other pairs are TU errors.
NON_INVITE_RESPOND_TRANSITIONS: dict[
    tuple[ServerNonInviteState, ResponseClass], ServerNonInviteState
] = {
    (_N.TRYING, _R.PROVISIONAL): _N.PROCEEDING,
    (_N.PROCEEDING, _R.PROVISIONAL): _N.PROCEEDING,
    (_N.TRYING, _R.SUCCESS): _N.COMPLETED,
    (_N.TRYING, _R.FAILURE): _N.COMPLETED,
    (_N.PROCEEDING, _R.SUCCESS): _N.COMPLETED,
    (_N.PROCEEDING, _R.FAILURE): _N.COMPLETED,
}
INVITE_RESPOND_TRANSITIONS: dict[tuple[ServerInviteState, ResponseClass], ServerInviteState] = {
    (_I.PROCEEDING, _R.PROVISIONAL): _I.PROCEEDING,
    (_I.PROCEEDING, _R.SUCCESS): _I.TERMINATED,
    (_I.PROCEEDING, _R.FAILURE): _I.COMPLETED,
}


class ServerNonInviteTransaction(TimedMachine):
    """A received BYE, OPTIONS, CANCEL, ...: the TU answers with ``respond``; request
    retransmissions are absorbed by re-sending the last response (Timer J ends it)."""

    def __init__(self, request: Request, *, reliable: bool, timers: Timers | None = None) -> None:
        super().__init__()
        if request.method in ("INVITE", "ACK"):
            raise ValueError(f"{request.method} has no non-INVITE server transaction")
        self.request = request
        self.key: ServerKey = server_key(request)
        self.reliable = reliable
        self.timers = timers or Timers()
        self.state = ServerNonInviteState.TRYING
        self.last_response: Response | None = None

    def on_request(self, request: Request, now: float) -> list[Action]:
        """A retransmission of the request."""
        if self.state is ServerNonInviteState.TERMINATED or self.last_response is None:
            return []
        return [Send(self.last_response)]

    def respond(self, response: Response, now: float) -> list[Action]:
        target = NON_INVITE_RESPOND_TRANSITIONS.get((self.state, response_class(response)))
        if target is None:
            raise ValueError(f"cannot send {response.status} in state {self.state}")
        self.state = target
        self.last_response = response
        if target is ServerNonInviteState.PROCEEDING:
            return [Send(response)]
        if self.reliable:
            self.state = ServerNonInviteState.TERMINATED
            return [Send(response), Terminated()]
        self._timers.start("J", now + self.timers.timeout_s)
        return [Send(response)]

    def _fire(self, name: str, now: float) -> list[Action]:
        self.state = ServerNonInviteState.TERMINATED
        return [Terminated()]


class ServerInviteTransaction(TimedMachine):
    """A received (re-)INVITE. No 100 Trying is sent on its own: the TU answers at once.

    A 2xx terminates it; the UAS core then retransmits the 2xx with Invite2xxRetransmitter.
    A 300-699 is retransmitted (Timer G) until the ACK comes, for 64*T1 at most (Timer H).
    """

    def __init__(self, invite: Request, *, reliable: bool, timers: Timers | None = None) -> None:
        super().__init__()
        if invite.method != "INVITE":
            raise ValueError("ServerInviteTransaction needs an INVITE")
        self.request = invite
        self.key: ServerKey = server_key(invite)
        self.reliable = reliable
        self.timers = timers or Timers()
        self.state = ServerInviteState.PROCEEDING
        self.last_response: Response | None = None
        self._interval_s = self.timers.t1

    def on_request(self, request: Request, now: float) -> list[Action]:
        """An INVITE retransmission or the ACK for a 300-699 response."""
        if request.method == "ACK":
            return self._on_ack(now)
        active = (ServerInviteState.PROCEEDING, ServerInviteState.COMPLETED)
        if self.state in active and self.last_response is not None:
            return [Send(self.last_response)]
        return []

    def _on_ack(self, now: float) -> list[Action]:
        if self.state is not ServerInviteState.COMPLETED:
            return []
        self._timers.clear()
        if self.reliable:
            self.state = ServerInviteState.TERMINATED
            return [Terminated()]
        self.state = ServerInviteState.CONFIRMED
        self._timers.start("I", now + self.timers.t4)
        return []

    def respond(self, response: Response, now: float) -> list[Action]:
        target = INVITE_RESPOND_TRANSITIONS.get((self.state, response_class(response)))
        if target is None:
            raise ValueError(f"cannot send {response.status} in state {self.state}")
        self.state = target
        self.last_response = response
        if target is ServerInviteState.TERMINATED:
            return [Send(response), Terminated()]
        if target is ServerInviteState.COMPLETED:
            self._timers.start("H", now + self.timers.timeout_s)
            if not self.reliable:
                self._timers.start("G", now + self._interval_s)
        return [Send(response)]

    def _fire(self, name: str, now: float) -> list[Action]:
        if name == "G" and self.last_response is not None:
            self._interval_s = min(2 * self._interval_s, self.timers.t2)
            self._timers.start("G", now + self._interval_s)
            return [Send(self.last_response)]
        self.state = ServerInviteState.TERMINATED
        self._timers.clear()
        return [TimedOut(), Terminated()] if name == "H" else [Terminated()]


class Invite2xxRetransmitter(TimedMachine):
    """The UAS core's retransmission of a 2xx to an INVITE until its ACK arrives: intervals
    from T1 doubling up to T2, on every transport; after 64*T1 without an ACK it reports
    TimedOut and the core should end the dialog with BYE (RFC 3261 13.3.1.4)."""

    def __init__(self, response: Response, *, timers: Timers | None = None) -> None:
        super().__init__()
        if response_class(response) is not ResponseClass.SUCCESS:
            raise ValueError("only a 2xx is retransmitted by the UAS core")
        self.response = response
        self.timers = timers or Timers()
        self.finished = False
        self._interval_s = self.timers.t1

    def start(self, now: float) -> list[Action]:
        self._timers.start("retransmit", now + self._interval_s)
        self._timers.start("give_up", now + self.timers.timeout_s)
        return [Send(self.response)]

    def matches_ack(self, ack: Request) -> bool:
        """Whether ``ack`` acknowledges this 2xx: same Call-ID, tags and CSeq number."""
        if ack.method != "ACK":
            return False
        return (
            ack.call_id == self.response.call_id
            and ack.cseq[0] == self.response.cseq[0]
            and ack.from_.tag == self.response.from_.tag
            and ack.to.tag == self.response.to.tag
        )

    def on_ack(self, now: float) -> list[Action]:
        if self.finished:
            return []
        self.finished = True
        self._timers.clear()
        return [Terminated()]

    def _fire(self, name: str, now: float) -> list[Action]:
        if name == "retransmit":
            self._interval_s = min(2 * self._interval_s, self.timers.t2)
            self._timers.start("retransmit", now + self._interval_s)
            return [Send(self.response)]
        self.finished = True
        self._timers.clear()
        return [TimedOut(), Terminated()]
