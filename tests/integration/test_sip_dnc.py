"""Do-not-call lists checked by the SIP controller right before each INVITE leaves: B is
invited only once A answers, perhaps a minute after the try was placed, and a number
listed meanwhile is never sent an INVITE (from the phone's own message trace); the agent
who answered gets a BYE, and the task ends naming the list."""

from __future__ import annotations

import sqlalchemy as sa

from models import clock
from models.storage.repository import dnc_repo
from tests.integration.sip_rig import A1, B, SipRig, sip_rig
from tests.integration.test_core_flow import CLIENT_ID
from tests.integration.test_sip_calls import methods, phones, settled

__all__ = ["sip_rig"]

A_RINGS_MS = 6000


def listed(engine: sa.Engine, number: str) -> None:
    with engine.begin() as conn:
        dnc_repo.add_entries(conn, CLIENT_ID, [number], None, clock.now())


def test_b_listed_while_a_rings_is_never_invited_and_a_gets_a_bye(sip_rig: SipRig) -> None:
    peers = phones(sip_rig, a1="a_ring_answer.xml", b="b_answer.xml", pause_ms=A_RINGS_MS,
                   sip_a_ring_timeout_s=30)
    (task_id,) = sip_rig.place({"a_number": A1, "b_number": B, "try_count": 3})
    peers["a1"].wait_for(lambda ms: any(m.method == "INVITE" for m in ms), 10, "A's INVITE")
    listed(sip_rig.engine, B)  # while A rings; B would be invited once A answers

    task = sip_rig.finished(task_id, timeout_s=30)
    assert (task.finish_result, task.finish_comment) == ("failed", (
        f"do-not-call: B number {B} is on the client's do-not-call list on try 1 of 3"))
    assert "BYE" in methods(settled(peers["a1"]))  # the agent who answered is hung up on
    assert peers["b"].messages() == []  # B's phone never saw a thing
    (a_leg,) = sip_rig.legs(task_id)  # no row for B: no INVITE was ever sent it
    assert (a_leg.leg, a_leg.hangup_by) == ("A", "ringback")
    assert sip_rig.call(task_id).outcome["refusal"] == task.finish_comment.removesuffix(
        " on try 1 of 3")
