"""Client transactions (RFC 3261 17.1): the INVITE and non-INVITE state machines."""

from __future__ import annotations

from enum import StrEnum

from sip.builders import build_non2xx_ack
from sip.codec import Request, Response
from sip.transaction_base import (
    TIMER_D_UNRELIABLE_S,
    Action,
    ClientKey,
    PassUp,
    ResponseClass,
    Send,
    Terminated,
    TimedMachine,
    TimedOut,
    Timers,
    client_key,
    response_class,
)


class ClientInviteState(StrEnum):
    CALLING = "calling"
    PROCEEDING = "proceeding"
    COMPLETED = "completed"
    TERMINATED = "terminated"


class ClientNonInviteState(StrEnum):
    TRYING = "trying"
    PROCEEDING = "proceeding"
    COMPLETED = "completed"
    TERMINATED = "terminated"


_I, _N, _R = ClientInviteState, ClientNonInviteState, ResponseClass
# (state, response class) -> next state; a pair not listed is absorbed without effect.
INVITE_RESPONSE_TRANSITIONS: dict[tuple[ClientInviteState, ResponseClass], ClientInviteState] = {
    (_I.CALLING, _R.PROVISIONAL): _I.PROCEEDING,
    (_I.PROCEEDING, _R.PROVISIONAL): _I.PROCEEDING,
    (_I.CALLING, _R.SUCCESS): _I.TERMINATED,
    (_I.PROCEEDING, _R.SUCCESS): _I.TERMINATED,
    (_I.CALLING, _R.FAILURE): _I.COMPLETED,
    (_I.PROCEEDING, _R.FAILURE): _I.COMPLETED,
    (_I.COMPLETED, _R.FAILURE): _I.COMPLETED,  # a retransmitted final: ACK it again
}
NON_INVITE_RESPONSE_TRANSITIONS: dict[
    tuple[ClientNonInviteState, ResponseClass], ClientNonInviteState
] = {
    (_N.TRYING, _R.PROVISIONAL): _N.PROCEEDING,
    (_N.PROCEEDING, _R.PROVISIONAL): _N.PROCEEDING,
    (_N.TRYING, _R.SUCCESS): _N.COMPLETED,
    (_N.TRYING, _R.FAILURE): _N.COMPLETED,
    (_N.PROCEEDING, _R.SUCCESS): _N.COMPLETED,
    (_N.PROCEEDING, _R.FAILURE): _N.COMPLETED,
}


class ClientInviteTransaction(TimedMachine):
    """Sends an INVITE and sees it to a final response.

    A 2xx is passed up and terminates the transaction: its retransmissions then match no
    transaction and reach the core, which re-sends its ACK (the dialog's job). A 300-699 is
    ACKed here, also when retransmitted. In Proceeding there is no timeout: the caller
    CANCELs when it has waited long enough.
    """

    def __init__(self, invite: Request, *, reliable: bool, timers: Timers | None = None) -> None:
        super().__init__()
        if invite.method != "INVITE":
            raise ValueError("ClientInviteTransaction needs an INVITE")
        self.request = invite
        self.key: ClientKey = client_key(invite)
        self.reliable = reliable
        self.timers = timers or Timers()
        self.state = ClientInviteState.CALLING
        self.ack: Request | None = None
        self._interval_s = self.timers.t1

    def start(self, now: float) -> list[Action]:
        self._timers.start("B", now + self.timers.timeout_s)
        if not self.reliable:
            self._timers.start("A", now + self._interval_s)
        return [Send(self.request)]

    def on_response(self, response: Response, now: float) -> list[Action]:
        target = INVITE_RESPONSE_TRANSITIONS.get((self.state, response_class(response)))
        if target is None:
            return []
        if self.state is ClientInviteState.COMPLETED and self.ack is not None:
            return [Send(self.ack)]
        self.state = target
        if target is ClientInviteState.PROCEEDING:
            self._timers.stop("A", "B")
            return [PassUp(response)]
        self._timers.clear()
        if target is ClientInviteState.TERMINATED:
            return [PassUp(response), Terminated()]
        self.ack = build_non2xx_ack(self.request, response)
        actions: list[Action] = [Send(self.ack), PassUp(response)]
        if self.reliable:
            self.state = ClientInviteState.TERMINATED
            return [*actions, Terminated()]
        self._timers.start("D", now + TIMER_D_UNRELIABLE_S)
        return actions

    def _fire(self, name: str, now: float) -> list[Action]:
        if name == "A":
            self._interval_s *= 2
            self._timers.start("A", now + self._interval_s)
            return [Send(self.request)]
        self.state = ClientInviteState.TERMINATED
        self._timers.clear()
        return [TimedOut(), Terminated()] if name == "B" else [Terminated()]


class ClientNonInviteTransaction(TimedMachine):
    """Sends a non-INVITE request (BYE, OPTIONS, CANCEL, ...) and sees it to a final response."""

    def __init__(self, request: Request, *, reliable: bool, timers: Timers | None = None) -> None:
        super().__init__()
        if request.method in ("INVITE", "ACK"):
            raise ValueError(f"{request.method} has no non-INVITE client transaction")
        self.request = request
        self.key: ClientKey = client_key(request)
        self.reliable = reliable
        self.timers = timers or Timers()
        self.state = ClientNonInviteState.TRYING
        self._interval_s = self.timers.t1

    def start(self, now: float) -> list[Action]:
        self._timers.start("F", now + self.timers.timeout_s)
        if not self.reliable:
            self._timers.start("E", now + self._interval_s)
        return [Send(self.request)]

    def on_response(self, response: Response, now: float) -> list[Action]:
        target = NON_INVITE_RESPONSE_TRANSITIONS.get((self.state, response_class(response)))
        if target is None:
            return []
        self.state = target
        if target is ClientNonInviteState.PROCEEDING:
            return [PassUp(response)]
        self._timers.clear()
        if self.reliable:
            self.state = ClientNonInviteState.TERMINATED
            return [PassUp(response), Terminated()]
        self._timers.start("K", now + self.timers.t4)
        return [PassUp(response)]

    def _fire(self, name: str, now: float) -> list[Action]:
        if name == "E":
            # Doubling up to T2 while Trying; T2 flat once a provisional came (17.1.2.2).
            if self.state is ClientNonInviteState.PROCEEDING:
                self._interval_s = self.timers.t2
            else:
                self._interval_s = min(2 * self._interval_s, self.timers.t2)
            self._timers.start("E", now + self._interval_s)
            return [Send(self.request)]
        self.state = ClientNonInviteState.TERMINATED
        self._timers.clear()
        return [TimedOut(), Terminated()] if name == "F" else [Terminated()]
