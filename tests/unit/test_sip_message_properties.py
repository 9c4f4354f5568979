"""Property tests: the parser and framer take anything from the network without crashing."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sip.message import (
    MAX_MESSAGE_BYTES,
    Message,
    ParseError,
    StreamFramer,
    parse,
    serialize,
)
from tests.unit import sip_samples as samples
from tests.unit.sip_strategies import messages

FAST = settings(max_examples=300, deadline=None)
VALID_SAMPLES = [
    samples.INVITE_COMPACT,
    samples.OK_WITH_RECORD_ROUTE,
    samples.KAMAILIO_407,
    samples.OPTIONS_IPV6_LF,
    samples.BYE,
]


def parse_or_error(data: bytes) -> Message | ParseError:
    """Parse, letting only ParseError through as a value: any other exception fails."""
    try:
        return parse(data)
    except ParseError as error:
        return error


def with_content_length(message: Message) -> Message:
    expected = parse(serialize(message))
    expected.headers = message.headers.copy()
    expected.headers.set("Content-Length", str(len(message.body)))
    return expected


@FAST
@given(messages)
def test_generated_messages_round_trip(message: Message) -> None:
    parsed = parse(serialize(message))
    assert parsed == with_content_length(message)
    assert serialize(parsed) == serialize(message)


@FAST
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_only_raise_parse_error(data: bytes) -> None:
    parse_or_error(data)


@FAST
@given(st.sampled_from(VALID_SAMPLES), st.data())
def test_truncated_messages_only_raise_parse_error(sample: bytes, data: st.DataObject) -> None:
    cut = data.draw(st.integers(0, len(sample)))
    parse_or_error(sample[:cut])


@FAST
@given(st.sampled_from(VALID_SAMPLES), st.integers(0, 10**12) | st.text(max_size=12))
def test_wrong_content_length_only_raises_parse_error(sample: bytes, length: int | str) -> None:
    parsed = parse(sample)
    data = sample.replace(
        f"Content-Length: {len(parsed.body)}".encode(), f"Content-Length: {length}".encode()
    )
    result = parse_or_error(data)
    if isinstance(result, ParseError):
        return
    assert len(result.body) <= len(parsed.body)


@FAST
@given(st.sampled_from(VALID_SAMPLES), st.integers(1, 3 * MAX_MESSAGE_BYTES), st.booleans())
def test_huge_headers_are_parse_errors(sample: bytes, size: int, fold: bool) -> None:
    filler = (b"a\r\n " if fold else b"a") * (size // (4 if fold else 1))
    data = sample.replace(b"\r\n", b"\r\nX-Huge: " + filler + b"\r\n", 1)
    result = parse_or_error(data)
    if len(data) > MAX_MESSAGE_BYTES:
        assert isinstance(result, ParseError)


@FAST
@given(st.sampled_from(VALID_SAMPLES), st.data())
def test_mutated_messages_only_raise_parse_error(sample: bytes, data: st.DataObject) -> None:
    mutated = bytearray(sample)
    for _ in range(data.draw(st.integers(1, 8))):
        index = data.draw(st.integers(0, len(mutated) - 1))
        mutated[index] = data.draw(st.sampled_from(b'\x00\r\n \t:;,<>"@[]=\xff\xc3aZ9'))
    parse_or_error(bytes(mutated))


@FAST
@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ-!%*_+.~ /", min_size=1, max_size=20))
def test_unknown_methods(method: str) -> None:
    data = samples.BYE.replace(b"BYE", method.encode())
    result = parse_or_error(data)
    if isinstance(result, ParseError):
        return
    assert result.cseq[1] == method


@FAST
@given(st.lists(messages, min_size=1, max_size=4), st.data())
def test_framer_splits_any_chunking(batch: list[Message], data: st.DataObject) -> None:
    keep_alives = [data.draw(st.sampled_from([b"", b"\r\n", b"\r\n\r\n"])) for _ in batch]
    stream = b"".join(
        alive + serialize(message) for alive, message in zip(keep_alives, batch, strict=True)
    )
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    framer = StreamFramer()
    results: list[Message | ParseError] = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        results += framer.feed(stream[start:end])
    assert results == [with_content_length(message) for message in batch]
    assert not framer.broken


@FAST
@given(st.lists(st.binary(max_size=500), max_size=10))
def test_framer_takes_arbitrary_bytes(chunks: list[bytes]) -> None:
    framer = StreamFramer()
    for chunk in chunks:
        for result in framer.feed(chunk):
            assert isinstance(result, Message | ParseError)
