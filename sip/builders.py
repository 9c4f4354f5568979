"""Messages derived from another: the CANCEL (RFC 3261 9.1) and non-2xx ACK (17.1.1.3) for
an INVITE we sent, and a response to a request we received (8.2.6)."""

from __future__ import annotations

from sip.codec import Request, Response
from sip.headers import Headers

MAX_FORWARDS = 70


def _derived(invite: Request, method: str, to: str) -> Request:
    """A request of ``method`` on the INVITE's transaction: its top Via, Routes and CSeq."""
    if invite.method != "INVITE":
        raise ValueError(f"expected an INVITE, got {invite.method}")
    number, _method = invite.cseq
    headers = Headers()
    headers.add("Via", str(invite.top_via))
    for route in invite.headers.get_all("Route"):
        headers.add("Route", route)
    headers.add("Max-Forwards", str(MAX_FORWARDS))
    headers.add("From", invite.headers.get("From") or "")
    headers.add("To", to)
    headers.add("Call-ID", invite.call_id)
    headers.add("CSeq", f"{number} {method}")
    return Request(method, invite.uri, headers)


def build_cancel(invite: Request, reason_header: str | None = None) -> Request:
    """The CANCEL for ``invite``; ``reason_header`` is an RFC 3326 Reason value, if any."""
    cancel = _derived(invite, "CANCEL", invite.headers.get("To") or "")
    if reason_header is not None:
        cancel.headers.add("Reason", reason_header)
    return cancel


def build_non2xx_ack(invite: Request, response: Response) -> Request:
    """The ACK the INVITE client transaction sends for a 300-699 response: same branch,
    To (with the tag) from the response."""
    if not 300 <= response.status <= 699:
        raise ValueError("only a 300-699 response is ACKed by the transaction")
    return _derived(invite, "ACK", response.headers.get("To") or "")


def build_response(
    request: Request, status: int, reason: str, *, to_tag: str | None = None
) -> Response:
    """A response to ``request`` as a UAS makes it (RFC 3261 8.2.6.2): its Vias, From,
    Call-ID and CSeq; its To with ``to_tag`` added when it has no tag yet (not for a 100)."""
    headers = Headers()
    for via in request.headers.get_all("Via"):
        headers.add("Via", via)
    headers.add("From", request.headers.get("From") or "")
    to = request.to
    if to.tag is None and to_tag is not None and status != 100:
        to = to.with_tag(to_tag)
    headers.add("To", str(to) if to != request.to else request.headers.get("To") or "")
    headers.add("Call-ID", request.call_id)
    headers.add("CSeq", request.headers.get("CSeq") or "")
    return Response(status, reason, headers)
