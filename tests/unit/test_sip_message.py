from __future__ import annotations

import pytest

from sip.message import (
    AbsoluteUri,
    Headers,
    NameAddr,
    ParseError,
    Request,
    Response,
    SipUri,
    Via,
    build_cancel,
    build_non2xx_ack,
    new_branch,
    parse,
    parse_cseq,
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


def test_headers_are_case_insensitive_and_ordered() -> None:
    headers = Headers([("via", "SIP/2.0/UDP a;branch=z9hG4bK1"), ("X-Custom", "1")])
    headers.add("v", "SIP/2.0/UDP b;branch=z9hG4bK2")
    headers.add("VIA", "SIP/2.0/UDP c;branch=z9hG4bK0", first=True)
    assert [v.split()[1][0] for v in headers.get_all("Via")] == ["c", "a", "b"]
    assert headers.get("x-custom") == "1"
    headers.set("X-CUSTOM", "2")
    assert headers.get_all("x-custom") == ["2"]
    headers.remove("Via")
    assert "via" not in headers
    assert headers.items() == [("X-CUSTOM", "2")]
    assert len(headers) == 1


def test_get_all_splits_only_list_headers_at_top_level_commas() -> None:
    headers = Headers(
        [
            ("Contact", '"Doe, John" <sip:j@a.example;x=1,2>;q=0.5, <sip:k@b.example>'),
            ("WWW-Authenticate", 'Digest realm="a", nonce="b"'),
        ]
    )
    assert headers.get_all("m") == [
        '"Doe, John" <sip:j@a.example;x=1,2>;q=0.5',
        "<sip:k@b.example>",
    ]
    assert headers.get("Contact") == '"Doe, John" <sip:j@a.example;x=1,2>;q=0.5'
    assert headers.get_all("WWW-Authenticate") == ['Digest realm="a", nonce="b"']


def test_headers_refuse_injection() -> None:
    headers = Headers()
    with pytest.raises(ValueError, match="CR"):
        headers.add("Subject", "hi\r\nVia: evil")
    with pytest.raises(ValueError, match="name"):
        headers.set("Bad Name", "x")


def test_sip_uri_parts() -> None:
    uri = parse_uri("SIPS:alice:secret@Atlanta.Example.com:5061;transport=TCP;lr?subject=x")
    assert uri == SipUri(
        "sips", "alice", "Atlanta.Example.com", 5061, (("transport", "TCP"), ("lr", None))
    )
    assert uri.transport == "tcp"
    assert uri.lr
    assert str(uri) == "sips:alice@Atlanta.Example.com:5061;transport=TCP;lr"
    assert str(uri.without_params("lr").with_param("maddr", "192.0.2.1")) == (
        "sips:alice@Atlanta.Example.com:5061;transport=TCP;maddr=192.0.2.1"
    )


@pytest.mark.parametrize(
    "text",
    ["tel:+1555", "sip:", "sip:@host", "sip:a@[::1", "sip:a@[zz::1]", "sip:a@h:99999",
     "sip:a@h:x", "sip:a b@h", "sip:a@h;=x", "sip:a@-"],
)  # fmt: skip
def test_bad_sip_uris(text: str) -> None:
    with pytest.raises(ParseError):
        parse_uri(text)


def test_name_addr_forms() -> None:
    quoted = parse_name_addr('"A \\"Q\\" B" <sip:a@h>;tag=x;expires=60')
    assert quoted.display_name == 'A "Q" B'
    assert quoted.tag == "x"
    assert quoted.param("expires") == "60"
    assert str(quoted) == '"A \\"Q\\" B" <sip:a@h>;tag=x;expires=60'
    token_name = parse_name_addr("Bob  Smith <sip:bob@h>")
    assert token_name.display_name == "Bob Smith"
    bare = parse_name_addr("sip:bob@h;tag=9f")
    assert bare == NameAddr(None, SipUri("sip", "bob", "h"), (("tag", "9f"),))
    assert str(bare) == "<sip:bob@h>;tag=9f"
    tel = parse_name_addr("<tel:+15551234567>;tag=1")
    assert tel.uri == AbsoluteUri("tel", "+15551234567")
    assert str(tel.with_tag("2")) == "<tel:+15551234567>;tag=2"


@pytest.mark.parametrize("text", ['"unterminated <sip:a@h>', "Name <sip:a@h", "<sip:a@h> junk"])
def test_bad_name_addrs(text: str) -> None:
    with pytest.raises(ParseError):
        parse_name_addr(text)


def test_via_parts() -> None:
    via = parse_via(
        "SIP / 2.0 / tcp [2001:db8::1]:5070 ; branch=z9hG4bKa ; rport ; maddr=224.2.0.1"
    )
    assert via == Via(
        "TCP", "2001:db8::1", 5070,
        (("branch", "z9hG4bKa"), ("rport", None), ("maddr", "224.2.0.1")),
    )  # fmt: skip
    assert via.maddr == "224.2.0.1"
    assert via.rport is None
    assert str(via) == "SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bKa;rport;maddr=224.2.0.1"
    assert parse_via("SIP/2.0/TLS h").sent_by_port == 5061
    assert parse_via("SIP/2.0/UDP h").sent_by_port == 5060
    for bad in ("SIP/2.0 h", "SIP/2.0/UDP", "SIP/2.0/UDP h;rport=x"):
        with pytest.raises(ParseError):
            parse_via(bad)


def test_cseq() -> None:
    assert parse_cseq(" 42  REGISTER ") == (42, "REGISTER")
    for bad in ("INVITE", "1", "99999999999 INVITE", "1 IN VITE", "-1 BYE"):
        with pytest.raises(ParseError):
            parse_cseq(bad)


def test_new_branch() -> None:
    assert new_branch("a1b2c3") == "z9hG4bKa1b2c3"
    with pytest.raises(ValueError, match="token"):
        new_branch("")


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
