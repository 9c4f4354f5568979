from __future__ import annotations

import pytest

from sip.message import (
    ParseError,
    Request,
    Response,
    SipUri,
    build_cancel,
    build_non2xx_ack,
    parse,
    parse_name_addr,
    parse_uri,
    parse_via,
    serialize,
)
from tests.unit import sip_samples as samples
from tests.unit.sip_samples import lines


def test_invite_with_compact_headers_and_folding() -> None:
    invite = parse(samples.INVITE_COMPACT)
    assert isinstance(invite, Request)
    assert invite.method == "INVITE"
    assert invite.uri == "sip:bob@biloxi.example.com"
    assert invite.call_id == "a84b4c76e66710@pc33.atlanta.example.com"
    assert invite.cseq == (314159, "INVITE")
    assert invite.headers.get("Subject") == "lunch tomorrow at noon"
    assert invite.headers.get_all("Supported") == ["timer", "100rel"]
    assert invite.from_.display_name == "Alice, A."
    assert invite.from_.tag == "1928301774"
    assert invite.to.tag is None
    assert invite.top_via.branch == "z9hG4bKnashds8"
    assert invite.top_via.wants_rport
    assert invite.body == samples.SDP_OFFER


def test_compact_and_full_names_are_one_header() -> None:
    invite = parse(samples.INVITE_COMPACT)
    assert invite.headers.get("content-type") == invite.headers.get("c") == "application/sdp"
    assert [name for name, _ in invite.headers.items()][:3] == ["Via", "Max-Forwards", "To"]


def test_response_with_several_via_and_record_route() -> None:
    response = parse(samples.OK_WITH_RECORD_ROUTE)
    assert isinstance(response, Response)
    assert (response.status, response.reason) == (200, "OK")
    vias = [parse_via(value) for value in response.headers.get_all("Via")]
    assert [via.host for via in vias] == ["192.0.2.10", "proxy1.example.com", "proxy2.example.com"]
    assert vias[0].received == "198.51.100.7"
    assert vias[0].rport == 5060
    assert vias[1].transport == "TCP"
    assert response.headers.get_all("Record-Route") == [
        "<sip:proxy2.example.com;lr>",
        "<sip:proxy1.example.com;lr;transport=tcp>",
        "<sip:edge.example.com;lr>",
    ]


def test_kamailio_407_parses() -> None:
    response = parse(samples.KAMAILIO_407)
    assert isinstance(response, Response)
    assert response.status == 407
    assert response.reason == "Proxy Authentication Required"
    assert response.to.tag == "b27e1a1a7d0d4a4b8c5e9d5e6f1a2b3c.4f2e"
    assert response.headers.get("Proxy-Authenticate") is not None
    assert response.headers.get("Server") == "kamailio (5.7.4 (x86_64/linux))"


def test_ipv6_hosts_and_bare_lf_line_ends() -> None:
    request = parse(samples.OPTIONS_IPV6_LF)
    assert isinstance(request, Request)
    uri = parse_uri(request.uri)
    assert (uri.host, uri.port, uri.transport) == ("2001:db8::10", 5062, "udp")
    assert str(uri) == "sip:[2001:db8::10]:5062;transport=udp"
    via = request.top_via
    assert (via.host, via.port, via.received) == ("2001:db8::1", 5060, "2001:db8::99")
    contact = parse_name_addr(request.headers.get("Contact") or "")
    assert isinstance(contact.uri, SipUri)
    assert contact.uri.host == "2001:db8::1"
    assert request.body == b""


def test_leading_crlf_is_ignored() -> None:
    assert isinstance(parse(b"\r\n\r\n" + samples.BYE), Request)


def test_serialize_round_trips_and_sets_content_length() -> None:
    invite = parse(samples.INVITE_COMPACT)
    invite.body = b"v=0\r\n"
    wire = serialize(invite)
    assert b"\r\nContent-Length: 5\r\n" in wire
    invite.headers.set("Content-Length", "5")
    assert parse(wire) == invite


def test_serialize_response_start_line() -> None:
    response = parse(samples.KAMAILIO_407)
    assert serialize(response).startswith(b"SIP/2.0 407 Proxy Authentication Required\r\n")


def test_body_longer_than_content_length_is_cut() -> None:
    data = samples.BYE + b"trailing junk"
    assert parse(data).body == b""


def test_body_shorter_than_content_length_is_an_error() -> None:
    data = samples.BYE.replace(b"Content-Length: 0", b"Content-Length: 10")
    with pytest.raises(ParseError, match="shorter"):
        parse(data)


