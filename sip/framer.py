"""Splits a TCP/TLS byte stream into SIP messages by Content-Length (RFC 3261 18.3)."""

from __future__ import annotations

from sip.codec import (
    MAX_MESSAGE_BYTES,
    Message,
    content_length,
    parse,
    parse_head,
    split_head,
)
from sip.grammar import ParseError


class StreamFramer:
    """Feed it bytes as they arrive; it returns the complete messages.

    A message that frames correctly but is invalid comes back as a ParseError and the stream
    goes on. When framing itself is lost (a head or body over MAX_MESSAGE_BYTES, an unreadable
    head, no Content-Length) it returns a ParseError, drops its buffer and sets ``broken``:
    the caller should close the connection; later ``feed`` calls return nothing.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.broken = False

    def feed(self, data: bytes) -> list[Message | ParseError]:
        if self.broken:
            return []
        self._buffer += data
        results: list[Message | ParseError] = []
        while not self.broken:
            result = self._next_message()
            if result is None:
                break
            results.append(result)
        return results

    def _next_message(self) -> Message | ParseError | None:
        self._skip_keep_alives()
        # Only a bounded window is searched, so a large feed costs linear time.
        window = bytes(self._buffer[: MAX_MESSAGE_BYTES + 1])
        parts = split_head(window)
        if parts is None:
            if len(window) > MAX_MESSAGE_BYTES:
                return self._break("headers never end")
            return None
        head, rest_of_window = parts
        try:
            length = content_length(parse_head(head)[1])
        except ParseError as error:
            return self._break(str(error))
        if length is None:
            return self._break("missing Content-Length on a stream")
        frame_size = len(window) - len(rest_of_window) + length
        if frame_size > MAX_MESSAGE_BYTES:
            return self._break("message too large")
        if len(self._buffer) < frame_size:
            return None
        frame = bytes(self._buffer[:frame_size])
        del self._buffer[:frame_size]
        try:
            return parse(frame)
        except ParseError as error:
            return error

    def _skip_keep_alives(self) -> None:
        # CRLFs between messages are keep-alives (RFC 5626 4.4.1).
        count = 0
        while count < len(self._buffer) and self._buffer[count] in b"\r\n":
            count += 1
        del self._buffer[:count]

    def _break(self, reason: str) -> ParseError:
        self.broken = True
        self._buffer.clear()
        return ParseError(reason)
