"""The SIP test peers proven sipp-to-sipp: each UAS scenario driven by a test UAC, directly and
through the kamailio trunk. A missing sipp or kamailio fails these tests; none is skipped."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sip.peers import (
    SCENARIOS,
    DigestAuth,
    Kamailio,
    PeerError,
    SipMessage,
    Sipp,
    SipPeers,
    invite_transactions,
    invites_per_number,
    parse_trace,
)

NUMBER = "+15550001001"
CALL_TIMEOUT_S = 10.0
# Longer than any test should last: a UAC that pauses this long must be hung up on first.
NEVER_MS = 8000
REALM = "ringback.test"


@pytest.fixture
def peers(tmp_path: Path) -> Iterator[SipPeers]:
    with SipPeers(tmp_path) as started:
        yield started


def finish(*sipps: Sipp) -> None:
    """Waits for each sipp to end its calls; each must have succeeded (exit code 0)."""
    for sipp in sipps:
        code = sipp.wait(CALL_TIMEOUT_S)
        assert code == 0, f"{sipp.name} exited {code}: {sipp.stats()}\n{sipp.errors()}"


def call(
    peers: SipPeers, uas_scenario: str, uac_scenario: str, *, uas_pause_ms: int | None = None,
    uac_pause_ms: int | None = None, calls: int = 1,
) -> tuple[Sipp, Sipp]:
    uas = peers.uas(uas_scenario, calls=calls, pause_ms=uas_pause_ms)
    uac = peers.uac(uac_scenario, uas.address, NUMBER, calls=calls, pause_ms=uac_pause_ms,
                    rate_cps=100)
    finish(uac, uas)
    return uas, uac


def picked(sipp: Sipp, direction: str, start: str) -> list[SipMessage]:
    return [m for m in sipp.messages() if m.direction == direction
            and m.first_line.startswith(start)]


def test_a_missing_peer_fails_with_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PeerError, match=r"sipp is not installed: run scripts/install-sip-"):
        Sipp("a_answer.xml", tmp_path)
    with pytest.raises(PeerError, match="kamailio is not installed"):
        Kamailio(tmp_path, {}).start()


def test_every_uas_scenario_loads(peers: SipPeers) -> None:
    scenarios = sorted(p.name for p in SCENARIOS.glob("[ab]_*.xml"))
    assert len(scenarios) >= 15
    for scenario in scenarios:
        peers.uas(scenario).stop()


def test_a_answers_with_an_offer_and_takes_the_reinvite(peers: SipPeers) -> None:
    uas, uac = call(peers, "a_answer.xml", "uac_a.xml", uac_pause_ms=50)
    assert uac.statuses() == [180, 200, 200]
    answers = [m for m in uac.messages() if m.status == 200 and m.cseq_method == "INVITE"]
    assert [m.cseq for m in answers] == ["1 INVITE", "2 INVITE"]
    assert all("o=sippA" in m.body for m in answers)
    ack, ack2 = picked(uas, "received", "ACK")
    assert "c=IN IP4 0.0.0.0" in ack.body and "a=inactive" in ack.body and not ack2.body
    (reinvite,) = [m for m in uas.messages() if m.method == "INVITE" and m.to_tag]
    assert "o=sippB" in reinvite.body
    assert [m.method for m in picked(uas, "received", "BYE")] == ["BYE"]
    assert list(uas.invite_transactions().values()) == [1]


def test_a_answer_twice_sends_the_200_again_and_gets_a_second_ack(peers: SipPeers) -> None:
    uas, _ = call(peers, "a_answer_twice.xml", "uac_a.xml", uac_pause_ms=50)
    oks = [m for m in picked(uas, "sent", "SIP/2.0 200") if m.cseq == "1 INVITE"]
    assert len(oks) == 2 and oks[0].raw == oks[1].raw
    assert [m.cseq for m in picked(uas, "received", "ACK")] == ["1 ACK", "1 ACK", "2 ACK"]
    assert uas.stats().successful == 1


@pytest.mark.parametrize(
    ("scenario", "uac_scenario"),
    [("a_answer_hangup.xml", "uac_a.xml"), ("a_answer_hangup_early.xml", "uac_b.xml"),
     ("b_answer_hangup.xml", "uac_b.xml")],
)
def test_the_phone_hangs_up_itself(peers: SipPeers, scenario: str, uac_scenario: str) -> None:
    uas, uac = call(peers, scenario, uac_scenario, uas_pause_ms=100, uac_pause_ms=NEVER_MS)
    (bye,) = picked(uas, "sent", "BYE")
    assert bye.to_tag and bye.header("From") and bye.call_id == uac.messages()[0].call_id
    assert picked(uac, "sent", "SIP/2.0 200") and not picked(uac, "sent", "BYE")
    if scenario == "a_answer_hangup_early.xml":
        assert not [m for m in uas.messages() if m.method == "INVITE" and m.to_tag]


def test_b_answers_and_the_controller_hangs_up(peers: SipPeers) -> None:
    uas, uac = call(peers, "b_answer.xml", "uac_b.xml", uac_pause_ms=50)
    assert uac.statuses() == [180, 200]
    assert "o=sippB" in picked(uac, "received", "SIP/2.0 200")[0].body
    (ack,) = picked(uas, "received", "ACK")
    assert "o=sippA" in ack.body
    assert picked(uas, "received", "BYE")


def test_b_rings_for_the_pause_then_answers(peers: SipPeers) -> None:
    uas, _ = call(peers, "b_ring_then_answer.xml", "uac_b.xml", uas_pause_ms=300)
    (ringing,) = picked(uas, "sent", "SIP/2.0 180")
    answer = next(m for m in picked(uas, "sent", "SIP/2.0 200") if m.cseq == "1 INVITE")
    assert (answer.time - ringing.time).total_seconds() >= 0.3


@pytest.mark.parametrize(
    ("scenario", "status"),
    [("a_busy.xml", 486), ("a_decline.xml", 603), ("a_unavailable.xml", 480),
     ("a_not_found.xml", 404), ("b_busy.xml", 486)],
)
def test_a_failure_status_is_acked(peers: SipPeers, scenario: str, status: int) -> None:
    uas, uac = call(peers, scenario, "uac_b.xml")
    assert uac.statuses() == [status]
    assert [m.cseq for m in picked(uas, "received", "ACK")] == ["1 ACK"]


@pytest.mark.parametrize(
    ("scenario", "ring_ms"),
    [("a_ring_forever.xml", None), ("b_ring_forever.xml", None),
     ("b_ring_then_answer.xml", NEVER_MS)],
)
def test_a_cancel_ends_in_487(peers: SipPeers, scenario: str, ring_ms: int | None) -> None:
    uas, uac = call(peers, scenario, "uac_cancel.xml", uas_pause_ms=ring_ms, uac_pause_ms=50)
    assert uac.statuses() == [180, 487] and uac.statuses("CANCEL") == [200]
    (cancel,) = picked(uas, "received", "CANCEL")
    assert cancel.header("Reason") == 'SIP;cause=200;text="Call completed elsewhere"'
    (terminated,) = picked(uas, "sent", "SIP/2.0 487")
    assert terminated.cseq == "1 INVITE" and terminated.via_branch == cancel.via_branch
    assert [m.cseq for m in picked(uas, "received", "ACK")] == ["1 ACK"]


def test_an_answer_crossing_the_cancel_is_acked_and_hung_up(peers: SipPeers) -> None:
    uas, _ = call(peers, "a_answer_on_cancel.xml", "uac_cancel_crossed.xml", uac_pause_ms=50)
    sent = [(m.status, m.cseq) for m in uas.messages() if m.direction == "sent"]
    assert sent == [(180, "1 INVITE"), (200, "1 INVITE"), (200, "1 CANCEL"), (200, "2 BYE")]
    assert [m.method for m in uas.messages() if m.direction == "received"] == [
        "INVITE", "CANCEL", "ACK", "BYE"]


def test_garbage_is_sent_before_a_proper_486(peers: SipPeers) -> None:
    uas, uac = call(peers, "a_garbage.xml", "uac_b.xml")
    garbage, malformed, busy = [m for m in uas.messages() if m.direction == "sent"]
    assert garbage.first_line.startswith("GARBAGE") and malformed.call_id is None
    assert busy.status == 486 and uac.statuses() == [486]
    assert "non SIP message discarded" in uac.errors()


def test_a_call_that_breaks_flow_iii_fails_at_the_phone(peers: SipPeers) -> None:
    # sipp's built-in UAC offers SDP in the INVITE and ACKs without a body.
    phone = peers.uas("b_answer.xml", calls=1)
    finish(peers.uac("uac", phone.address, NUMBER))
    assert phone.wait(CALL_TIMEOUT_S) == 1
    assert phone.stats().failed == 1 and "regexp" in phone.errors()


def test_concurrent_calls_each_make_one_invite_transaction(peers: SipPeers) -> None:
    calls = 30
    uas, _ = call(peers, "a_answer.xml", "uac_a.xml", uac_pause_ms=300, calls=calls)
    assert uas.stats().successful == calls
    counts = uas.invite_transactions()
    assert len(counts) == calls and set(counts.values()) == {1}
    assert uas.invites_per_number() == {NUMBER: calls}
    assert max_open_calls(uas.messages()) > 1


def max_open_calls(messages: list[SipMessage]) -> int:
    """Most calls between their INVITE and their BYE at one time in the trace."""
    open_calls, peak = set(), 0
    for msg in messages:
        if msg.method == "INVITE" and msg.to_tag is None:
            open_calls.add(msg.call_id)
        elif msg.method == "BYE":
            open_calls.discard(msg.call_id)
        peak = max(peak, len(open_calls))
    return peak


def via_hosts(msg: SipMessage) -> list[str]:
    """The sent-by host:port of every Via, top first."""
    vias = [v.strip() for line in msg.headers("Via") for v in line.split(",")]
    return [v.split(" ", 1)[1].split(";", 1)[0] for v in vias]


def test_kamailio_routes_by_prefix_and_stays_in_the_dialog(peers: SipPeers) -> None:
    a_phone = peers.uas("a_answer.xml", calls=1)
    b_phone = peers.uas("b_answer.xml", calls=1)
    trunk = peers.kamailio({"+1555000": a_phone.address, "+1555": b_phone.address})
    a_leg = peers.uac("uac_a.xml", trunk.address, NUMBER, pause_ms=50)
    b_leg = peers.uac("uac_b.xml", trunk.address, "+15559002001", pause_ms=50)
    finish(a_leg, b_leg, a_phone, b_phone)
    assert a_phone.invites_per_number() == {NUMBER: 1}
    assert b_phone.invites_per_number() == {"+15559002001": 1}
    invite = a_phone.messages()[0]
    assert trunk.address in (invite.header("Record-Route") or "")
    # Record-route: the re-INVITE, both ACKs and the BYE came through the trunk too.
    in_dialog = [m for m in a_phone.messages() if m.direction == "received"][1:]
    assert [m.method for m in in_dialog] == ["ACK", "INVITE", "ACK", "BYE"]
    assert all(via_hosts(m)[0] == trunk.address for m in in_dialog)


@pytest.mark.parametrize(
    ("scenario", "uac_scenario", "statuses"),
    [("a_ring_forever.xml", "uac_cancel.xml", [100, 180, 487]),
     ("a_answer_on_cancel.xml", "uac_cancel_crossed.xml", [100, 180, 200]),
     ("a_answer_twice.xml", "uac_a.xml", [100, 180, 200, 200, 100, 200])],
)
def test_cancel_and_retransmitted_200_through_kamailio(
    peers: SipPeers, scenario: str, uac_scenario: str, statuses: list[int]
) -> None:
    phone = peers.uas(scenario, calls=1)
    trunk = peers.kamailio({"+1": phone.address})
    uac = peers.uac(uac_scenario, trunk.address, NUMBER, pause_ms=50)
    finish(uac, phone)
    assert uac.statuses() == statuses
    # Responses made after the CANCEL still carry the INVITE's Via lines back to the UAC.
    for msg in uac.messages():
        if msg.direction == "received":
            assert via_hosts(msg) == [uac.address], msg.raw
    assert list(phone.invite_transactions().values()) == [1]


def test_the_phone_hangs_up_through_kamailio(peers: SipPeers) -> None:
    phone = peers.uas("a_answer_hangup.xml", calls=1, pause_ms=100)
    trunk = peers.kamailio({"+1": phone.address})
    uac = peers.uac("uac_a.xml", trunk.address, NUMBER, pause_ms=NEVER_MS)
    finish(uac, phone)
    (bye,) = picked(phone, "sent", "BYE")
    assert bye.header("Route") == f"<sip:{trunk.address};lr;ftag={bye.to_tag}>"
    (relayed,) = picked(uac, "received", "BYE")
    assert via_hosts(relayed) == [trunk.address, phone.address]


@pytest.mark.parametrize(
    ("user", "password", "statuses"),
    [("alice", "secret", [407, 100, 180, 200]), ("alice", "wrong", [407, 403]),
     ("mallory", "secret", [407, 403])],
)
def test_kamailio_digest_auth(
    peers: SipPeers, user: str, password: str, statuses: list[int]
) -> None:
    phone = peers.uas("b_answer.xml")
    trunk = peers.kamailio({"+1": phone.address}, auth=DigestAuth(REALM, {"alice": "secret"}))
    uac = peers.uac("uac_b.xml", trunk.address, NUMBER, pause_ms=50, auth=(user, password))
    finish(uac)
    assert uac.statuses() == statuses
    challenge = next(m for m in uac.messages() if m.status == 407)
    assert f'realm="{REALM}"' in (challenge.header("Proxy-Authenticate") or "")
    invites = [m for m in uac.messages() if m.method == "INVITE"]
    assert [m.header("Proxy-Authorization") is None for m in invites] == [True, False]
    if statuses[-1] == 200:
        bye = phone.wait_for(lambda ms: any(m.method == "BYE" for m in ms), CALL_TIMEOUT_S, "BYE")
        assert bye[0].header("Proxy-Authorization") is None  # consumed by the trunk
    else:
        assert phone.messages() == []


def test_kamailio_can_challenge_a_wrong_password_again(peers: SipPeers) -> None:
    phone = peers.uas("b_answer.xml")
    auth = DigestAuth(REALM, {"alice": "secret"}, qop=False, wrong_password_status=407)
    trunk = peers.kamailio({"+1": phone.address}, auth=auth)
    uac = peers.uac("uac_b.xml", trunk.address, NUMBER, auth=("alice", "wrong"))
    finish(uac)
    assert uac.statuses() == [407, 407]
    assert "qop" not in (uac.messages()[1].header("Proxy-Authenticate") or "")
    assert phone.messages() == []


def test_tcp_to_kamailio_and_udp_to_the_phone(peers: SipPeers) -> None:
    phone = peers.uas("b_answer.xml", calls=1)
    trunk = peers.kamailio({"+1": phone.address})
    uac = peers.uac("uac_b.xml", trunk.address, NUMBER, pause_ms=50, transport="t1")
    finish(uac, phone)
    assert {m.transport for m in uac.messages()} == {"TCP"}
    assert {m.transport for m in phone.messages()} == {"UDP"}
    assert picked(phone, "received", "BYE")


def test_trace_parser_counts_transactions_not_retransmissions(tmp_path: Path) -> None:
    def entry(direction: str, first: str, call_id: str, branch: str, to_tag: str = "") -> str:
        tag = f";tag={to_tag}" if to_tag else ""
        # The body holds a line like the trace's separators: only the byte count ends it.
        msg = (f"{first}\r\nVia: SIP/2.0/UDP 127.0.0.1:5;branch={branch}\r\n"
               f"To: <sip:x@y>{tag}\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\n\r\n"
               f"v=0\r\n{'-' * 47}\r\n")
        size = len(msg)
        what = f"received [{size}] bytes :" if direction == "r" else f"sent ({size} bytes):"
        return f"{'-' * 47} 2026-01-02 03:04:05.000006\nUDP message {what}\n\n{msg}\n"

    invite = "INVITE sip:+1555@127.0.0.1:5 SIP/2.0"
    path = tmp_path / "t.log"
    path.write_text(
        entry("r", invite, "c1", "b1") + entry("r", invite, "c1", "b1")  # a retransmission
        + "Discarded message for new calls while quitting\n"
        + entry("s", "SIP/2.0 407 Proxy Authentication Required", "c1", "b1", "t")
        + entry("r", invite, "c1", "b2") + entry("r", invite, "c1", "b3", "t")  # re-INVITE
        + entry("r", invite.replace("+1555", "+1666"), "c2", "b4")
    )
    messages = parse_trace(path)
    assert len(messages) == 6 and messages[2].status == 407 and messages[2].to_tag == "t"
    assert messages[0].body.endswith("-" * 47 + "\n") and messages[0].number == "+1555"
    assert invite_transactions(messages) == {"c1": 2, "c2": 1}
    assert invites_per_number(messages) == {"+1555": 2, "+1666": 1}