def test_missing_content_length_takes_the_rest_of_the_datagram() -> None:
    data = samples.BYE.replace(b"Content-Length: 0\r\n", b"") + b"hello"
    assert parse(data).body == b"hello"


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (b"Via: SIP/2.0/UDP 203.0.113.5:5070;branch=z9hG4bKbye1\r\n", b"", "missing Via"),
        (b"Call-ID: 3c26700c2f8b4e0d@192.0.2.10\r\n", b"", "missing Call-ID"),
        (b"CSeq: 102 BYE", b"CSeq: 102 INVITE", "CSeq method"),
        (b"CSeq: 102 BYE", b"CSeq: x BYE", "bad CSeq"),
        (b" SIP/2.0\r\n", b" SIP/3.0\r\n", "not SIP/2.0"),
        (b"Content-Length: 0", b"Content-Length: -1", "bad Content-Length"),
        (b"Content-Length: 0", b"Content-Length: 0\r\nl: 3", "conflicting"),
        (b"Call-ID", b"Call ID", "bad header line"),
        (b"BYE sip:", b"BYE  sip:", "bad request line"),
        (b"To: <sip:", b"To: sip:<", "URI contains"),
        (b"To: <sip:ringback@", b"To: <sip:ringback@[::1", "IPv6"),
    ],
)
def test_invalid_messages_are_parse_errors(old: bytes, new: bytes, reason: str) -> None:
    data = samples.BYE.replace(old, new, 1)
    assert data != samples.BYE
    with pytest.raises(ParseError, match=reason):
        parse(data)


def test_bad_status_line() -> None:
    with pytest.raises(ParseError, match="status line"):
        parse(samples.KAMAILIO_407.replace(b"SIP/2.0 407", b"SIP/2.0 4077"))


def test_limits() -> None:
    with pytest.raises(ParseError, match="too large"):
        parse(samples.BYE + b"x" * 70_000)
    many = samples.BYE.replace(b"\r\n\r\n", b"\r\n" + b"X-Pad: 1\r\n" * 130 + b"\r\n")
    with pytest.raises(ParseError, match="too many headers"):
        parse(many)
    long_line = samples.BYE.replace(b"\r\n\r\n", b"\r\nX-Pad: " + b"a" * 9000 + b"\r\n\r\n")
    with pytest.raises(ParseError, match="too long"):
        parse(long_line)


def test_no_empty_line_and_bad_utf8() -> None:
    with pytest.raises(ParseError, match="empty line"):
        parse(samples.BYE[:-4])
    with pytest.raises(ParseError, match="UTF-8"):
        parse(samples.BYE.replace(b"BYE sip:ringback", b"BYE sip:\xffringback"))


def _invite_with_routes() -> Request:
    data = lines(
        "INVITE sip:+15551234567@example.com SIP/2.0",
        "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport",
        "Route: <sip:edge.example.com;lr>, <sip:proxy1.example.com;lr>",
        "Max-Forwards: 70",
        "From: <sip:ringback@example.com>;tag=8f1c2e",
        "To: <sip:+15551234567@example.com>",
        "Call-ID: 3c26700c2f8b4e0d@192.0.2.10",
        "CSeq: 1 INVITE",
        "Contact: <sip:ringback@192.0.2.10:5060>",
        "Content-Type: application/sdp",
        f"Content-Length: {len(samples.SDP_OFFER)}",
        body=samples.SDP_OFFER,
    )
    invite = parse(data)
    assert isinstance(invite, Request)
    return invite


def test_build_cancel() -> None:
    invite = _invite_with_routes()
    cancel = build_cancel(invite, 'Q.850;cause=16;text="Normal call clearing"')
    assert cancel.method == "CANCEL"
    assert cancel.uri == invite.uri
    assert cancel.headers.get_all("Via") == [str(invite.top_via)]
    assert cancel.headers.get_all("Route") == invite.headers.get_all("Route")
    assert cancel.headers.get("From") == invite.headers.get("From")
    assert cancel.headers.get("To") == invite.headers.get("To")
    assert cancel.call_id == invite.call_id
    assert cancel.cseq == (1, "CANCEL")
    assert cancel.headers.get("Reason") == 'Q.850;cause=16;text="Normal call clearing"'
    assert cancel.body == b""
    assert parse(serialize(cancel)).headers.items() == [
        *cancel.headers.items(),
        ("Content-Length", "0"),
    ]
    assert "Reason" not in build_cancel(invite, None).headers


def test_build_non2xx_ack() -> None:
    invite = _invite_with_routes()
    busy = Response(486, "Busy Here", invite.headers.copy())
    busy.headers.set("To", "<sip:+15551234567@example.com>;tag=callee1")
    ack = build_non2xx_ack(invite, busy)
    assert ack.method == "ACK"
    assert ack.uri == invite.uri
    assert ack.top_via.branch == "z9hG4bK776asdhds"
    assert len(ack.headers.get_all("Via")) == 1
    assert ack.to.tag == "callee1"
    assert ack.cseq == (1, "ACK")
    assert ack.headers.get_all("Route") == invite.headers.get_all("Route")
    with pytest.raises(ValueError, match="300-699"):
        build_non2xx_ack(invite, Response(200, "OK", invite.headers.copy()))
    with pytest.raises(ValueError, match="INVITE"):
        build_cancel(ack, None)


def test_line_limits_count_bytes_and_folded_headers_too() -> None:
    wide = "é" * 4200  # 8,400 bytes in 4,200 characters
    with pytest.raises(ParseError, match="line too long"):
        parse(samples.BYE.replace(b"\r\n\r\n", f"\r\nX-Wide: {wide}\r\n\r\n".encode()))
    folded = b"\r\n".join([b"X-Folded: start", *[b" " + b"b" * 1000] * 9])
    with pytest.raises(ParseError, match="header too long"):
        parse(samples.BYE.replace(b"\r\n\r\n", b"\r\n" + folded + b"\r\n\r\n"))
