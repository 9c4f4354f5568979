from __future__ import annotations

import pytest

from sip.message import Request
from sip.transaction import (
    ClientInviteState,
    ClientInviteTransaction,
    ClientNonInviteState,
    ClientNonInviteTransaction,
    PassUp,
    Send,
    Terminated,
    TimedOut,
    Timers,
    client_key,
    server_key,
)
from tests.unit.sip_factory import request, response
from tests.unit.sip_timing import run_timers, send_times


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
    assert tx.ack is not None
    assert actions == [Send(tx.ack), PassUp(busy), Terminated()]
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
