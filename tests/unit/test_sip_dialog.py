from __future__ import annotations

import json
from typing import Any

import pytest

from sip.dialog import (
    Dialog,
    DialogError,
    DialogState,
    Hop,
    request_dialog_key,
    response_dialog_key,
)
from sip.message import Request, Response, build_response, parse, parse_uri, serialize
from tests.unit import sip_samples as samples
from tests.unit.sip_samples import lines

REMOTE_TARGET = "sip:+15551234567@203.0.113.5:5070;transport=udp"


def our_invite(request_uri: str = "sip:+15551234567@example.com") -> Request:
    invite = parse(
        lines(
            f"INVITE {request_uri} SIP/2.0",
            "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport",
            "Max-Forwards: 70",
            'From: "Ringback" <sip:ringback@example.com>;tag=8f1c2e',
            "To: <sip:+15551234567@example.com;user=phone>",
            "Call-ID: 3c26700c2f8b4e0d@192.0.2.10",
            "CSeq: 1 INVITE",
            "Contact: <sip:ringback@192.0.2.10:5060>",
            "Content-Length: 0",
        )
    )
    assert isinstance(invite, Request)
    return invite


def ok_response(record_route: str | None = None) -> Response:
    response = parse(samples.OK_WITH_RECORD_ROUTE)
    assert isinstance(response, Response)
    response.headers.remove("Record-Route")
    if record_route is not None:
        response.headers.add("Record-Route", record_route)
    return response


def confirmed_dialog() -> Dialog:
    response = parse(samples.OK_WITH_RECORD_ROUTE)
    assert isinstance(response, Response)
    return Dialog.from_response(our_invite(), response)


def test_dialog_state_from_a_2xx() -> None:
    dialog = confirmed_dialog()
    assert dialog.state is DialogState.CONFIRMED
    assert dialog.key == ("3c26700c2f8b4e0d@192.0.2.10", "8f1c2e", "as6f2a11e1")
    assert dialog.local_uri == "sip:ringback@example.com"
    assert dialog.remote_uri == "sip:+15551234567@example.com;user=phone"
    assert dialog.remote_target == REMOTE_TARGET
    assert dialog.route_set == (
        "<sip:edge.example.com;lr>",
        "<sip:proxy1.example.com;lr;transport=tcp>",
        "<sip:proxy2.example.com;lr>",
    )
    assert dialog.local_cseq == 1
    assert dialog.remote_cseq is None
    assert not dialog.secure
    assert dialog.via == "SIP/2.0/UDP 192.0.2.10:5060;rport"


def test_bye_with_loose_routing() -> None:
    dialog = confirmed_dialog()
    bye = dialog.request("BYE", branch="z9hG4bKbye2")
    assert bye.method == "BYE"
    assert bye.uri == REMOTE_TARGET
    assert bye.headers.get_all("Route") == list(dialog.route_set)
    assert bye.top_via.branch == "z9hG4bKbye2"
    assert bye.top_via.wants_rport
    assert bye.headers.get("From") == "<sip:ringback@example.com>;tag=8f1c2e"
    assert bye.headers.get("To") == "<sip:+15551234567@example.com;user=phone>;tag=as6f2a11e1"
    assert bye.call_id == "3c26700c2f8b4e0d@192.0.2.10"
    assert bye.cseq == (2, "BYE")
    assert bye.headers.get("Max-Forwards") == "70"
    assert "Contact" not in bye.headers
    assert bye.body == b""
    assert dialog.local_cseq == 2
    assert parse(serialize(bye)).cseq == (2, "BYE")
    assert dialog.next_hop() == Hop("edge.example.com", None, "UDP")


def test_strict_routing_puts_the_first_route_in_the_request_uri() -> None:
    response = ok_response("<sip:p2.example.com;lr>, <sip:strict.example.com:5080;method=INVITE>")
    dialog = Dialog.from_response(our_invite(), response)
    info = dialog.request("INFO", branch="z9hG4bKinfo")
    assert info.uri == "sip:strict.example.com:5080"
    assert info.headers.get_all("Route") == ["<sip:p2.example.com;lr>", f"<{REMOTE_TARGET}>"]
    assert dialog.next_hop() == Hop("strict.example.com", 5080, "UDP")


