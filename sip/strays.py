"""Responses no held call is waiting for: a 2xx again after its ACK was lost (ACKed again),
a 2xx from a second fork (ACKed and ended), and answers to INVITEs a dead controller (or
this one, before it let its calls go) sent and this one adopted (CANCELled while they
ring, ACKed and ended if they answer, ACKed if they fail)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sip.active import token
from sip.address import parse_uri
from sip.builders import build_cancel, build_non2xx_ack
from sip.codec import Request, Response
from sip.dialog import Dialog, DialogError, response_dialog_key
from sip.endpoint import Endpoint
from sip.routing import Hop
from sip.via import new_branch

if TYPE_CHECKING:
    from sip.controller import Controller

# An adopted INVITE may still be answered within its ring time.
ORPHAN_KEPT_S = 120.0


@dataclass(frozen=True)
class StrayContext:
    """A BYE or CANCEL for a dialog no call holds: its answer changes nothing."""


class Strays:
    def __init__(self, controller: Controller) -> None:
        self.controller = controller
        self.orphans: dict[str, Request] = {}  # adopted INVITEs by Call-ID
        self.cancelled: set[str] = set()

    def _endpoint(self) -> Endpoint:
        assert self.controller.endpoint is not None
        return self.controller.endpoint

    def on_response(self, response: Response) -> None:
        if response.cseq[1] != "INVITE":
            return
        if response.status < 200:
            self._cancel(response.call_id)
            return
        if response.status >= 300:
            # A final answer to an INVITE of ours whose transaction was let go: ACKed (the
            # transaction's job), or the trunk keeps sending it.
            orphan = self.orphans.get(response.call_id)
            if orphan is not None:
                self._endpoint().send(build_non2xx_ack(orphan, response), hop_of(orphan))
            return
        known = self.controller.dialogs.get(response_dialog_key(response))
        if known is not None:
            dialog = known[0].legs[known[1]].dialog
            ack = dialog.ack_for_retransmission(response) if dialog else None
            if ack is not None and dialog is not None:
                self._endpoint().send(ack, dialog.next_hop())
            return
        found = self.controller.invites.get(response.call_id)
        if found is not None:
            self.end(found[0].legs[found[1]].invite, response)
        elif response.call_id in self.orphans:
            self.end(self.orphans[response.call_id], response)

    def end(self, invite: Request, response: Response) -> None:
        """ACK a 2xx nobody wants (without media) and BYE its dialog."""
        try:
            dialog = Dialog.from_response(invite, response)
        except DialogError:
            return
        self._endpoint().send(dialog.ack(invite.cseq[0], branch=new_branch(token())),
                              dialog.next_hop())
        bye = dialog.request("BYE", branch=new_branch(token()))
        self._endpoint().request(bye, dialog.next_hop(), StrayContext())

    def adopt(self, invite: Request, *, cancel: bool) -> None:
        """An INVITE a dead controller sent and no call holds now: its phone must stop
        ringing (a CANCEL now, or on its next provisional) and a late answer is ended."""
        self.orphans[invite.call_id] = invite
        if cancel:
            self._cancel(invite.call_id)
        asyncio.get_running_loop().call_later(
            ORPHAN_KEPT_S, lambda: self.orphans.pop(invite.call_id, None))

    def _cancel(self, sip_call_id: str) -> None:
        invite = self.orphans.get(sip_call_id)
        if invite is not None and sip_call_id not in self.cancelled:
            self.cancelled.add(sip_call_id)
            self._endpoint().request(build_cancel(invite), hop_of(invite), StrayContext())


def hop_of(invite: Request) -> Hop:
    """Where an INVITE went: the host of its Request-URI (the trunk, for ours)."""
    uri = parse_uri(invite.uri)
    return Hop(uri.host, uri.port, (invite.top_via.transport or "UDP").upper())
