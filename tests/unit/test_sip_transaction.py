from __future__ import annotations

from typing import Protocol

import pytest

from sip.message import Request
from sip.transaction import (
    Action,
    ClientInviteState,
    ClientInviteTransaction,
    ClientNonInviteState,
    ClientNonInviteTransaction,
    Invite2xxRetransmitter,
    PassUp,
    Send,
    ServerInviteState,
    ServerInviteTransaction,
    ServerNonInviteState,
    ServerNonInviteTransaction,
    Terminated,
    TimedOut,
    Timers,
    client_key,
    server_key,
)
from tests.unit.sip_factory import request, response


class TimerDriven(Protocol):
    def next_deadline(self) -> float | None: ...
    def on_timer(self, now: float) -> list[Action]: ...


def run_timers(machine: TimerDriven, until: float) -> list[tuple[float, list[Action]]]:
    """Fire every deadline up to ``until``, as an event loop would: (when, actions) pairs."""
    fired: list[tuple[float, list[Action]]] = []
    while (deadline := machine.next_deadline()) is not None and deadline <= until:
        fired.append((deadline, machine.on_timer(deadline)))
    return fired


def send_times(fired: list[tuple[float, list[Action]]]) -> list[float]:
    return [when for when, actions in fired if any(isinstance(a, Send) for a in actions)]


