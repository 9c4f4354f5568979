"""The little SDP a third-party call controller needs (RFC 4566, RFC 3264, RFC 3725)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from models.rules import limits

BLACK_HOLE_PORT = 9  # the discard port: media sent to it goes nowhere
_LINE_RE = re.compile(r"([a-z])=(.*)")
_MEDIA_RE = re.compile(rf"(\S+) ([0-9]{{1,{limits.PORT_DIGITS}}})(?:/[0-9]+)? (\S+)((?: \S+)+)")
_RTPMAP_RE = re.compile(r"rtpmap:(\S+) \S.*")


class SdpError(ValueError):
    """Bytes that are not a session description this module can read."""


@dataclass(frozen=True, slots=True)
class MediaSection:
    media: str
    port: int
    proto: str
    formats: tuple[str, ...]
    attributes: tuple[str, ...]  # the text after "a=", in order


def _lines(sdp: bytes) -> tuple[tuple[str, str], ...]:
    """The description's lines as (type, value); each description is read once however
    often a call handles it (checked, answered, re-originated)."""
    return _read_lines(sdp)


@functools.lru_cache(maxsize=1024)
def _read_lines(sdp: bytes) -> tuple[tuple[str, str], ...]:
    try:
        text = sdp.decode("utf-8")
    except UnicodeDecodeError:
        raise SdpError("SDP is not UTF-8") from None
    lines: list[tuple[str, str]] = []
    for raw in text.split("\n"):
        line = raw.removesuffix("\r")
        if not line:
            continue
        match = _LINE_RE.fullmatch(line)
        if match is None:
            raise SdpError(f"bad SDP line {line[:40]!r}")
        lines.append((match[1], match[2]))
    if not lines or lines[0] != ("v", "0"):
        raise SdpError("SDP must start with v=0")
    origins = [value for kind, value in lines if kind == "o"]
    if len(origins) != 1 or len(origins[0].split()) != 6:
        raise SdpError("SDP needs exactly one o= line of six fields")
    return tuple(lines)


def media_sections(sdp: bytes) -> list[MediaSection]:
    sections: list[MediaSection] = []
    current: tuple[str, int, str, tuple[str, ...]] | None = None
    attributes: list[str] = []
    for kind, value in [*_lines(sdp), ("m", "")]:
        if kind == "a" and current is not None:
            attributes.append(value)
        if kind != "m":
            continue
        if current is not None:
            sections.append(MediaSection(*current, tuple(attributes)))
        if value:
            current, attributes = _media_line(value), []
    return sections


def _media_line(value: str) -> tuple[str, int, str, tuple[str, ...]]:
    match = _MEDIA_RE.fullmatch(value)
    if match is None or int(match[2]) > limits.PORT_MAX:
        raise SdpError(f"bad m= line {value[:40]!r}")
    return match[1], int(match[2]), match[3], tuple(match[4].split())


def has_media(sdp: bytes) -> bool:
    """Whether the description offers at least one stream that is not rejected (port 0)."""
    return any(section.port != 0 for section in media_sections(sdp))


def _address_line(address: str) -> str:
    return f"IN IP6 {address}" if ":" in address else f"IN IP4 {address}"


def black_hole_answer(offer: bytes, origin: tuple[int, int], address: str) -> bytes:
    """An answer that accepts every offered stream but sends and receives nothing: one m=
    line per offered one, the first format with its rtpmap, port 9, c=0.0.0.0, inactive.
    A stream rejected in the offer (port 0) stays rejected (RFC 3264 6)."""
    session_id, version = origin
    lines = [
        "v=0",
        f"o=ringback {session_id} {version} {_address_line(address)}",
        "s=-",
        "c=IN IP4 0.0.0.0",
        "t=0 0",
    ]
    for section in media_sections(offer):
        first_format = section.formats[0]
        port = 0 if section.port == 0 else BLACK_HOLE_PORT
        lines.append(f"m={section.media} {port} {section.proto} {first_format}")
        lines += [
            f"a={attribute}"
            for attribute in section.attributes
            if (match := _RTPMAP_RE.fullmatch(attribute)) and match[1] == first_format
        ]
        lines.append("a=inactive")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def reoriginate(sdp: bytes, session_id: int, version: int, username: str = "ringback") -> bytes:
    """``sdp`` with its o= line made ours: our username, session id and version, the
    address kept. The controller bumps ``version`` each time it sends a changed description
    in the same session (RFC 3264 8)."""
    if not username or any(char.isspace() for char in username):
        raise SdpError("the o= username must be one word")
    lines: list[str] = []
    for kind, value in _lines(sdp):
        if kind == "o":
            _user, _id, _version, *network = value.split()
            value = " ".join([username, str(session_id), str(version), *network])
        lines.append(f"{kind}={value}")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")
