"""Real-world shaped SIP messages shared by the sip tests."""

from __future__ import annotations

CRLF = b"\r\n"


def lines(*parts: str, body: bytes = b"") -> bytes:
    return CRLF.join(part.encode() for part in parts) + CRLF + CRLF + body


SDP_OFFER = (
    b"v=0\r\n"
    b"o=alice 2890844526 2890844526 IN IP4 198.51.100.7\r\n"
    b"s=-\r\n"
    b"c=IN IP4 198.51.100.7\r\n"
    b"t=0 0\r\n"
    b"m=audio 49170 RTP/AVP 0 8 101\r\n"
    b"a=rtpmap:0 PCMU/8000\r\n"
    b"a=rtpmap:8 PCMA/8000\r\n"
    b"a=rtpmap:101 telephone-event/8000\r\n"
    b"a=sendrecv\r\n"
)

# Compact header names, a folded Subject, a quoted display name with a comma, two Contacts.
INVITE_COMPACT = lines(
    "INVITE sip:bob@biloxi.example.com SIP/2.0",
    "v: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8;rport",
    "Max-Forwards: 70",
    "t: Bob <sip:bob@biloxi.example.com>",
    'f: "Alice, A." <sip:alice@atlanta.example.com>;tag=1928301774',
    "i: a84b4c76e66710@pc33.atlanta.example.com",
    "CSeq: 314159 INVITE",
    "m: <sip:alice@pc33.atlanta.example.com>",
    "Subject: lunch",
    "   tomorrow at noon",
    "k: timer, 100rel",
    "c: application/sdp",
    f"l: {len(SDP_OFFER)}",
    body=SDP_OFFER,
)

# A 200 OK that came back through two proxies, both record-routing.
OK_WITH_RECORD_ROUTE = lines(
    "SIP/2.0 200 OK",
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport=5060;received=198.51.100.7",
    "Via: SIP/2.0/TCP proxy1.example.com:5060;branch=z9hG4bK4b43c2ff8.1,"
    " SIP/2.0/UDP proxy2.example.com;branch=z9hG4bKnashds7",
    "Record-Route: <sip:proxy2.example.com;lr>, <sip:proxy1.example.com;lr;transport=tcp>",
    "Record-Route: <sip:edge.example.com;lr>",
    "From: <sip:ringback@example.com>;tag=8f1c2e",
    "To: <sip:+15551234567@example.com;user=phone>;tag=as6f2a11e1",
    "Call-ID: 3c26700c2f8b4e0d@192.0.2.10",
    "CSeq: 1 INVITE",
    "Contact: <sip:+15551234567@203.0.113.5:5070;transport=udp>",
    "Content-Length: 0",
)

# A 407 as Kamailio's auth module sends it for an INVITE without credentials.
KAMAILIO_407 = lines(
    "SIP/2.0 407 Proxy Authentication Required",
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---6b5d8a3b;rport=5060;"
    "received=198.51.100.7",
    "From: <sip:ringback@example.com>;tag=8f1c2e",
    "To: <sip:+15551234567@example.com>;tag=b27e1a1a7d0d4a4b8c5e9d5e6f1a2b3c.4f2e",
    "Call-ID: 3c26700c2f8b4e0d@192.0.2.10",
    "CSeq: 1 INVITE",
    'Proxy-Authenticate: Digest realm="example.com", nonce="ZfLb1WXy2/Zp8d9jqY1bV0mAfZ0Jg6Xk",'
    ' qop="auth"',
    "Server: kamailio (5.7.4 (x86_64/linux))",
    "Content-Length: 0",
)

# IPv6 hosts in the Request-URI, Via (with received) and Contact; bare LF line ends.
OPTIONS_IPV6_LF = (
    b"OPTIONS sip:[2001:db8::10]:5062;transport=udp SIP/2.0\n"
    b"Via: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKv6opt;received=2001:db8::99\n"
    b"From: <sip:monitor@[2001:db8::1]>;tag=v6a\n"
    b"To: <sip:[2001:db8::10]:5062>\n"
    b"Call-ID: v6-keepalive-1\n"
    b"CSeq: 7 OPTIONS\n"
    b"Contact: <sip:monitor@[2001:db8::1]:5060>\n"
    b"\n"
)

BYE = lines(
    "BYE sip:ringback@192.0.2.10:5060 SIP/2.0",
    "Via: SIP/2.0/UDP 203.0.113.5:5070;branch=z9hG4bKbye1",
    "From: <sip:+15551234567@example.com;user=phone>;tag=as6f2a11e1",
    "To: <sip:ringback@example.com>;tag=8f1c2e",
    "Call-ID: 3c26700c2f8b4e0d@192.0.2.10",
    "CSeq: 102 BYE",
    "Content-Length: 0",
)
