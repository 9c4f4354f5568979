"""Calls a controller held when it died: taken over by its next life (same id) or by another
controller once it has been silent too long. A call none of whose INVITEs went out is
placed now. A call that had sent INVITEs is never sent again: its answered legs get a BYE
from their saved dialogs, its unanswered legs a CANCEL from their saved INVITEs (a late 2xx
is ACKed and BYEd), and the try ends (connected if both legs had answered, else lost)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from models import clock
from models.rules.outcome import CallOutcome
from models.shapes.rows import ClaimedCall, LegRow
from models.storage.repository import calls_repo
from sip.active import token
from sip.codec import Request
from sip.controller import Controller
from sip.dialog import Dialog, DialogError
from sip.grammar import ParseError
from sip.message import parse
from sip.strays import StrayContext
from sip.via import new_branch

log = logging.getLogger(__name__)
TAKE_OVER_BATCH_MAX = 500


def end_call_from_saved_state(controller: Controller, call: ClaimedCall,
                              legs: Sequence[LegRow], now: datetime) -> dict[str, Any] | None:
    """End what the dead controller left of ``call``; the outcome to record (None: lost)."""
    for leg in legs:
        if leg.ended_at is not None or leg.status_code is not None:
            continue
        if leg.dialog is not None:
            _bye(controller, leg.sip_call_id, leg.dialog)
        else:
            invite = _saved_invite(leg)
            if invite is not None:
                # CANCELled even when no provisional was recorded (it may have come just
                # before the crash, unwritten): the INVITE left long enough ago for the trunk
                # to hold its transaction, and a CANCEL it cannot match is answered 481.
                controller.strays.adopt(invite, cancel=True)
    answered = {leg.leg: leg.answered_at for leg in legs if leg.answered_at is not None}
    if "A" in answered and "B" in answered:
        talk_s = max(0.0, (now - max(answered.values())).total_seconds())
        return CallOutcome(True, True, cdr=call.uuid, talk_seconds=talk_s).to_json()
    return None


def _bye(controller: Controller, sip_call_id: str, saved: dict[str, Any]) -> None:
    try:
        dialog = Dialog.from_dict(saved)
        request = dialog.request("BYE", branch=new_branch(token()))
    except (DialogError, ParseError, ValueError) as error:
        log.warning("the saved dialog of %s cannot be ended: %s", sip_call_id, error)
        return
    assert controller.endpoint is not None
    controller.endpoint.request(request, dialog.next_hop(), StrayContext())


def _saved_invite(leg: LegRow) -> Request | None:
    try:
        invite = parse(leg.invite.encode())
    except ParseError:
        return None
    return invite if isinstance(invite, Request) else None


def ended_rows(legs: Sequence[LegRow], now: datetime) -> list[dict[str, Any]]:
    """The legs the take-over ended: by us, now."""
    return [{"id": leg.id, "ended_at": now, "hangup_by": "ringback"} for leg in legs
            if leg.ended_at is None and leg.status_code is None]


def split_unsent(calls: Sequence[ClaimedCall], legs: Sequence[LegRow]
                 ) -> tuple[list[ClaimedCall], list[tuple[ClaimedCall, list[LegRow]]]]:
    """(calls that sent nothing, calls that sent INVITEs with their legs)."""
    by_call: dict[int, list[LegRow]] = {}
    for leg in legs:
        by_call.setdefault(leg.call_id, []).append(leg)
    unsent = [call for call in calls if call.id not in by_call]
    sent = [(call, by_call[call.id]) for call in calls if call.id in by_call]
    return unsent, sent


def record_endings(conn: Any, controller: str,
                   endings: Sequence[tuple[int, dict[str, Any] | None]],
                   leg_rows: Sequence[dict[str, Any]]) -> None:
    calls_repo.update_legs(conn, controller, leg_rows)
    now = clock.now()
    calls_repo.end_calls(conn, controller, [calls_repo.CallEnd(call_id, outcome, now)
                                            for call_id, outcome in endings])
