"""Where an in-dialog request goes: Request-URI and Route from the route set (RFC 3261
12.2.1.1) and the next hop (8.1.2). Also the dialog errors and the URI readers they need."""

from __future__ import annotations

from dataclasses import dataclass

from sip.address import SipUri, parse_name_addr, parse_uri
from sip.codec import Message

# A Request-URI may not carry these (RFC 3261 table 1); strict routing strips them.
NOT_IN_REQUEST_URI = ("method",)


class DialogError(ValueError):
    """A response that cannot create a dialog, or stored dialog data that cannot be read."""


@dataclass(frozen=True, slots=True)
class Hop:
    """Where to send an in-dialog request; resolving it (RFC 3263) is the transport's job.

    ``port`` None means the transport's default (or an SRV lookup for a name)."""

    host: str
    port: int | None
    transport: str


def contact_uri(message: Message) -> str:
    """The SIP URI of the first Contact: a remote target."""
    contact = message.headers.get("Contact")
    if contact is None:
        raise DialogError("no Contact: no remote target")
    uri = parse_name_addr(contact).uri
    if not isinstance(uri, SipUri):
        raise DialogError("the Contact is not a SIP URI")
    return str(uri)


def route_uri(route: str) -> SipUri:
    uri = parse_name_addr(route).uri
    if not isinstance(uri, SipUri):
        raise DialogError("a Route that is not a SIP URI")
    return uri


def request_uri_and_routes(route_set: tuple[str, ...], remote_target: str) -> tuple[str, list[str]]:
    """(Request-URI, Route values) for a request in a dialog."""
    if not route_set:
        return remote_target, []
    first = route_uri(route_set[0])
    if first.lr:
        return remote_target, list(route_set)
    # Strict routing (RFC 2543 proxies): the first route becomes the Request-URI and the
    # remote target goes last in Route.
    stripped = first.without_params(*NOT_IN_REQUEST_URI)
    return str(stripped), [*route_set[1:], f"<{remote_target}>"]


def next_hop(route_set: tuple[str, ...], remote_target: str) -> Hop:
    """The first Route URI, else the remote target; maddr wins over the host. Without a
    transport parameter: TLS for sips, else UDP."""
    uri = route_uri(route_set[0]) if route_set else parse_uri(remote_target)
    default_transport = "TLS" if uri.scheme == "sips" else "UDP"
    transport = (uri.transport or default_transport).upper()
    return Hop(uri.param("maddr") or uri.host, uri.port, transport)
