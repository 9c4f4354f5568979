"""The UAC side of a dialog created by a response to an INVITE we sent (RFC 3261 12)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from sip.address import NameAddr, parse_any_uri
from sip.builders import MAX_FORWARDS
from sip.codec import Message, Request, Response
from sip.grammar import ParseError, remove_params
from sip.headers import Headers
from sip.routing import DialogError, Hop, contact_uri, next_hop, request_uri_and_routes
from sip.via import parse_via

__all__ = [
    "TARGET_REFRESH_METHODS",
    "Dialog",
    "DialogError",
    "DialogKey",
    "DialogState",
    "Hop",
    "request_dialog_key",
    "response_dialog_key",
]

# Requests that carry our Contact, since they may change the remote target (RFC 3261 12.2).
TARGET_REFRESH_METHODS = frozenset({"INVITE", "UPDATE", "SUBSCRIBE", "NOTIFY", "REFER"})

DialogKey = tuple[str, str, str]  # (Call-ID, local tag, remote tag)
STORE_VERSION = 1
_MISSING = object()
_NONE = type(None)
# Stored fields and the JSON types each may hold.
_STORED_FIELDS: dict[str, tuple[type, ...]] = {
    "call_id": (str,),
    "local_tag": (str,),
    "remote_tag": (str,),
    "local_uri": (str,),
    "remote_uri": (str,),
    "remote_target": (str,),
    "route_set": (list,),
    "local_cseq": (int,),
    "remote_cseq": (int, _NONE),
    "secure": (bool,),
    "local_contact": (str, _NONE),
    "via": (str,),
    "state": (str,),
}


class DialogState(StrEnum):
    EARLY = "early"
    CONFIRMED = "confirmed"


def response_dialog_key(response: Response) -> DialogKey:
    """The key of the dialog a response to our request belongs to (our tag is in From)."""
    return response.call_id, response.from_.tag or "", response.to.tag or ""


def request_dialog_key(request: Request) -> DialogKey:
    """The key of the dialog a request from the peer belongs to (our tag is in To)."""
    return request.call_id, request.to.tag or "", request.from_.tag or ""


@dataclass(slots=True)
class Dialog:
    """Dialog state; ``request``, ``ack`` and ``next_hop`` build what is sent in it.

    ``via`` is our top Via from the INVITE without its branch; each request gets a new branch
    from the caller.
    """

    call_id: str
    local_tag: str
    remote_tag: str
    local_uri: str
    remote_uri: str
    remote_target: str
    route_set: tuple[str, ...]
    local_cseq: int
    remote_cseq: int | None
    secure: bool
    local_contact: str | None
    via: str
    state: DialogState
    # The last ACK built for a 2xx, re-sent for each retransmission of that 2xx; not stored.
    last_ack: Request | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_response(cls, invite: Request, response: Response) -> Dialog:
        """The dialog a 101-299 response with a To tag creates (RFC 3261 12.1.2)."""
        try:
            return cls._from_response(invite, response)
        except ParseError as error:
            raise DialogError(str(error)) from None

    @classmethod
    def _from_response(cls, invite: Request, response: Response) -> Dialog:
        remote_tag = response.to.tag
        if not 101 <= response.status <= 299 or remote_tag is None:
            raise DialogError("only a 101-299 response with a To tag creates a dialog")
        if response.call_id != invite.call_id or response.cseq != (invite.cseq[0], "INVITE"):
            raise DialogError("the response does not answer this INVITE")
        local = invite.from_
        if local.tag is None:
            raise DialogError("the INVITE has no From tag")
        return cls(
            call_id=invite.call_id,
            local_tag=local.tag,
            remote_tag=remote_tag,
            local_uri=str(local.uri),
            remote_uri=str(invite.to.uri),
            remote_target=contact_uri(response),
            route_set=tuple(reversed(response.headers.get_all("Record-Route"))),
            local_cseq=invite.cseq[0],
            remote_cseq=None,
            secure=parse_any_uri(invite.uri).scheme == "sips",
            local_contact=invite.headers.get("Contact"),
            via=_via_template(invite),
            state=DialogState.EARLY if response.status < 200 else DialogState.CONFIRMED,
        )

    @property
    def key(self) -> DialogKey:
        return self.call_id, self.local_tag, self.remote_tag

    def confirm(self, response: Response) -> None:
        """A 2xx for an early dialog: the route set and remote target come from it now."""
        if response_dialog_key(response) != self.key or not 200 <= response.status <= 299:
            raise DialogError("not a 2xx of this dialog")
        self.route_set = tuple(reversed(response.headers.get_all("Record-Route")))
        self.remote_target = contact_uri(response)
        self.state = DialogState.CONFIRMED

    def refresh_target(self, message: Message) -> None:
        """Take the remote target from the Contact of a target refresh (re-INVITE or its 2xx)."""
        if "Contact" in message.headers:
            self.remote_target = contact_uri(message)

    def request(
        self,
        method: str,
        *,
        branch: str,
        body: bytes = b"",
        content_type: str | None = None,
        extra_headers: Iterable[tuple[str, str]] = (),
    ) -> Request:
        """A new in-dialog request (RFC 3261 12.2.1.1); the local CSeq goes up by one."""
        if method in ("ACK", "CANCEL"):
            raise ValueError(f"{method} reuses its INVITE's CSeq: use ack() or build_cancel()")
        self.local_cseq += 1
        request = self._build(method, self.local_cseq, branch, extra_headers)
        _attach_body(request, body, content_type)
        return request

    def ack(
        self,
        invite_cseq: int,
        *,
        branch: str,
        body: bytes = b"",
        content_type: str | None = None,
        extra_headers: Iterable[tuple[str, str]] = (),
    ) -> Request:
        """The ACK for a 2xx to the INVITE with CSeq ``invite_cseq`` (RFC 3261 13.2.2.4).

        ``extra_headers`` should repeat the INVITE's Authorization headers, if any.
        """
        request = self._build("ACK", invite_cseq, branch, extra_headers)
        _attach_body(request, body, content_type)
        self.last_ack = request
        return request

    def ack_for_retransmission(self, response: Response) -> Request | None:
        """The ACK to send again for ``response`` when it is a retransmission of the 2xx
        that ``ack()`` answered (RFC 3261 13.2.2.4); None otherwise."""
        if self.last_ack is None or not 200 <= response.status <= 299:
            return None
        if response.cseq != (self.last_ack.cseq[0], "INVITE"):
            return None
        return self.last_ack if response_dialog_key(response) == self.key else None

    def _build(
        self, method: str, cseq: int, branch: str, extra_headers: Iterable[tuple[str, str]]
    ) -> Request:
        request_uri, routes = request_uri_and_routes(self.route_set, self.remote_target)
        headers = Headers()
        headers.add("Via", str(parse_via(self.via).with_param("branch", branch)))
        for route in routes:
            headers.add("Route", route)
        headers.add("Max-Forwards", str(MAX_FORWARDS))
        local = NameAddr(None, parse_any_uri(self.local_uri), (("tag", self.local_tag),))
        remote = NameAddr(None, parse_any_uri(self.remote_uri), (("tag", self.remote_tag),))
        headers.add("From", str(local))
        headers.add("To", str(remote))
        headers.add("Call-ID", self.call_id)
        headers.add("CSeq", f"{cseq} {method}")
        if method in TARGET_REFRESH_METHODS and self.local_contact is not None:
            headers.add("Contact", self.local_contact)
        for name, value in extra_headers:
            headers.add(name, value)
        return Request(method, request_uri, headers)

    def next_hop(self) -> Hop:
        """Where to send the next request: the first Route, else the remote target."""
        return next_hop(self.route_set, self.remote_target)

    def matches(self, request: Request) -> bool:
        """Whether the peer sent ``request`` in this dialog (Call-ID, our tag in To, theirs
        in From)."""
        try:
            return request_dialog_key(request) == self.key
        except ParseError:
            return False

    def check_remote_cseq(self, request: Request) -> bool:
        """Record the peer's CSeq (RFC 3261 12.2.2). False: it is lower than one seen before,
        answer 500. ACK and CANCEL carry their INVITE's number and are always accepted."""
        if request.method in ("ACK", "CANCEL"):
            return True
        number = request.cseq[0]
        if self.remote_cseq is not None and number < self.remote_cseq:
            return False
        self.remote_cseq = number
        return True

    def to_dict(self) -> dict[str, Any]:
        """JSON-able state, enough to send BYE after a restart."""
        data: dict[str, Any] = {name: getattr(self, name) for name in _STORED_FIELDS}
        data.update(version=STORE_VERSION, route_set=list(self.route_set), state=self.state.value)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Dialog:
        if data.get("version") != STORE_VERSION:
            raise DialogError("unknown stored dialog version")
        for name, types in _STORED_FIELDS.items():
            value = data.get(name, _MISSING)
            # bool is an int subclass: only a field that allows bool may hold one.
            if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
                raise DialogError(f"stored dialog field {name!r} missing or of the wrong type")
        if not all(isinstance(route, str) for route in data["route_set"]):
            raise DialogError("stored route set must hold strings")
        if data["state"] not in set(DialogState):
            raise DialogError("unknown stored dialog state")
        fields = {name: data[name] for name in _STORED_FIELDS}
        fields.update(route_set=tuple(data["route_set"]), state=DialogState(data["state"]))
        return cls(**fields)


def _via_template(invite: Request) -> str:
    """Our top Via without what belongs to one transaction or was added on the way back."""
    via = invite.top_via
    params = remove_params(via.params, "branch", "received", "rport")
    if via.wants_rport:
        params = (*params, ("rport", None))
    return str(replace(via, params=params))


def _attach_body(request: Request, body: bytes, content_type: str | None) -> None:
    if body and content_type is None:
        raise ValueError("a body needs a content type")
    if content_type is not None:
        request.headers.add("Content-Type", content_type)
    request.body = body
