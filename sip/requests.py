"""The requests a call starts with: the INVITE of a leg, the same INVITE with credentials
after a challenge. Pure: tags, branches and cnonces come from the caller."""

from __future__ import annotations

from dataclasses import dataclass

from models.rules import text
from sip import digest
from sip.address import escape_user, parse_uri
from sip.builders import MAX_FORWARDS
from sip.codec import Request, Response
from sip.headers import Headers
from sip.routing import Hop

USER_AGENT = "Ringback/0.1"
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS"
# RFC 3261 22.2/22.3: which header answers which challenge.
ANSWER_HEADER = {401: ("WWW-Authenticate", "Authorization"),
                 407: ("Proxy-Authenticate", "Proxy-Authorization")}


@dataclass(frozen=True)
class Trunk:
    """Where every INVITE of an account goes: a SIP URI sip:host[:port][;transport=...]."""

    host: str
    port: int
    transport: str  # "udp" or "tcp"

    @classmethod
    def parse(cls, uri: str) -> Trunk:
        parsed = parse_uri(uri)
        transport = (parsed.transport or "udp").lower()
        if transport not in ("udp", "tcp"):
            raise ValueError(f"trunk transport {transport!r}: only udp and tcp are spoken")
        return cls(parsed.host, parsed.port or 5060, transport)

    @property
    def hop(self) -> Hop:
        return Hop(self.host, self.port, self.transport.upper())

    @property
    def hostport(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class Account:
    """Whom a call is placed as: the From identity and the digest credentials."""

    username: str | None
    password: str | None
    domain: str
    trunk: Trunk


@dataclass(frozen=True)
class Identity:
    """The caller as shown to the called phones (From and P-Asserted-Identity)."""

    number: str | None
    name: str | None


def build_invite(*, number: str, account: Account, identity: Identity, call_id: str,
                 from_tag: str, branch: str, via_host: str, via_port: int) -> Request:
    """A leg's INVITE, without SDP (RFC 3725: the called phone makes the offer)."""
    trunk = account.trunk
    transport = trunk.transport.upper()
    user = escape_user(identity.number or account.username or "ringback")
    caller = _name_addr(identity.name, f"sip:{user}@{account.domain}")
    callee = f"sip:{escape_user(number)}@{trunk.hostport}"
    headers = Headers()
    headers.add("Via", f"SIP/2.0/{transport} {_hostport(via_host, via_port)};branch={branch}"
                       ";rport")
    headers.add("Max-Forwards", str(MAX_FORWARDS))
    headers.add("From", f"{caller};tag={from_tag}")
    headers.add("To", f"<{callee}>")
    headers.add("Call-ID", call_id)
    headers.add("CSeq", "1 INVITE")
    headers.add("Contact", f"<sip:ringback@{_hostport(via_host, via_port)};transport="
                           f"{trunk.transport}>")
    if identity.number:
        headers.add("P-Asserted-Identity", caller)
    headers.add("Allow", ALLOW)
    headers.add("User-Agent", USER_AGENT)
    return Request("INVITE", callee, headers)


def with_credentials(invite: Request, challenge: Response, *, username: str, password: str,
                     branch: str, cnonce: str) -> Request:
    """The INVITE again with an answer to ``challenge`` (a 401 or 407): same Call-ID and
    From tag, the next CSeq, a new branch (RFC 3261 22.2). DigestError when it cannot be
    answered."""
    challenge_header, answer_header = ANSWER_HEADER[challenge.status]
    offered = challenge.headers.get(challenge_header)
    if offered is None:
        raise digest.DigestError(f"the {challenge.status} has no {challenge_header}")
    parsed = digest.parse_challenge(offered)
    headers = invite.headers.copy()
    headers.remove("Via")
    top = invite.top_via.with_param("branch", branch)
    headers.add("Via", str(top), first=True)
    headers.set("CSeq", f"{invite.cseq[0] + 1} INVITE")
    headers.set(answer_header, digest.authorization(
        parsed, method="INVITE", uri=invite.uri, username=username, password=password,
        cnonce=cnonce, nc=1))
    return Request("INVITE", invite.uri, headers, invite.body)


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _name_addr(display_name: str | None, uri: str) -> str:
    # A name stored before format characters were refused shows without them.
    display_name = display_name and text.without_format_characters(display_name)
    if not display_name:
        return f"<{uri}>"
    quoted = display_name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" <{uri}>'
