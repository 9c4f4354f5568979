"""Real calls: `ringback sip` places each try by third-party call control (RFC 3725 flow
III) through a kamailio trunk to sipp phones. Each test checks both sides: the try's
outcome in Ringback, and what the phones saw (their statistics or message trace)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.sip_rig import A1, A2, QUICK, B, SipRig, sip_rig
from tests.sip.peers import Sipp

__all__ = ["sip_rig"]


def phones(rig: SipRig, *, a1: str, b: str | None = None, a2: str | None = None,
           pause_ms: int | None = None, b_pause_ms: int | None = None,
           **controller: Any) -> dict[str, Sipp]:
    """Start the phones, a kamailio routing to them, and the controller behind it."""
    started = {"a1": rig.peers.uas(a1, name="a1", pause_ms=pause_ms)}
    if a2 is not None:
        started["a2"] = rig.peers.uas(a2, name="a2", pause_ms=pause_ms)
    if b is not None:
        started["b"] = rig.peers.uas(b, name="b", pause_ms=b_pause_ms)
    routes = {"+15550001": started["a1"].address, "+1555999": (started.get("b") or
                                                               started["a1"]).address}
    if a2 is not None:
        routes["+15550002"] = started["a2"].address
    trunk = rig.peers.kamailio(routes)
    rig.start_controller(trunk.address, **{**QUICK, **controller})
    return started


def methods(phone: Sipp, direction: str = "received") -> list[str]:
    return [m.method or str(m.status) for m in phone.messages() if m.direction == direction]


def settled(phone: Sipp) -> Sipp:
    """The phone after it ended its call: its statistics are final once it stopped."""
    phone.wait_for(lambda ms: phone.stats().current == 0 and phone.stats().created > 0, 15,
                   "its call to end")
    phone.stop()
    return phone


def test_a_answers_b_answers_and_a_hangs_up(sip_rig: SipRig) -> None:
    peers = phones(sip_rig, a1="a_answer_hangup.xml", b="b_answer.xml", pause_ms=1000)
    (task_id,) = sip_rig.place({"a_number": A1, "b_number": B})
    task = sip_rig.finished(task_id)
    assert (task.finish_result, task.finish_comment) == (
        "success", "A and B connected on try 1 of 1")
    call = sip_rig.call(task_id)
    assert task.cdr == call.uuid and call.status == "ended"
    assert 0.9 <= call.outcome["talk_seconds"] <= 3
    a, b = sip_rig.legs(task_id)
    assert (a.leg, a.hangup_by, b.leg, b.hangup_by) == ("A", "peer", "B", "ringback")
    assert a.answered_at < b.answered_at < b.ended_at
    assert "BYE" in methods(settled(peers["b"]))  # B was hung up on
    for phone in (peers["a1"], peers["b"]):
        assert (phone.stats().successful, phone.stats().failed) == (1, 0), phone.errors()
        assert set(phone.invite_transactions().values()) == {1}


def test_b_hangs_up_and_a_gets_the_bye(sip_rig: SipRig) -> None:
    peers = phones(sip_rig, a1="a_answer.xml", b="b_answer_hangup.xml", b_pause_ms=500)
    (task_id,) = sip_rig.place({"a_number": A1, "b_number": B})
    assert sip_rig.finished(task_id).finish_result == "success"
    a, b = sip_rig.legs(task_id)
    assert (a.hangup_by, b.hangup_by) == ("ringback", "peer")
    assert "BYE" in methods(settled(peers["a1"]))
    assert settled(peers["b"]).stats().successful == 1, peers["b"].errors()
    assert peers["a1"].stats().successful == 1, peers["a1"].errors()


@pytest.mark.parametrize(("scenario", "comment"), [
    ("a_busy.xml", "A leg busy: 486 Busy Here"), ("a_decline.xml", "A leg rejected: 603"),
    ("a_unavailable.xml", "A leg no_answer: 480"),
    ("a_not_found.xml", "A leg failed: 404 Not Found"),
])
def test_a_busy_rejected_unavailable_and_not_found(
    sip_rig: SipRig, scenario: str, comment: str
) -> None:
    peers = phones(sip_rig, a1=scenario)
    (task_id,) = sip_rig.place({"a_number": A1, "b_number": B})
    task = sip_rig.finished(task_id)
    assert task.finish_result == "failed"
    assert task.finish_comment.startswith(comment), task.finish_comment
    assert task.finish_comment.endswith(f"({A1}) on try 1 of 1")
    assert peers["a1"].invites_per_number() == {A1: 1}  # and B was never called
    assert settled(peers["a1"]).stats().successful == 1, peers["a1"].errors()


def test_a_ringing_past_its_timeout_is_cancelled(sip_rig: SipRig) -> None:
    peers = phones(sip_rig, a1="a_ring_forever.xml", sip_a_ring_timeout_s=2)
    (task_id,) = sip_rig.place({"a_number": A1, "b_number": B})
    task = sip_rig.finished(task_id)
    assert task.finish_comment.startswith("A leg no_answer: 487"), task.finish_comment
    (leg,) = sip_rig.legs(task_id)
    assert leg.status_code == 487 and leg.ringing_at is not None
    assert (leg.ended_at - leg.invite_at).total_seconds() >= 2
    phone = settled(peers["a1"])
    assert "CANCEL" in methods(phone) and phone.stats().successful == 1


def test_the_first_of_two_a_numbers_to_answer_wins_and_the_other_is_cancelled(
    sip_rig: SipRig,
) -> None:
    peers = phones(sip_rig, a1="a_answer_hangup.xml", a2="a_ring_forever.xml",
                   b="b_answer.xml", pause_ms=500)
    (task_id,) = sip_rig.place({"a_number": A1, "b_number": B,
                                "callback_params": {"extended_a_numbers": [A2]}})
    assert sip_rig.finished(task_id).finish_result == "success"
    loser = settled(peers["a2"])
    cancels = [m for m in loser.messages() if m.method == "CANCEL"]
    assert len(cancels) == 1
    assert cancels[0].header("Reason") == 'SIP;cause=200;text="Call completed elsewhere"'
    assert loser.stats().successful == 1, loser.errors()
    assert {leg.number: leg.status_code for leg in sip_rig.legs(task_id)} == {
        A1: 200, A2: 487, B: 200}


def test_a_200_crossing_our_cancel_is_acked_then_ended(sip_rig: SipRig) -> None:
    peers = phones(sip_rig, a1="a_answer_hangup.xml", a2="a_answer_on_cancel.xml",
                   b="b_answer.xml", pause_ms=500)
    (task_id,) = sip_rig.place({"a_number": A1, "b_number": B,
                                "callback_params": {"extended_a_numbers": [A2]}})
    assert sip_rig.finished(task_id).finish_result == "success"
    crossed = settled(peers["a2"])
    assert methods(crossed)[-3:] == ["CANCEL", "ACK", "BYE"] or {"ACK", "BYE"} <= set(
        methods(crossed))
    assert crossed.stats().successful == 1, crossed.errors()


def test_when_every_a_number_fails_the_first_one_is_the_reason(sip_rig: SipRig) -> None:
    phones(sip_rig, a1="a_not_found.xml", a2="a_busy.xml")
    (task_id,) = sip_rig.place({"a_number": A1, "b_number": B,
                                "callback_params": {"extended_a_numbers": [A2]}})
    task = sip_rig.finished(task_id)
    assert task.finish_comment == f"A leg failed: 404 Not Found ({A1}) on try 1 of 1"
    assert {leg.number: leg.status_code for leg in sip_rig.legs(task_id)} == {A1: 404, A2: 486}


def test_b_busy_ends_a_with_a_bye(sip_rig: SipRig) -> None:
    peers = phones(sip_rig, a1="a_answer.xml", b="b_busy.xml")
    (task_id,) = sip_rig.place({"a_number": A1, "b_number": B})
    task = sip_rig.finished(task_id)
    assert task.finish_comment == f"B leg busy: 486 Busy Here ({B}) on try 1 of 1"
    assert "BYE" in methods(settled(peers["a1"]))
    assert peers["a1"].stats().successful == 1, peers["a1"].errors()


def test_b_ringing_out_is_cancelled_and_a_ended(sip_rig: SipRig) -> None:
    peers = phones(sip_rig, a1="a_answer.xml", b="b_ring_forever.xml", sip_b_ring_timeout_s=2)
    (task_id,) = sip_rig.place({"a_number": A1, "b_number": B})
    task = sip_rig.finished(task_id)
    assert task.finish_comment.startswith("B leg no_answer: 487"), task.finish_comment
    assert "CANCEL" in methods(settled(peers["b"]))
    assert "BYE" in methods(settled(peers["a1"]))


def test_a_hanging_up_while_b_rings_cancels_b(sip_rig: SipRig) -> None:
    peers = phones(sip_rig, a1="a_answer_hangup_early.xml", b="b_ring_forever.xml",
                   pause_ms=1000)
    (task_id,) = sip_rig.place({"a_number": A1, "b_number": B})
    task = sip_rig.finished(task_id)
    assert "A hung up while B rang" in task.finish_comment
    assert task.finish_result == "failed"
    assert "CANCEL" in methods(settled(peers["b"]))
    assert settled(peers["a1"]).stats().successful == 1, peers["a1"].errors()


def test_no_peer_at_all_is_timer_b(sip_rig: SipRig) -> None:
    from tests import support

    sip_rig.start_controller(f"127.0.0.1:{support.free_port()}", sip_t1_s=0.05)
    (task_id,) = sip_rig.place({"a_number": A1, "b_number": B})
    task = sip_rig.finished(task_id)
    assert task.finish_comment == f"A leg failed: no response (Timer B) ({A1}) on try 1 of 1"
    (leg,) = sip_rig.legs(task_id)
    assert 3.0 <= (leg.ended_at - leg.invite_at).total_seconds() < 10  # 64 * T1 = 3.2 s


def test_a_200_retransmitted_after_a_lost_ack_is_acked_again(sip_rig: SipRig) -> None:
    peers = phones(sip_rig, a1="a_answer_twice.xml", b="b_answer_hangup.xml",
                   b_pause_ms=500)
    (task_id,) = sip_rig.place({"a_number": A1, "b_number": B})
    assert sip_rig.finished(task_id).finish_result == "success"
    phone = settled(peers["a1"])
    acks = [m for m in phone.messages() if m.direction == "received" and m.method == "ACK"
            and m.cseq == "1 ACK"]
    assert len(acks) == 2 and phone.stats().successful == 1, phone.errors()


def test_garbage_from_a_peer_is_dropped_and_the_call_goes_on(sip_rig: SipRig) -> None:
    phone = sip_rig.peers.uas("a_garbage.xml", name="a1")
    sip_rig.start_controller(phone.address)  # no proxy between: the garbage reaches us
    (task_id,) = sip_rig.place({"a_number": A1, "b_number": B})
    task = sip_rig.finished(task_id)
    assert task.finish_comment.startswith("A leg busy: 486"), task.finish_comment
    assert settled(phone).stats().successful == 1
    assert sip_rig.stack is not None
    sip_rig.stack.check_alive()
    assert "Traceback" not in sip_rig.log()


def test_a_phone_refreshing_its_session_gets_the_description_it_had(sip_rig: SipRig) -> None:
    peers = phones(sip_rig, a1="a_refresh_hangup.xml", b="b_answer.xml", pause_ms=500)
    (task_id,) = sip_rig.place({"a_number": A1, "b_number": B})
    assert sip_rig.finished(task_id).finish_result == "success"
    phone = settled(peers["a1"])
    assert phone.stats().successful == 1, phone.errors()  # its checks of our 200 held
    answers = [m for m in phone.messages() if m.direction == "received"
               and m.status == 200 and m.cseq == "1 INVITE"]
    reinvite = next(m for m in phone.messages() if m.direction == "received"
                    and m.method == "INVITE" and m.cseq == "2 INVITE")
    assert answers and answers[0].body == reinvite.body  # the same description, unchanged
    assert "BYE" in methods(settled(peers["b"]))