def test_no_route_set_sends_to_the_remote_target() -> None:
    dialog = Dialog.from_response(our_invite(), ok_response())
    bye = dialog.request("BYE", branch="z9hG4bKb")
    assert bye.uri == REMOTE_TARGET
    assert "Route" not in bye.headers
    assert dialog.next_hop() == Hop("203.0.113.5", 5070, "UDP")


def test_next_hop_honours_maddr_and_transport() -> None:
    dialog = Dialog.from_response(
        our_invite(), ok_response("<sip:p.example.com;lr;maddr=192.0.2.7;transport=TCP>")
    )
    assert dialog.next_hop() == Hop("192.0.2.7", None, "TCP")


def test_ack_for_the_2xx_keeps_the_invite_cseq() -> None:
    dialog = confirmed_dialog()
    ack = dialog.ack(
        1,
        branch="z9hG4bKack1",
        body=samples.SDP_OFFER,
        content_type="application/sdp",
        extra_headers=[("Proxy-Authorization", 'Digest username="ringback"')],
    )
    assert ack.method == "ACK"
    assert ack.cseq == (1, "ACK")
    assert ack.uri == REMOTE_TARGET
    assert ack.top_via.branch == "z9hG4bKack1"
    assert ack.headers.get_all("Route") == list(dialog.route_set)
    assert ack.headers.get("Content-Type") == "application/sdp"
    assert ack.headers.get("Proxy-Authorization") == 'Digest username="ringback"'
    assert ack.body == samples.SDP_OFFER
    assert "Contact" not in ack.headers
    assert dialog.local_cseq == 1


def test_reinvite_carries_contact_and_body() -> None:
    dialog = confirmed_dialog()
    reinvite = dialog.request(
        "INVITE", branch="z9hG4bKre", body=samples.SDP_OFFER, content_type="application/sdp"
    )
    assert reinvite.cseq == (2, "INVITE")
    assert reinvite.headers.get("Contact") == "<sip:ringback@192.0.2.10:5060>"
    assert reinvite.body == samples.SDP_OFFER
    with pytest.raises(ValueError, match="content type"):
        dialog.request("INFO", branch="z9hG4bKx", body=b"x")
    with pytest.raises(ValueError, match="ack"):
        dialog.request("ACK", branch="z9hG4bKx")


def test_matching_requests_from_the_peer_and_their_cseq() -> None:
    dialog = confirmed_dialog()
    bye = parse(samples.BYE)
    assert isinstance(bye, Request)
    assert dialog.matches(bye)
    assert request_dialog_key(bye) == dialog.key
    stranger = parse(samples.BYE.replace(b"tag=as6f2a11e1", b"tag=other"))
    assert isinstance(stranger, Request)
    assert not dialog.matches(stranger)
    assert not dialog.matches(Request("BYE", "sip:x@y"))
    assert dialog.check_remote_cseq(bye)
    assert dialog.remote_cseq == 102
    older = parse(samples.BYE.replace(b"CSeq: 102 BYE", b"CSeq: 101 BYE"))
    assert isinstance(older, Request)
    assert not dialog.check_remote_cseq(older)
    assert dialog.remote_cseq == 102
    ack = parse(samples.BYE.replace(b"BYE", b"ACK").replace(b"102", b"1"))
    assert isinstance(ack, Request)
    assert dialog.check_remote_cseq(ack)
    assert dialog.remote_cseq == 102


def test_a_retransmitted_2xx_finds_its_dialog_by_key() -> None:
    dialog = confirmed_dialog()
    retransmission = parse(samples.OK_WITH_RECORD_ROUTE)
    assert isinstance(retransmission, Response)
    assert response_dialog_key(retransmission) == dialog.key


def test_early_dialog_is_confirmed_by_the_2xx() -> None:
    invite = our_invite()
    ringing = build_response(invite, 180, "Ringing", to_tag="as6f2a11e1")
    ringing.headers.add("Contact", "<sip:early@203.0.113.9>")
    ringing.headers.add("Record-Route", "<sip:early-proxy.example.com;lr>")
    dialog = Dialog.from_response(invite, ringing)
    assert dialog.state.value == DialogState.EARLY.value
    assert dialog.remote_target == "sip:early@203.0.113.9"
    dialog.confirm(ok_response("<sip:final-proxy.example.com;lr>"))
    assert dialog.state is DialogState.CONFIRMED
    assert dialog.route_set == ("<sip:final-proxy.example.com;lr>",)
    assert dialog.remote_target == REMOTE_TARGET
    with pytest.raises(DialogError, match="not a 2xx"):
        dialog.confirm(ringing)


