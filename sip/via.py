"""Via and CSeq values, and Via branches."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace

from models.rules import limits
from sip.address import format_host, parse_host_port
from sip.grammar import (
    Params,
    ParseError,
    format_params,
    get_param,
    has_param,
    is_token,
    parse_params,
    replace_param,
)

BRANCH_MAGIC_COOKIE = "z9hG4bK"
MAX_CSEQ = limits.INT32_MAX  # RFC 3261 8.1.1.5: less than 2**31
DEFAULT_SIP_PORT = 5060
DEFAULT_SIPS_PORT = 5061
_SENT_PROTOCOL_RE = re.compile(r"\s*([^\s/]+)\s*/\s*([^\s/]+)\s*/\s*([^\s/;]+)\s*(.*)", re.DOTALL)
_CSEQ_RE = re.compile(rf"\s*([0-9]{{1,{limits.INT32_DIGITS}}})\s+(\S+)\s*")
# The same header values come back in every message of a dialog: each is parsed once
# (the values are immutable; a flood of distinct ones only cycles the cache).
PARSED_KEPT = 8192


@dataclass(frozen=True, slots=True)
class Via:
    """One Via value: ``SIP/2.0/UDP host:port;branch=...``; transport is upper case."""

    transport: str
    host: str
    port: int | None = None
    params: Params = ()
    protocol: str = "SIP/2.0"

    def __str__(self) -> str:
        port = "" if self.port is None else f":{self.port}"
        sent_by = f"{format_host(self.host)}{port}"
        return f"{self.protocol}/{self.transport} {sent_by}{format_params(self.params)}"

    def param(self, name: str) -> str | None:
        return get_param(self.params, name)

    @property
    def branch(self) -> str | None:
        return self.param("branch")

    @property
    def received(self) -> str | None:
        return self.param("received")

    @property
    def maddr(self) -> str | None:
        return self.param("maddr")

    @property
    def rport(self) -> int | None:
        """The port a server filled in (RFC 3581); None when absent or a bare flag."""
        value = self.param("rport")
        return int(value) if value is not None and value.isascii() and value.isdigit() else None

    @property
    def wants_rport(self) -> bool:
        return has_param(self.params, "rport")

    @property
    def sent_by_port(self) -> int:
        """The port, or the transport's default when none is written."""
        if self.port is not None:
            return self.port
        return DEFAULT_SIPS_PORT if self.transport in ("TLS", "WSS") else DEFAULT_SIP_PORT

    def with_param(self, name: str, value: str | None) -> Via:
        return replace(self, params=replace_param(self.params, name, value))


@functools.lru_cache(maxsize=PARSED_KEPT)
def parse_via(text: str) -> Via:
    match = _SENT_PROTOCOL_RE.fullmatch(text)
    if match is None:
        raise ParseError("bad Via")
    name, version, transport, rest = match.groups()
    if not (is_token(name) and is_token(version) and is_token(transport)):
        raise ParseError("bad Via protocol")
    sent_by, _, params_text = rest.partition(";")
    host, port = parse_host_port(sent_by)
    params = parse_params(params_text)
    rport = get_param(params, "rport")
    if rport is not None and not (rport.isascii() and rport.isdigit()):
        raise ParseError("bad Via rport")
    return Via(transport.upper(), host, port, params, f"{name.upper()}/{version}")


@functools.lru_cache(maxsize=PARSED_KEPT)
def parse_cseq(text: str) -> tuple[int, str]:
    """``"101 INVITE"`` -> (101, "INVITE")."""
    match = _CSEQ_RE.fullmatch(text)
    if match is None or not is_token(match[2]):
        raise ParseError("bad CSeq")
    number = int(match[1])
    if number > MAX_CSEQ:
        raise ParseError("CSeq number too large")
    return number, match[2]


def new_branch(random_token: str) -> str:
    """A branch for a new client transaction from a caller-supplied random token."""
    if not is_token(random_token):
        raise ValueError("the branch token must be a non-empty SIP token")
    return f"{BRANCH_MAGIC_COOKIE}{random_token}"
