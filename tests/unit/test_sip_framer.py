from __future__ import annotations

from sip.message import MAX_MESSAGE_BYTES, ParseError, Request, Response, StreamFramer
from tests.unit import sip_samples as samples


def test_two_messages_in_one_read_with_keep_alives_between() -> None:
    framer = StreamFramer()
    results = framer.feed(b"\r\n\r\n" + samples.INVITE_COMPACT + b"\r\n" + samples.BYE)
    assert [type(result) for result in results] == [Request, Request]
    assert isinstance(results[0], Request)
    assert results[0].body == samples.SDP_OFFER
    assert framer.feed(b"\r\n\r\n") == []
    assert not framer.broken


def test_a_message_fed_byte_by_byte() -> None:
    framer = StreamFramer()
    results = []
    for byte in samples.OK_WITH_RECORD_ROUTE:
        results += framer.feed(bytes([byte]))
    assert len(results) == 1
    assert isinstance(results[0], Response)


def test_body_waits_for_content_length() -> None:
    framer = StreamFramer()
    head, body = samples.INVITE_COMPACT.split(b"\r\n\r\n", 1)
    assert framer.feed(head + b"\r\n\r\n" + body[:10]) == []
    [invite] = framer.feed(body[10:])
    assert isinstance(invite, Request)
    assert invite.body == samples.SDP_OFFER


def test_an_invalid_but_framed_message_is_an_error_and_the_stream_goes_on() -> None:
    framer = StreamFramer()
    no_call_id = samples.BYE.replace(b"Call-ID: 3c26700c2f8b4e0d@192.0.2.10\r\n", b"")
    error, bye = framer.feed(no_call_id + samples.BYE)
    assert isinstance(error, ParseError)
    assert isinstance(bye, Request)
    assert not framer.broken


def test_endless_headers_break_the_framer() -> None:
    framer = StreamFramer()
    results = []
    chunk = b"X-Pad: " + b"a" * 1000 + b"\r\n"
    results += framer.feed(b"INVITE sip:a@b SIP/2.0\r\n")
    while not results:
        results += framer.feed(chunk)
    [error] = results
    assert isinstance(error, ParseError)
    assert framer.broken
    assert framer.feed(samples.BYE) == []


def test_huge_content_length_breaks_the_framer() -> None:
    framer = StreamFramer()
    huge = samples.BYE.replace(
        b"Content-Length: 0", f"Content-Length: {MAX_MESSAGE_BYTES}".encode()
    )
    [error] = framer.feed(huge)
    assert isinstance(error, ParseError)
    assert "too large" in str(error)
    assert framer.broken


def test_missing_content_length_breaks_the_framer() -> None:
    framer = StreamFramer()
    [error] = framer.feed(samples.BYE.replace(b"Content-Length: 0\r\n", b""))
    assert isinstance(error, ParseError)
    assert framer.broken


def test_garbage_head_breaks_the_framer() -> None:
    framer = StreamFramer()
    [error] = framer.feed(b"\xff\xfe garbage\r\n\r\n")
    assert isinstance(error, ParseError)
    assert framer.broken
