"""SIP requests and responses, and their wire form: ``parse`` for datagrams, ``serialize``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sip.address import NameAddr, parse_any_uri, parse_name_addr
from sip.grammar import ParseError, is_token
from sip.headers import Headers
from sip.via import Via, parse_cseq, parse_via

MAX_MESSAGE_BYTES = 64 * 1024
MAX_HEADER_COUNT = 128
MAX_LINE_BYTES = 8 * 1024
SIP_VERSION = "SIP/2.0"
REQUIRED_HEADERS = ("Via", "From", "To", "Call-ID", "CSeq")
_STATUS_LINE_RE = re.compile(r"SIP/2\.0 ([1-6][0-9]{2})(?: (.*))?")
_CONTENT_LENGTH_RE = re.compile(r"[0-9]{1,10}")


class _HeaderAccess:
    """Typed reads of the header fields every valid message has."""

    __slots__ = ()
    headers: Headers

    def _required(self, name: str) -> str:
        value = self.headers.get(name)
        if value is None:
            raise ParseError(f"missing {name}")
        return value

    @property
    def call_id(self) -> str:
        return self._required("Call-ID")

    @property
    def cseq(self) -> tuple[int, str]:
        return parse_cseq(self._required("CSeq"))

    @property
    def top_via(self) -> Via:
        return parse_via(self._required("Via"))

    @property
    def from_(self) -> NameAddr:
        return parse_name_addr(self._required("From"))

    @property
    def to(self) -> NameAddr:
        return parse_name_addr(self._required("To"))


@dataclass(slots=True)
class Request(_HeaderAccess):
    method: str
    uri: str
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""


@dataclass(slots=True)
class Response(_HeaderAccess):
    status: int
    reason: str
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""


Message = Request | Response


def split_head(data: bytes) -> tuple[bytes, bytes] | None:
    """(head without the empty line, the rest) at the first empty line; None before one."""
    candidates = ((data.find(b"\n\r\n"), 3), (data.find(b"\n\n"), 2))
    found = [(index, skip) for index, skip in candidates if index >= 0]
    if not found:
        return None
    index, skip = min(found)
    return data[: index + 1], data[index + skip :]


def parse_head(head: bytes) -> tuple[str, Headers]:
    """The start line and header fields of a head (CRLF or LF lines, folding undone)."""
    if len(head) > MAX_MESSAGE_BYTES:
        raise ParseError("message too large")
    if any(len(line) > MAX_LINE_BYTES for line in head.split(b"\n")):
        raise ParseError("line too long")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError("head is not UTF-8") from None
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if lines and not lines[-1]:
        lines.pop()
    if not lines:
        raise ParseError("empty message")
    if "\0" in text or any("\r" in line for line in lines):
        raise ParseError("NUL or stray CR in head")
    return lines[0], _header_fields(lines[1:])


def _header_fields(lines: list[str]) -> Headers:
    unfolded: list[str] = []
    for line in lines:
        if line[:1] in (" ", "\t"):
            if not unfolded:
                raise ParseError("continuation line before any header")
            unfolded[-1] = f"{unfolded[-1].rstrip()} {line.strip()}"
        else:
            unfolded.append(line)
    if len(unfolded) > MAX_HEADER_COUNT:
        raise ParseError("too many headers")
    headers = Headers()
    for line in unfolded:
        name, colon, value = line.partition(":")
        name = name.rstrip(" \t")
        if not colon or not is_token(name):
            raise ParseError(f"bad header line {line[:40]!r}")
        if len(value.encode("utf-8")) > MAX_LINE_BYTES:
            raise ParseError("header too long")  # folded lines add up past the limit
        headers.add(name, value)
    return headers


def content_length(headers: Headers) -> int | None:
    values = {value.strip() for value in headers.get_all("Content-Length")}
    if not values:
        return None
    if len(values) > 1:
        raise ParseError("conflicting Content-Length")
    value = values.pop()
    if _CONTENT_LENGTH_RE.fullmatch(value) is None:
        raise ParseError("bad Content-Length")
    return int(value)


def parse(data: bytes) -> Message:
    """Parse one datagram. A body beyond Content-Length is cut off, one short of it is an
    error, and without Content-Length the body is the rest of the datagram.

    Raises only ParseError.
    """
    if len(data) > MAX_MESSAGE_BYTES:
        raise ParseError("message too large")
    parts = split_head(data.lstrip(b"\r\n"))
    if parts is None:
        raise ParseError("no empty line after the headers")
    head, body = parts
    start_line, headers = parse_head(head)
    length = content_length(headers)
    if length is not None:
        if len(body) < length:
            raise ParseError("body shorter than Content-Length")
        body = body[:length]
    message = _start(start_line, headers, body)
    _check_required(message)
    return message


def _start(start_line: str, headers: Headers, body: bytes) -> Message:
    if start_line.startswith("SIP/"):
        match = _STATUS_LINE_RE.fullmatch(start_line)
        if match is None:
            raise ParseError("bad status line")
        return Response(int(match[1]), match[2] or "", headers, body)
    parts = start_line.split(" ")
    if len(parts) != 3 or not is_token(parts[0]):
        raise ParseError("bad request line")
    method, uri, version = parts
    if version != SIP_VERSION:
        raise ParseError("not SIP/2.0")
    parse_any_uri(uri)
    return Request(method, uri, headers, body)


def _check_required(message: Message) -> None:
    for name in REQUIRED_HEADERS:
        if name not in message.headers:
            raise ParseError(f"missing {name}")
    _number, method = message.cseq
    if isinstance(message, Request) and method != message.method:
        raise ParseError("CSeq method differs from the request method")
    # Read once here so that transactions and dialogs can rely on them.
    parse_via(message.headers.get("Via") or "")
    parse_name_addr(message.headers.get("From") or "")
    parse_name_addr(message.headers.get("To") or "")


def serialize(message: Message) -> bytes:
    """The wire form with CRLF line ends and Content-Length set from the body."""
    headers = message.headers.copy()
    headers.set("Content-Length", str(len(message.body)))
    if isinstance(message, Request):
        start = f"{message.method} {message.uri} {SIP_VERSION}"
    else:
        start = f"{SIP_VERSION} {message.status} {message.reason}"
    lines = [start, *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + message.body
