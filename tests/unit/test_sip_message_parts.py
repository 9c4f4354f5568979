"""Header fields and the values inside them: Headers, URIs, name-addrs, Via, CSeq."""

from __future__ import annotations

import pytest

from sip.message import (
    AbsoluteUri,
    Headers,
    NameAddr,
    ParseError,
    SipUri,
    Via,
    new_branch,
    parse_cseq,
    parse_name_addr,
    parse_uri,
    parse_via,
)


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