def test_target_refresh() -> None:
    dialog = confirmed_dialog()
    reinvite = parse(samples.BYE.replace(b"BYE", b"INVITE"))
    assert isinstance(reinvite, Request)
    dialog.refresh_target(reinvite)
    assert dialog.remote_target == REMOTE_TARGET
    reinvite.headers.add("Contact", "<sip:moved@203.0.113.77:5090>")
    dialog.refresh_target(reinvite)
    assert dialog.remote_target == "sip:moved@203.0.113.77:5090"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda r: setattr(r, "status", 100), "101-299"),
        (lambda r: r.headers.set("To", "<sip:b@example.com>"), "To tag"),
        (lambda r: r.headers.set("Call-ID", "other"), "does not answer"),
        (lambda r: r.headers.set("CSeq", "2 INVITE"), "does not answer"),
        (lambda r: r.headers.remove("Contact"), "no Contact"),
        (lambda r: r.headers.set("Contact", "<tel:+1555>"), "not a SIP URI"),
        (lambda r: r.headers.set("Contact", "<sip:a@[::1>"), "IPv6"),
    ],
)
def test_responses_that_create_no_dialog(change: Any, reason: str) -> None:
    response = ok_response()
    change(response)
    with pytest.raises(DialogError, match=reason):
        Dialog.from_response(our_invite(), response)


def test_sips_dialog_is_secure_and_uses_tls() -> None:
    response = ok_response()
    response.headers.set("Contact", "<sips:+15551234567@203.0.113.5>")
    dialog = Dialog.from_response(our_invite("sips:+15551234567@example.com"), response)
    assert dialog.secure
    assert dialog.next_hop() == Hop("203.0.113.5", None, "TLS")


def test_to_dict_from_dict_round_trip_through_json() -> None:
    dialog = confirmed_dialog()
    dialog.request("INFO", branch="z9hG4bKi")
    bye = parse(samples.BYE)
    assert isinstance(bye, Request)
    dialog.check_remote_cseq(bye)
    stored = json.loads(json.dumps(dialog.to_dict()))
    restored = Dialog.from_dict(stored)
    assert restored == dialog
    assert serialize(restored.request("BYE", branch="z9hG4bKz")) == serialize(
        dialog.request("BYE", branch="z9hG4bKz")
    )


@pytest.mark.parametrize(
    "change",
    [
        {"version": 2},
        {"local_cseq": "3"},
        {"local_cseq": True},
        {"secure": 1},
        {"route_set": [1]},
        {"state": "gone"},
        {"remote_cseq": 1.5},
    ],
)
def test_from_dict_refuses_bad_data(change: dict[str, Any]) -> None:
    stored = confirmed_dialog().to_dict()
    stored.update(change)
    with pytest.raises(DialogError):
        Dialog.from_dict(stored)
    del stored["call_id"]
    with pytest.raises(DialogError):
        Dialog.from_dict(stored)


def test_route_uris_must_be_sip() -> None:
    dialog = Dialog.from_response(our_invite(), ok_response("<tel:+1555>"))
    with pytest.raises(DialogError, match="Route"):
        dialog.next_hop()
    assert parse_uri(dialog.remote_target).port == 5070


def test_a_retransmitted_2xx_gets_the_same_ack_again() -> None:
    dialog = confirmed_dialog()
    ok = parse(samples.OK_WITH_RECORD_ROUTE)
    assert isinstance(ok, Response)
    assert dialog.ack_for_retransmission(ok) is None  # nothing ACKed yet
    ack = dialog.ack(1, branch="z9hG4bKack1")
    assert dialog.ack_for_retransmission(ok) is ack
    other_fork = parse(samples.OK_WITH_RECORD_ROUTE.replace(b"tag=as6f2a11e1", b"tag=fork2"))
    later_invite = parse(samples.OK_WITH_RECORD_ROUTE.replace(b"CSeq: 1 INVITE", b"CSeq: 2 INVITE"))
    failure = parse(samples.OK_WITH_RECORD_ROUTE.replace(b"200 OK", b"486 Busy Here"))
    for response in (other_fork, later_invite, failure):
        assert isinstance(response, Response)
        assert dialog.ack_for_retransmission(response) is None
    assert Dialog.from_dict(dialog.to_dict()).last_ack is None
