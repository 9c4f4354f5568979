"""Which webhook targets may be called: pure checks of URLs and resolved addresses."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

# Cloud metadata services (named as such before the broader classes they fall in).
METADATA_ADDRESSES = frozenset({
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack
    ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    ipaddress.ip_address("192.0.0.192"),  # Oracle Cloud
})
SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT
# IPv6 prefixes whose last 32 bits are an IPv4 address a gateway will reach: NAT64 (RFC 6052,
# well-known and local-use) and the deprecated IPv4-compatible form.
EMBEDDING_LAST_32_BITS = (
    ipaddress.ip_network("64:ff9b::/96"),
    ipaddress.ip_network("64:ff9b:1::/48"),
    ipaddress.ip_network("::/96"),
)


class Refused(ValueError):
    """The target may not be called; the message says why."""


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int


def check_url(url: str) -> Target:
    try:
        parts: SplitResult = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise Refused(f"malformed URL ({error})") from error
    if parts.scheme not in ("http", "https"):
        raise Refused("only http and https URLs are called")
    if parts.username is not None or parts.password is not None:
        raise Refused("URLs with credentials are refused")
    if not parts.hostname:
        raise Refused("the URL has no host")
    default_port = 443 if parts.scheme == "https" else 80
    return Target(url, parts.scheme, parts.hostname, port or default_port)


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses a transition mechanism would reach through ``address``: mapped,
    6to4 (2002::/16), Teredo (server and client), NAT64 and IPv4-compatible."""
    found = [a for a in (address.ipv4_mapped, address.sixtofour) if a is not None]
    if address.teredo is not None:
        found.extend(address.teredo)
    if any(address in network for network in EMBEDDING_LAST_32_BITS) and int(address) > 1:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def address_class(text: str) -> str | None:
    """Why an address may not be called (its class), or None when it may."""
    address = ipaddress.ip_address(text.split("%")[0])
    if isinstance(address, ipaddress.IPv6Address):
        for inner in embedded_ipv4(address):
            reason = _class_of(inner)
            if reason is not None:
                return reason
        if address.ipv4_mapped is not None or any(
                address in network for network in EMBEDDING_LAST_32_BITS[:2]):
            # Only a translation of the IPv4 address: that address decides (a DNS64 network
            # resolves every IPv4-only receiver to 64:ff9b::/96).
            return None
    return _class_of(address)


def _class_of(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    checks = (
        ("metadata", address in METADATA_ADDRESSES),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("private", address.is_private),
        ("shared", isinstance(address, ipaddress.IPv4Address) and address in SHARED_ADDRESS_SPACE),
        ("reserved", address.is_reserved),
    )
    return next((name for name, hit in checks if hit), None)


def check_addresses(addresses: list[str], allow_private: bool) -> None:
    """Every resolved address must pass, or a name that also resolves inward slips through."""
    if not addresses:
        raise Refused("the host did not resolve")
    if allow_private:
        return
    for address in addresses:
        reason = address_class(address)
        if reason is not None:
            raise Refused(f"{reason} address {address} refused")
