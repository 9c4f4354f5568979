"""Letting go of every call held when the lease lapses (sip.lease): another controller may
take them over any moment now, so none of them acts on its own again here (no timer, no
retransmitted INVITE, no INVITE to B). Each is ended as a taker would end it: answered
legs get a BYE, ringing ones a CANCEL (their retransmissions carry them should the link
come back soon; the taker sends its own, and a second BYE or CANCEL changes nothing), and
a late answer is ACKed and BYEd as a stray. Nothing is written: the taker (or this
controller, once back) records how each call ended."""

from __future__ import annotations

from sip.active import ActiveCall, Context, token
from sip.controller import Controller
from sip.strays import StrayContext
from sip.via import new_branch


def let_go_all(controller: Controller) -> int:
    """How many calls were let go."""
    held = list(controller.calls.values())
    for call in held:
        controller.let_go(call)
    endpoint = controller.endpoint
    assert endpoint is not None
    endpoint.abandon(lambda context: isinstance(context, Context) and context.call.let_go)
    for call in held:
        _hang_up(controller, call)
    return len(held)


def _hang_up(controller: Controller, call: ActiveCall) -> None:
    assert controller.endpoint is not None
    for leg in call.legs.values():
        if call.flow.leg(leg.key).ended_at is not None:
            continue
        if leg.dialog is not None:
            bye = leg.dialog.request("BYE", branch=new_branch(token()))
            controller.endpoint.request(bye, leg.dialog.next_hop(), StrayContext())
        elif leg.sent:
            controller.strays.adopt(leg.invite, cancel=True)
