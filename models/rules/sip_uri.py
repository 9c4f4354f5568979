"""Hosts and trunks of SIP accounts: pure. A SIP account's domain is a host, its trunk
``sip:host[:port][;transport=udp|tcp]``; both go into SIP messages as written here, so
they are checked and stored in one canonical form: DNS names in their ASCII (IDNA) form,
IP addresses as ``ipaddress`` writes them, IPv6 without brackets (a URI adds them)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from models.rules import limits, text

SCHEME = "sip"
TRANSPORTS = frozenset({"udp", "tcp"})
# RFC 3261's hostname: letters, digits and inner hyphens in each label, and the last label
# (toplabel) starts with a letter, so "999.1.2.3" is neither a name nor an address.
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
HOST_RULE = ("must be a host name (letters, digits and hyphens in dot-separated labels, "
             "the last starting with a letter) or an IP address")
TRUNK_SHAPE = "must be a SIP URI sip:host[:port][;transport=udp|tcp]"


@dataclass(frozen=True)
class Trunk:
    host: str  # canonical_host's form: IPv6 without brackets
    port: int | None
    transport: str | None  # udp or tcp; None: the controller's default

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if self.port is None else f":{self.port}"
        transport = "" if self.transport is None else f";transport={self.transport}"
        return f"{SCHEME}:{host}{port}{transport}"


def canonical_host(host: str) -> str:
    """``host`` as a SIP URI carries it (without IPv6 brackets); ValueError naming the rule."""
    if host.startswith("[") and host.endswith("]"):
        return _ipv6(host[1:-1])
    if "%" not in host:  # a zone id (fe80::1%eth0) means nothing to the far end
        try:
            return str(ipaddress.ip_address(host))
        except ValueError:
            pass
    return _dns_name(host)


def parse_trunk(uri: str) -> Trunk:
    """``sip:host[:port][;transport=udp|tcp]``; ValueError naming the rule otherwise."""
    scheme, colon, rest = uri.partition(":")
    if not colon or scheme.lower() != SCHEME:
        raise ValueError(TRUNK_SHAPE)
    host_port, _, params = rest.partition(";")
    if "@" in host_port:
        raise ValueError(f"{TRUNK_SHAPE}: a trunk has no user part")
    try:
        host, port = _host_and_port(host_port)
    except ValueError as problem:
        raise ValueError(f"{TRUNK_SHAPE}: the host {problem}") from None
    return Trunk(host, port, _transport(params))


def _host_and_port(host_port: str) -> tuple[str, int | None]:
    if host_port.startswith("["):
        end = host_port.find("]")
        if end < 0:
            raise ValueError("has an unclosed IPv6 bracket")
        host, after = _ipv6(host_port[1:end]), host_port[end + 1:]
        if after and not after.startswith(":"):
            raise ValueError("must be followed by nothing but :port")
        return host, _port(after[1:]) if after else None
    host, colon, port = host_port.partition(":")
    return canonical_host(host), _port(port) if colon else None


def _ipv6(address: str) -> str:
    if "%" in address:
        raise ValueError("must be an IPv6 address without a zone id")
    try:
        return str(ipaddress.IPv6Address(address))
    except ValueError:
        raise ValueError("must be an IPv6 address inside the brackets") from None


def _port(digits: str) -> int:
    if not text.is_ascii_digits(digits, limits.PORT_DIGITS) or not (
        limits.PORT_MIN <= int(digits) <= limits.PORT_MAX
    ):
        raise ValueError("has a port that is not a whole number from "
                         f"{limits.PORT_MIN} to {limits.PORT_MAX}")
    return int(digits)


def _transport(params: str) -> str | None:
    if not params:
        return None
    name, equals, value = params.partition("=")
    if name.lower() != "transport" or not equals or value.lower() not in TRANSPORTS:
        raise ValueError(f"{TRUNK_SHAPE}: the only parameter allowed is transport=udp or "
                         "transport=tcp, once")
    return value.lower()


def _dns_name(host: str) -> str:
    problem = text.host_name_problem(host)
    if problem is not None:
        raise ValueError(f"{HOST_RULE}; this one {problem}")
    ascii_name = host.encode("idna").decode("ascii")
    labels = ascii_name.removesuffix(".").split(".")
    if not all(_LABEL.fullmatch(label) for label in labels) or not labels[-1][0].isalpha():
        raise ValueError(HOST_RULE)
    return ascii_name
