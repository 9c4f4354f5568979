"""Small builders of requests and responses for the sip tests."""

from __future__ import annotations

from sip.message import Headers, Request, Response, build_response

CALL_ID = "3c26700c2f8b4e0d@192.0.2.10"


def request(method: str, *, branch: str = "z9hG4bKtx1", cseq: int = 1) -> Request:
    headers = Headers(
        [
            ("Via", f"SIP/2.0/UDP 192.0.2.10:5060;branch={branch};rport"),
            ("Route", "<sip:edge.example.com;lr>"),
            ("Max-Forwards", "70"),
            ("From", "<sip:ringback@example.com>;tag=local1"),
            ("To", "<sip:+15551234567@example.com>"),
            ("Call-ID", CALL_ID),
            ("CSeq", f"{cseq} {method}"),
            ("Contact", "<sip:ringback@192.0.2.10:5060>"),
        ]
    )
    return Request(method, "sip:+15551234567@example.com", headers)


def response(to: Request, status: int, *, to_tag: str = "remote1") -> Response:
    return build_response(to, status, "Reason", to_tag=to_tag)
