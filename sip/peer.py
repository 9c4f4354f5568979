"""Answers to what a phone asks inside one of our dialogs: BYE (it hung up), a re-INVITE
(a session refresh: it gets the description it had from us), OPTIONS and the like."""

from __future__ import annotations

from sip.active import LegRuntime
from sip.builders import build_response
from sip.codec import Request, Response
from sip.requests import ALLOW

SDP = "application/sdp"
ANSWERED_AS_OK = frozenset({"BYE", "OPTIONS", "INFO", "NOTIFY", "CANCEL"})


def answer(leg: LegRuntime, description: bytes | None, request: Request) -> Response:
    assert leg.dialog is not None
    if not leg.dialog.check_remote_cseq(request):
        return build_response(request, 500, "Server Internal Error")
    if request.method == "INVITE":
        return _reinvite(leg, description, request)
    if request.method in ANSWERED_AS_OK:
        return build_response(request, 200, "OK")
    refused = build_response(request, 405, "Method Not Allowed")
    refused.headers.add("Allow", ALLOW)
    return refused


def _reinvite(leg: LegRuntime, description: bytes | None, request: Request) -> Response:
    """The media stays where it flows: a refresh (or a hold) is answered with what the
    phone last had from us; before the call is connected there is none yet (491)."""
    assert leg.dialog is not None
    if description is None:
        return build_response(request, 491, "Request Pending")
    leg.dialog.refresh_target(request)
    ok = build_response(request, 200, "OK")
    if leg.dialog.local_contact:
        ok.headers.add("Contact", leg.dialog.local_contact)
    ok.headers.add("Content-Type", SDP)
    ok.body = description
    return ok
