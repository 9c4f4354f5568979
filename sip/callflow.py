"""One try as a third-party call (RFC 3725 flow III): pure, driven by events and ``now``.

Every A number is INVITEd at once without SDP. The first to answer wins: its 200 (with its
offer) is ACKed at once with a black-hole answer, so A's dialog is complete and B may ring
for its whole timeout (flow I would leave A's 200 un-ACKed and A would hang up after
64*T1). The other A numbers are CANCELled. B is INVITEd without SDP; its 200 carries B's
offer, which goes to A in a re-INVITE; A's answer goes to B in the ACK of B's 200. Media
then flows between the phones. When either side hangs up, the other gets a BYE.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.rules.outcome import CallOutcome, Leg, LegResult
from sip import sdp
from sip.legs import (
    COMPLETED_ELSEWHERE,
    OPEN_STATES,
    Ack,
    Bye,
    CallLeg,
    Cancel,
    Command,
    Finish,
    Invite,
    LegState,
    ReInvite,
)

S = LegState


class CallFlow:
    def __init__(self, *, a_numbers: Sequence[str], b_number: str, cdr: str,
                 origin_id: int, a_ring_timeout_s: float, b_ring_timeout_s: float,
                 max_call_s: float) -> None:
        self.a_legs = [CallLeg(f"A{i}", Leg.A, n) for i, n in enumerate(a_numbers)]
        self.b = CallLeg("B", Leg.B, b_number)
        self.cdr = cdr
        self.origin_id = origin_id  # our SDP session ids derive from it
        self.a_ring_timeout_s = a_ring_timeout_s
        self.b_ring_timeout_s = b_ring_timeout_s
        self.max_call_s = max_call_s
        self.winner: CallLeg | None = None
        self.b_invited = False
        self.connected_at: float | None = None
        self.deadlines: dict[str, float] = {}
        self.outcome: CallOutcome | None = None  # decided; Finish once every leg is over
        self.finished = False

    # -- the controller's view ---------------------------------------------------------

    def leg(self, key: str) -> CallLeg:
        return self.b if key == "B" else self.a_legs[int(key[1:])]

    @property
    def legs(self) -> list[CallLeg]:
        return [*self.a_legs, *([self.b] if self.b_invited else [])]

    def next_deadline(self) -> float | None:
        return min(self.deadlines.values(), default=None)

    def sdp_for_peer(self, key: str) -> bytes | None:
        """What to answer a peer's re-INVITE with: the description it last had from us,
        unchanged (a session refresh; media stays where it flows)."""
        return self.leg(key).sent_sdp

    # -- events --------------------------------------------------------------------------

    def start(self, now: float) -> list[Command]:
        self.deadlines = {"a_ring": now + self.a_ring_timeout_s}
        for leg in self.a_legs:
            leg.invited_at = now
        return [Invite(leg.key, leg.number) for leg in self.a_legs]

    def on_provisional(self, key: str, now: float, *, ringing: bool = True) -> list[Command]:
        """Any 1xx makes the leg cancellable; a 18x (``ringing``) also says it rings."""
        leg = self.leg(key)
        if ringing and leg.ringing_at is None:
            leg.ringing_at = now
        if leg.state is not S.INVITING:
            return []
        leg.state = S.RINGING
        if leg.cancel_when_ringing:
            return self._cancel(leg)
        return []

    def on_answer(self, key: str, offer: bytes, now: float) -> list[Command]:
        """A 2xx to the leg's INVITE (the first; retransmissions are the dialog's)."""
        leg = self.leg(key)
        leg.answered_at, leg.code = now, leg.code or 200
        wanted = leg.state in OPEN_STATES and not leg.cancel_when_ringing
        if leg.side is Leg.A and wanted and self.winner is None:
            return self._a_answered(leg, offer, now)
        if leg is self.b and wanted and self.outcome is None:
            return self._b_answered(offer, now)
        # Crossed our CANCEL, lost the race, or came after the call ended: end it.
        leg.state, leg.hangup_by = S.ENDING, "ringback"
        return [Ack(key, self._black_hole(leg, offer)), Bye(key)]

    def on_final(self, key: str, code: int | None, reason: str | None, now: float, *,
                 authenticated: bool = False) -> list[Command]:
        """A 300-699 to the leg's INVITE, or none at all (``code`` None: Timer B)."""
        leg = self.leg(key)
        if leg.state is S.DONE:
            return []
        leg.code, leg.reason, leg.authenticated = code, reason, authenticated
        leg.close(now)
        if leg is self.b and self.outcome is None:
            self.outcome = leg.failure(a_answered=True)
            return [*self._end_all(now), *self._finish_if_over()]
        no_a_left = self.winner is None and all(a.state is S.DONE for a in self.a_legs)
        if leg.side is Leg.A and no_a_left and self.outcome is None:
            self.outcome = self._no_a_left()
        return self._finish_if_over()

    def on_listed(self, key: str, list_phrase: str, now: float) -> list[Command]:
        """A do-not-call list holds the leg's number (``list_phrase`` names it), found right
        before its INVITE would leave: it is never sent. A listed B ends the try (A, which
        answered, gets a BYE); a listed A is left out, and when every A number is, the try
        ends having called nobody. Either way the task ends: no later try may dial it."""
        leg = self.leg(key)
        if leg.state is S.DONE:
            return []
        leg.listed = True
        leg.close(now)
        refusal = f"do-not-call: {leg.side} number {leg.number} is on {list_phrase}"
        if leg is self.b and self.outcome is None:
            self.outcome = CallOutcome(True, False, Leg.B, LegResult.FAILED, leg.number,
                                       reason="not sent: " + refusal, refusal=refusal)
            return [*self._end_all(now), *self._finish_if_over()]
        if self.winner is None and all(a.state is S.DONE for a in self.a_legs) and (
                self.outcome is None):
            self.outcome = self._no_a_left()
        return self._finish_if_over()

    def on_reinvite_answer(self, key: str, answer: bytes, now: float) -> list[Command]:
        """A's 2xx to the re-INVITE carrying B's offer: connect B with A's answer."""
        if self.outcome is not None or self.winner is None or key != self.winner.key:
            return [Ack(key, None)]
        try:
            b_answer = self._reoriginated(self.b, answer, bump=True)
        except sdp.SdpError:
            return [Ack(key, None),
                    *self._reinvite_refused(now, None, "answered without a session description")]
        self.connected_at = now
        self.deadlines["max"] = now + self.max_call_s  # the longest talk
        return [Ack(key, None), Ack("B", b_answer)]

    def on_reinvite_failed(self, key: str, code: int | None, reason: str | None,
                           now: float) -> list[Command]:
        if self.outcome is not None or self.winner is None or key != self.winner.key:
            return []
        return self._reinvite_refused(now, code, reason)

    def on_peer_bye(self, key: str, now: float) -> list[Command]:
        leg = self.leg(key)
        if leg.state is S.DONE:
            return []
        leg.hangup_by = "peer"
        leg.close(now)
        if self.outcome is None:
            self.outcome = self._hung_up(leg, now)
        return [*self._end_all(now), *self._finish_if_over()]

    def on_bye_done(self, key: str, now: float) -> list[Command]:
        """Our BYE (or the CANCELled INVITE's end) is settled, answered or timed out."""
        leg = self.leg(key)
        if leg.state is not S.DONE:
            leg.close(now)
        return self._finish_if_over()

    def on_timer(self, now: float) -> list[Command]:
        due = [name for name, when in self.deadlines.items() if when <= now]
        commands: list[Command] = []
        for name in due:
            del self.deadlines[name]
            commands += self._timeout(name, now)
        return commands

    # -- the steps -------------------------------------------------------------------------

    def _a_answered(self, leg: CallLeg, offer: bytes, now: float) -> list[Command]:
        self.winner, leg.state, leg.offer = leg, S.ANSWERED, offer
        commands: list[Command] = []
        try:
            if not sdp.has_media(offer):
                raise sdp.SdpError("no stream offered")
            commands.append(Ack(leg.key, self._black_hole(leg, offer)))
        except sdp.SdpError:
            commands.append(Ack(leg.key, None))
            self.outcome = leg.failure(LegResult.FAILED, "answered without a session "
                                       "description")
            return [*commands, *self._end_all(now)]
        for other in self.a_legs:
            if other is not leg:
                commands += self._cancel(other, COMPLETED_ELSEWHERE)
        self.deadlines.pop("a_ring", None)
        self.deadlines["b_ring"] = now + self.b_ring_timeout_s
        self.b_invited, self.b.invited_at = True, now
        return [*commands, Invite("B", self.b.number)]

    def _b_answered(self, offer: bytes, now: float) -> list[Command]:
        assert self.winner is not None
        self.b.state, self.b.offer = S.ANSWERED, offer
        self.deadlines.pop("b_ring", None)
        try:
            if not sdp.has_media(offer):
                raise sdp.SdpError("no stream offered")
            return [ReInvite(self.winner.key, self._reoriginated(self.winner, offer, bump=True))]
        except sdp.SdpError:
            self.outcome = self.b.failure(LegResult.FAILED, "answered without a session "
                                          "description", a_answered=True)
            return [Ack("B", None), *self._end_all(now)]

    def _reinvite_refused(self, now: float, code: int | None,
                          reason: str | None) -> list[Command]:
        assert self.winner is not None
        self.winner.code, self.winner.reason = code, reason
        said = " ".join(str(p) for p in (code, reason) if p) or "no answer"
        # B answered, but the two were never connected: not a connected call.
        self.outcome = CallOutcome(True, False, Leg.A, LegResult.FAILED, self.winner.number,
                                   code=code, reason=f"refused B's media ({said})")
        commands: list[Command] = []
        if self.b.state is S.ANSWERED and self.b.offer is not None and self.connected_at is None:
            commands.append(Ack("B", self._black_hole(self.b, self.b.offer)))
        self.connected_at = None
        return [*commands, *self._end_all(now)]

    def _hung_up(self, leg: CallLeg, now: float) -> CallOutcome:
        if self.connected_at is not None:
            return self._connected(now)
        if leg is self.winner and self.b.state in OPEN_STATES:
            return self.b.failure(LegResult.NO_ANSWER, "A hung up while B rang",
                                  a_answered=True)
        return leg.failure(LegResult.FAILED, "hung up before the call was connected",
                           a_answered=self.winner is not None)

    def _no_a_left(self) -> CallOutcome:
        """Every A leg ended unanswered: the first rung speaks (the task's own a_number when
        it was); when a list held every one, nobody was called and the task ends."""
        rung = [leg for leg in self.a_legs if not leg.listed]
        if rung:
            return rung[0].failure()
        numbers = ", ".join(leg.number for leg in self.a_legs)
        refusal = f"do-not-call: every A number is on a do-not-call list ({numbers})"
        return CallOutcome(False, False, Leg.A, LegResult.FAILED, self.a_legs[0].number,
                           placed=False, reason="not sent: " + refusal, refusal=refusal)

    def _connected(self, now: float) -> CallOutcome:
        assert self.connected_at is not None
        return CallOutcome(True, True, cdr=self.cdr, talk_seconds=now - self.connected_at)

    def _timeout(self, name: str, now: float) -> list[Command]:
        if name == "max":
            if self.outcome is None:
                self.outcome = (self._connected(now) if self.connected_at is not None else
                                self._first_open_failure())
            return [*self._end_all(now), *self._finish_if_over()]
        legs = self.a_legs if name == "a_ring" else [self.b]
        commands: list[Command] = []
        for leg in legs:
            leg.ring_timeout = leg.state in OPEN_STATES
            commands += self._cancel(leg)
        return commands

    def _first_open_failure(self) -> CallOutcome:
        for leg in self.legs:
            if leg.state in OPEN_STATES:
                return leg.failure(LegResult.NO_ANSWER, "the longest call time ran out",
                                   a_answered=self.winner is not None)
        return CallOutcome(self.winner is not None, False, Leg.A, LegResult.FAILED,
                           reason="the longest call time ran out")

    def _cancel(self, leg: CallLeg, reason: str | None = None) -> list[Command]:
        if leg.state is S.INVITING:
            leg.cancel_when_ringing = True  # no CANCEL before a provisional (RFC 3261 9.1)
            return []
        if leg.state is not S.RINGING:
            return []
        leg.state = S.CANCELLING
        return [Cancel(leg.key, reason)]

    def _end_all(self, now: float) -> list[Command]:
        """BYE every answered leg, CANCEL every ringing one."""
        self.deadlines = {}
        commands: list[Command] = []
        for leg in self.legs:
            if leg.state is S.ANSWERED:
                leg.state, leg.hangup_by = S.ENDING, leg.hangup_by or "ringback"
                commands.append(Bye(leg.key))
            else:
                commands += self._cancel(leg)
        return commands

    def _finish_if_over(self) -> list[Command]:
        if self.finished or self.outcome is None:
            return []
        if any(leg.state is not S.DONE for leg in self.legs):
            return []
        self.finished = True
        return [Finish(self.outcome)]

    # -- session descriptions ---------------------------------------------------------------

    def _session_id(self, leg: CallLeg) -> int:
        return self.origin_id * 16 + (len(self.a_legs) if leg is self.b else int(leg.key[1:]))

    def _black_hole(self, leg: CallLeg, offer: bytes) -> bytes | None:
        """The answer to a 2xx's offer that takes no media; None when it carried none."""
        if not offer:
            return None
        leg.sdp_version += 1
        leg.sent_sdp = sdp.black_hole_answer(
            offer, (self._session_id(leg), leg.sdp_version), "0.0.0.0")
        return leg.sent_sdp

    def _reoriginated(self, leg: CallLeg, description: bytes, *, bump: bool) -> bytes:
        """One phone's description sent to the other as ours (a new version if it changed)."""
        if bump:
            leg.sdp_version += 1
        leg.sent_sdp = sdp.reoriginate(description, self._session_id(leg), leg.sdp_version)
        return leg.sent_sdp
