"""Server transactions and the UAS core's 2xx retransmission."""

from __future__ import annotations

import pytest

from sip.transaction import (
    Invite2xxRetransmitter,
    Send,
    ServerInviteState,
    ServerInviteTransaction,
    ServerNonInviteState,
    ServerNonInviteTransaction,
    Terminated,
    TimedOut,
    Timers,
)
from tests.unit.sip_factory import request, response
from tests.unit.sip_timing import run_timers, send_times


def test_server_non_invite_absorbs_retransmissions_until_timer_j() -> None:
    bye = request("BYE", cseq=5)
    tx = ServerNonInviteTransaction(bye, reliable=False)
    assert tx.on_request(bye, 0.0) == []
    ok = response(bye, 200)
    assert tx.respond(ok, 0.1) == [Send(ok)]
    assert tx.state is ServerNonInviteState.COMPLETED
    assert tx.on_request(bye, 1.0) == [Send(ok)]
    [(when, actions)] = run_timers(tx, until=100.0)
    assert when == pytest.approx(32.1)
    assert actions == [Terminated()]
    assert tx.on_request(bye, 40.0) == []
    with pytest.raises(ValueError, match="cannot send"):
        tx.respond(ok, 41.0)


def test_server_non_invite_resends_its_provisional() -> None:
    options = request("OPTIONS")
    tx = ServerNonInviteTransaction(options, reliable=True)
    trying = response(options, 100)
    assert tx.respond(trying, 0.0) == [Send(trying)]
    assert tx.on_request(options, 0.5) == [Send(trying)]
    ok = response(options, 200)
    assert tx.respond(ok, 1.0) == [Send(ok), Terminated()]


def test_server_invite_retransmits_a_failure_until_the_ack() -> None:
    reinvite = request("INVITE", cseq=3)
    tx = ServerInviteTransaction(reinvite, reliable=False)
    refused = response(reinvite, 488)
    assert tx.respond(refused, 0.0) == [Send(refused)]
    assert tx.on_request(reinvite, 0.2) == [Send(refused)]
    fired = run_timers(tx, until=8.0)
    assert send_times(fired) == [0.5, 1.5, 3.5, 7.5]
    ack = request("ACK", cseq=3)
    assert tx.on_request(ack, 9.0) == []
    assert tx.state is ServerInviteState.CONFIRMED
    assert tx.on_request(reinvite, 9.5) == []
    assert run_timers(tx, until=100.0) == [(14.0, [Terminated()])]


def test_server_invite_times_out_without_ack() -> None:
    reinvite = request("INVITE", cseq=3)
    tx = ServerInviteTransaction(reinvite, reliable=False)
    tx.respond(response(reinvite, 500), 0.0)
    fired = run_timers(tx, until=100.0)
    assert send_times(fired) == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert fired[-1] == (32.0, [TimedOut(), Terminated()])


def test_server_invite_over_tcp_ends_at_the_ack() -> None:
    reinvite = request("INVITE", cseq=3)
    tx = ServerInviteTransaction(reinvite, reliable=True)
    tx.respond(response(reinvite, 486), 0.0)
    assert tx.next_deadline() == 32.0
    assert tx.on_request(request("ACK", cseq=3), 0.3) == [Terminated()]


def test_server_invite_2xx_hands_over_to_the_core() -> None:
    reinvite = request("INVITE", cseq=3)
    tx = ServerInviteTransaction(reinvite, reliable=False)
    ringing = response(reinvite, 180)
    assert tx.respond(ringing, 0.0) == [Send(ringing)]
    assert tx.on_request(reinvite, 0.1) == [Send(ringing)]
    ok = response(reinvite, 200)
    assert tx.respond(ok, 0.2) == [Send(ok), Terminated()]
    assert tx.state is ServerInviteState.TERMINATED
    with pytest.raises(ValueError, match="cannot send"):
        tx.respond(ok, 0.3)


def test_2xx_retransmitter_runs_until_the_ack() -> None:
    reinvite = request("INVITE", cseq=3)
    ok = response(reinvite, 200)
    sender = Invite2xxRetransmitter(ok)
    assert sender.start(0.0) == [Send(ok)]
    fired = run_timers(sender, until=8.0)
    assert send_times(fired) == [0.5, 1.5, 3.5, 7.5]
    ack = request("ACK", branch="z9hG4bKnew", cseq=3)
    ack.headers.set("To", ok.headers.get("To") or "")
    assert sender.matches_ack(ack)
    assert not sender.matches_ack(request("ACK", cseq=3))  # no To tag
    assert not sender.matches_ack(reinvite)
    assert sender.on_ack(9.0) == [Terminated()]
    assert sender.finished
    assert sender.next_deadline() is None
    assert sender.on_ack(9.5) == []


def test_2xx_retransmitter_gives_up_at_64_t1() -> None:
    ok = response(request("INVITE", cseq=3), 200)
    sender = Invite2xxRetransmitter(ok, timers=Timers(t1=0.5, t2=4.0))
    sender.start(0.0)
    fired = run_timers(sender, until=100.0)
    assert send_times(fired)[-1] == 31.5
    assert fired[-1] == (32.0, [TimedOut(), Terminated()])
    with pytest.raises(ValueError, match="2xx"):
        Invite2xxRetransmitter(response(request("INVITE"), 180))
