"""The call controller: runs each held call's flow (sip.callflow) over the transaction layer
(sip.endpoint), and keeps the calls table told. An INVITE leaves only once its leg row is
committed; what becomes of a leg is written behind, in batches."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from models import clock
from models.rules.outcome import CallOutcome, Leg, LegResult
from models.shapes.rows import ClaimedCall
from models.storage.repository import calls_repo
from sip import challenge, peer
from sip import legs as cmd
from sip.active import ActiveCall, CallRequest, Context, LegRuntime, Limits, leg_call_id, token
from sip.builders import build_cancel
from sip.callflow import CallFlow
from sip.codec import Request, Response, serialize
from sip.dialog import Dialog, DialogError, DialogKey, request_dialog_key
from sip.endpoint import Endpoint
from sip.requests import Account, build_invite
from sip.store import Store
from sip.strays import Strays
from sip.via import new_branch

log = logging.getLogger(__name__)
SDP = peer.SDP
# A finished call's dialogs are kept this long, to ACK a 2xx retransmitted after its end.
LINGER_S = 32.0


class Controller:
    def __init__(self, store: Store, limits: Limits, via: tuple[str, int]) -> None:
        self.store = store
        self.limits = limits
        self.via = via  # our address as Via and Contact say it
        self.endpoint: Endpoint | None = None
        self.calls: dict[int, ActiveCall] = {}
        self.dialogs: dict[DialogKey, tuple[ActiveCall, str]] = {}
        self.invites: dict[str, tuple[ActiveCall, str]] = {}  # by leg Call-ID, for forks
        self.strays = Strays(self)
        # Calls being set up (not yet connected, nor over): what admission counts.
        self.setting_up = 0
        self.on_room: Callable[[], None] = lambda: None
        self._timers: dict[int, asyncio.TimerHandle] = {}

    @property
    def now(self) -> float:
        return self._endpoint().now

    def _endpoint(self) -> Endpoint:
        assert self.endpoint is not None
        return self.endpoint

    # -- calls -----------------------------------------------------------------------

    def start_call(self, claimed: ClaimedCall, account: Account) -> None:
        request = CallRequest.from_json(claimed.request)
        flow = CallFlow(a_numbers=request.a_numbers, b_number=request.b_number,
                        cdr=claimed.uuid, origin_id=claimed.attempt_id,
                        a_ring_timeout_s=self.limits.a_ring_timeout_s,
                        b_ring_timeout_s=self.limits.b_ring_timeout_s,
                        max_call_s=self.limits.max_call_s)
        call = ActiveCall(claimed, account, request.identity, flow)
        self.calls[claimed.id] = call
        self.setting_up += 1
        self.execute(call, flow.start(self.now))

    def execute(self, call: ActiveCall, commands: list[cmd.Command]) -> None:
        for command in commands:
            if isinstance(command, cmd.Invite):
                self._invite(call, command)
            elif isinstance(command, cmd.Cancel):
                self._cancel(call, command)
            elif isinstance(command, cmd.Ack):
                self._ack(call, command)
            elif isinstance(command, cmd.ReInvite | cmd.Bye):
                self._in_dialog(call, command)
            else:
                self._finish(call, command.outcome)
        if call.setting_up and (call.flow.connected_at is not None or call.flow.finished):
            call.setting_up = False
            self.setting_up -= 1
            self.on_room()
        self._arm(call)

    def _arm(self, call: ActiveCall) -> None:
        deadline = None if call.flow.finished else call.flow.next_deadline()
        old = self._timers.get(call.claimed.id)
        if old is not None and old.when() == deadline and not old.cancelled():
            return  # armed for that time already: most events leave it where it was
        if old is not None:
            old.cancel()
            del self._timers[call.claimed.id]
        if deadline is not None:
            self._timers[call.claimed.id] = self._endpoint().loop.call_at(
                deadline, lambda: self.execute(call, call.flow.on_timer(self.now)))

    # -- commands --------------------------------------------------------------------

    def _invite(self, call: ActiveCall, command: cmd.Invite) -> None:
        sip_call_id = leg_call_id(call.attempt_id, command.leg, command.number)
        invite = build_invite(number=command.number, account=call.account,
                              identity=call.identity, call_id=sip_call_id, from_tag=token(),
                              branch=new_branch(token()), via_host=self.via[0],
                              via_port=self.via[1])
        leg = LegRuntime(command.leg, sip_call_id, invite)
        call.legs[command.leg] = leg
        self.invites[sip_call_id] = (call, command.leg)
        asyncio.get_running_loop().create_task(self._write_then_send(call, leg, command))

    async def _write_then_send(self, call: ActiveCall, leg: LegRuntime,
                               command: cmd.Invite) -> None:
        text = serialize(leg.invite).decode("utf-8", "replace")
        try:
            written = await self.store.insert_leg(calls_repo.NewLeg(
                call.claimed.id, command.leg[0], int(command.leg[1:] or 0), command.number,
                leg.sip_call_id, text, clock.now(), call.claimed.client_id))
        except Exception:
            log.exception("the INVITE of %s was not written, so it is not sent", leg.sip_call_id)
            if not call.let_go:
                self._leg_final(call, leg.key, None, "not sent: the database refused its record")
            return
        leg.row_id = written.row_id
        if call.let_go:  # its lease lapsed while the row was written: its next holder ends it
            return
        if written.listed_on is not None:  # listed while the call rang: never INVITEd
            self.execute(call, call.flow.on_listed(leg.key, written.listed_on.phrase(),
                                                   self.now))
            return
        if leg.row_id is None:  # written before (this number had its INVITE for this try),
            # or the call was taken over meanwhile
            self._leg_final(call, leg.key, None, "not sent: it was sent before, or its call is "
                                                 "held elsewhere now")
            return
        leg.sent = True
        self._endpoint().request(leg.invite, call.account.trunk.hop,
                                 Context(call, leg.key, "invite"))

    def _cancel(self, call: ActiveCall, command: cmd.Cancel) -> None:
        leg = call.legs[command.leg]
        if leg.sent:
            self._endpoint().request(build_cancel(leg.invite, command.reason),
                                     call.account.trunk.hop, Context(call, leg.key, "cancel"))

    def _ack(self, call: ActiveCall, command: cmd.Ack) -> None:
        leg = call.legs[command.leg]
        if leg.dialog is None or leg.ack_cseq is None:
            return
        ack = leg.dialog.ack(leg.ack_cseq, branch=new_branch(token()), body=command.sdp or b"",
                             content_type=SDP if command.sdp else None,
                             extra_headers=leg.credentials())
        leg.ack_cseq = None
        self._endpoint().send(ack, leg.dialog.next_hop())

    def _in_dialog(self, call: ActiveCall, command: cmd.ReInvite | cmd.Bye) -> None:
        leg = call.legs[command.leg]
        if leg.dialog is None:
            self.execute(call, call.flow.on_bye_done(leg.key, self.now))
            return
        if isinstance(command, cmd.ReInvite):
            request = leg.dialog.request("INVITE", branch=new_branch(token()),
                                         body=command.sdp, content_type=SDP)
            purpose = "reinvite"
        else:
            request = leg.dialog.request("BYE", branch=new_branch(token()))
            purpose = "bye"
        self._endpoint().request(request, leg.dialog.next_hop(),
                                 Context(call, leg.key, purpose))

    def _finish(self, call: ActiveCall, outcome: CallOutcome) -> None:
        wall = clock.now()
        for leg in call.flow.legs:
            runtime = call.legs.get(leg.key)
            if runtime is not None and runtime.row_id is not None:
                self.store.change_leg(runtime.row_id, **cmd.ended_fields(leg, wall, self.now))
        self.store.end_call(call.claimed.id, outcome.to_json(), wall)
        self.calls.pop(call.claimed.id, None)
        asyncio.get_running_loop().call_later(LINGER_S, self._forget, call)

    def _forget(self, call: ActiveCall) -> None:
        for leg in call.legs.values():
            self.invites.pop(leg.sip_call_id, None)
            if leg.dialog is not None:
                self.dialogs.pop(leg.dialog.key, None)

    def let_go(self, call: ActiveCall) -> None:
        """Stop acting on ``call`` (sip.letgo): no timer, no transaction of its own."""
        call.let_go = True
        timer = self._timers.pop(call.claimed.id, None)
        if timer is not None:
            timer.cancel()
        self.calls.pop(call.claimed.id, None)
        if call.setting_up:
            call.setting_up = False
            self.setting_up -= 1
        asyncio.get_running_loop().call_later(LINGER_S, self._forget, call)

    def fail_unplaced(self, claimed: ClaimedCall, reason: str) -> None:
        """A call that cannot be placed at all (no account): it ends before any INVITE."""
        request = CallRequest.from_json(claimed.request)
        outcome = CallOutcome(False, False, Leg.A, LegResult.FAILED, request.a_numbers[0],
                              reason=reason)
        self.store.end_call(claimed.id, outcome.to_json(), clock.now())

    # -- what the transactions say -----------------------------------------------------

    def on_response(self, context: object, response: Response) -> None:
        if not isinstance(context, Context) or context.call.let_go:
            return  # a BYE or CANCEL of a call no longer held: nothing follows from it
        call, key = context.call, context.leg
        if context.purpose == "invite":
            self._invite_response(call, call.legs[key], response)
        elif context.purpose == "reinvite" and response.status >= 200:
            self._reinvite_response(call, call.legs[key], response)
        elif context.purpose == "bye" and response.status >= 200:
            self.execute(call, call.flow.on_bye_done(key, self.now))

    def on_timeout(self, context: object) -> None:
        if not isinstance(context, Context) or context.call.let_go:
            return
        call, key, flow = context.call, context.leg, context.call.flow
        if context.purpose == "invite":
            self._leg_final(call, key, None, "no response (Timer B)")
        elif context.purpose == "reinvite":
            self.execute(call, flow.on_reinvite_failed(key, None, "no response to the "
                                                                  "re-INVITE", self.now))
        elif context.purpose == "bye":
            self.execute(call, flow.on_bye_done(key, self.now))

    def _invite_response(self, call: ActiveCall, leg: LegRuntime, response: Response) -> None:
        flow, now = call.flow, self.now
        if response.status < 200:
            ringing = response.status >= 180
            if ringing and flow.leg(leg.key).ringing_at is None:
                self.update(leg, ringing_at=clock.now())
            self.execute(call, flow.on_provisional(leg.key, now, ringing=ringing))
        elif response.status < 300:
            self._answered(call, leg, response)
        elif response.status in (401, 407) and challenge.answer(self, call, leg, response):
            return
        else:
            self._leg_final(call, leg.key, response.status, response.reason)

    def _answered(self, call: ActiveCall, leg: LegRuntime, response: Response) -> None:
        try:
            dialog = Dialog.from_response(leg.invite, response)
        except DialogError as error:
            log.warning("a 2xx for %s makes no dialog (%s)", leg.sip_call_id, error)
            self._leg_final(call, leg.key, response.status, f"unusable 2xx: {error}")
            return
        leg.dialog, leg.ack_cseq = dialog, leg.invite.cseq[0]
        self.dialogs[dialog.key] = (call, leg.key)
        self.update(leg, answered_at=clock.now(), dialog=dialog.to_dict())
        self.execute(call, call.flow.on_answer(leg.key, response.body, self.now))

    def _reinvite_response(self, call: ActiveCall, leg: LegRuntime, response: Response) -> None:
        flow = call.flow
        if response.status >= 300:
            self.execute(call, flow.on_reinvite_failed(leg.key, response.status,
                                                       response.reason, self.now))
            return
        assert leg.dialog is not None
        leg.dialog.refresh_target(response)
        leg.ack_cseq = response.cseq[0]
        self.execute(call, flow.on_reinvite_answer(leg.key, response.body, self.now))

    def _leg_final(self, call: ActiveCall, key: str, code: int | None, reason: str | None) -> None:
        leg = call.legs[key]
        self.update(leg, status_code=code, reason=reason, ended_at=clock.now())
        self.execute(call, call.flow.on_final(key, code, reason, self.now,
                                              authenticated=leg.authenticated))

    def on_stray_response(self, response: Response) -> None:
        self.strays.on_response(response)

    def on_request(self, request: Request) -> Response | None:
        """A request from a phone in one of our dialogs (None: not ours)."""
        known = self.dialogs.get(request_dialog_key(request))
        if known is None:
            return None
        call, key = known
        answer = peer.answer(call.legs[key], call.flow.sdp_for_peer(key), request)
        if request.method == "BYE" and answer.status == 200 and not call.let_go:
            self.update(call.legs[key], hangup_by="peer")
            self.execute(call, call.flow.on_peer_bye(key, self.now))
        return answer

    def update(self, leg: LegRuntime, **fields: Any) -> None:
        if leg.row_id is not None:
            self.store.change_leg(leg.row_id, **fields)