def test_invite_over_udp_retransmits_doubling_then_times_out_at_64_t1() -> None:
    invite = request("INVITE")
    tx = ClientInviteTransaction(invite, reliable=False)
    assert tx.start(0.0) == [Send(invite)]
    fired = run_timers(tx, until=100.0)
    assert send_times(fired) == [0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    assert fired[-1] == (32.0, [TimedOut(), Terminated()])
    assert tx.state is ClientInviteState.TERMINATED
    assert tx.next_deadline() is None


def test_a_short_t1_makes_timer_b_fast() -> None:
    tx = ClientInviteTransaction(request("INVITE"), reliable=False, timers=Timers(t1=0.01))
    tx.start(10.0)
    fired = run_timers(tx, until=11.0)
    assert fired[-1][0] == pytest.approx(10.64)
    assert fired[-1][1] == [TimedOut(), Terminated()]


def test_invite_over_tcp_is_not_retransmitted() -> None:
    tx = ClientInviteTransaction(request("INVITE"), reliable=True)
    tx.start(0.0)
    assert tx.next_deadline() == 32.0
    assert run_timers(tx, until=40.0) == [(32.0, [TimedOut(), Terminated()])]


def test_a_provisional_stops_retransmission_and_timer_b() -> None:
    invite = request("INVITE")
    tx = ClientInviteTransaction(invite, reliable=False)
    tx.start(0.0)
    assert tx.on_timer(0.5) == [Send(invite)]
    ringing = response(invite, 180)
    assert tx.on_response(ringing, 0.7) == [PassUp(ringing)]
    assert tx.state is ClientInviteState.PROCEEDING
    assert tx.next_deadline() is None
    assert tx.on_timer(100.0) == []
    assert tx.on_response(ringing, 1.0) == [PassUp(ringing)]


def test_a_non_2xx_final_is_acked_and_re_acked_then_timer_d_ends_it() -> None:
    invite = request("INVITE")
    tx = ClientInviteTransaction(invite, reliable=False)
    tx.start(0.0)
    busy = response(invite, 486, to_tag="busy1")
    actions = tx.on_response(busy, 2.0)
    assert tx.ack is not None
    assert actions == [Send(tx.ack), PassUp(busy)]
    assert tx.ack.method == "ACK"
    assert tx.ack.top_via.branch == "z9hG4bKtx1"
    assert tx.ack.to.tag == "busy1"
    assert tx.state is ClientInviteState.COMPLETED
    assert tx.next_deadline() == 34.0
    assert tx.on_response(busy, 3.0) == [Send(tx.ack)]
    assert tx.on_response(response(invite, 200), 4.0) == []
    assert run_timers(tx, until=100.0) == [(34.0, [Terminated()])]


def test_timer_d_is_zero_on_a_reliable_transport() -> None:
    invite = request("INVITE")
    tx = ClientInviteTransaction(invite, reliable=True)
    tx.start(0.0)
    busy = response(invite, 603)
    actions = tx.on_response(busy, 1.0)
    assert actions == [Send(tx.ack), PassUp(busy), Terminated()]  # type: ignore[arg-type]
    assert tx.state is ClientInviteState.TERMINATED
    assert tx.next_deadline() is None


def test_a_2xx_terminates_and_is_passed_up() -> None:
    invite = request("INVITE")
    tx = ClientInviteTransaction(invite, reliable=False)
    tx.start(0.0)
    tx.on_response(response(invite, 183), 0.2)
    ok = response(invite, 200)
    assert tx.on_response(ok, 3.0) == [PassUp(ok), Terminated()]
    assert tx.state is ClientInviteState.TERMINATED
    assert tx.next_deadline() is None
    # A retransmitted 2xx no longer matches: it goes to the core (see sip.dialog).
    assert tx.on_response(ok, 3.5) == []


def test_client_transactions_refuse_the_wrong_method() -> None:
    with pytest.raises(ValueError, match="INVITE"):
        ClientInviteTransaction(request("BYE"), reliable=False)
    with pytest.raises(ValueError, match="ACK"):
        ClientNonInviteTransaction(request("ACK"), reliable=False)


def test_non_invite_timer_e_doubles_up_to_t2_then_timer_f() -> None:
    bye = request("BYE", cseq=2)
    tx = ClientNonInviteTransaction(bye, reliable=False)
    assert tx.start(0.0) == [Send(bye)]
    fired = run_timers(tx, until=100.0)
    assert send_times(fired) == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert fired[-1] == (32.0, [TimedOut(), Terminated()])
    assert tx.state is ClientNonInviteState.TERMINATED


def test_non_invite_retransmits_every_t2_once_proceeding() -> None:
    options = request("OPTIONS")
    tx = ClientNonInviteTransaction(options, reliable=False)
    tx.start(0.0)
    trying = response(options, 100)
    assert tx.on_response(trying, 0.2) == [PassUp(trying)]
    assert tx.state is ClientNonInviteState.PROCEEDING
    fired = run_timers(tx, until=20.0)
    assert send_times(fired) == [0.5, 4.5, 8.5, 12.5, 16.5]


def test_non_invite_final_waits_timer_k_and_absorbs_retransmissions() -> None:
    bye = request("BYE", cseq=2)
    tx = ClientNonInviteTransaction(bye, reliable=False)
    tx.start(0.0)
    ok = response(bye, 200)
    assert tx.on_response(ok, 1.0) == [PassUp(ok)]
    assert tx.state is ClientNonInviteState.COMPLETED
    assert tx.on_response(ok, 1.2) == []
    assert run_timers(tx, until=100.0) == [(6.0, [Terminated()])]


def test_non_invite_over_tcp_ends_at_the_final_response() -> None:
    bye = request("BYE", cseq=2)
    tx = ClientNonInviteTransaction(bye, reliable=True)
    tx.start(0.0)
    assert tx.next_deadline() == 32.0
    ok = response(bye, 481)
    assert tx.on_response(ok, 1.0) == [PassUp(ok), Terminated()]
    assert tx.next_deadline() is None


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


def test_client_key_matches_a_response_to_its_request() -> None:
    invite = request("INVITE")
    assert client_key(invite) == ("z9hG4bKtx1", "INVITE")
    assert client_key(response(invite, 180)) == client_key(invite)
    cancel = request("CANCEL")
    assert client_key(cancel) != client_key(invite)


def test_server_key_matches_ack_and_cancel_to_their_invite() -> None:
    invite = request("INVITE")
    assert server_key(invite) == ("z9hG4bKtx1", "192.0.2.10", 5060, "INVITE")
    assert server_key(request("ACK")) == server_key(invite)
    assert server_key(request("CANCEL"), method="INVITE") == server_key(invite)
    assert server_key(request("CANCEL")) != server_key(invite)
    other_host = request("INVITE")
    other_host.headers.set("Via", "SIP/2.0/UDP 192.0.2.11;branch=z9hG4bKtx1")
    assert server_key(other_host) != server_key(invite)
    default_port = request("INVITE")
    default_port.headers.set("Via", "SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKtx1")
    assert server_key(default_port) == server_key(invite)


def test_server_key_for_rfc2543_branches() -> None:
    old: Request = request("INVITE", branch="1")
    key = server_key(old)
    assert key[0].startswith("3c26700c2f8b4e0d@192.0.2.10|local1|1|")
    assert server_key(request("ACK", branch="1")) == key
    assert server_key(request("INVITE", branch="1", cseq=2)) != key
