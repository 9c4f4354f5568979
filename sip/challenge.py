"""Digest challenges (401/407) to our INVITEs: the INVITE sent again with credentials, once
per kind of challenge."""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING

from models.storage.repository import calls_repo
from sip.active import ActiveCall, Context, LegRuntime, token
from sip.codec import Response, serialize
from sip.digest import DigestError
from sip.requests import with_credentials
from sip.via import new_branch

if TYPE_CHECKING:
    from sip.controller import Controller

log = logging.getLogger(__name__)


def answer(controller: Controller, call: ActiveCall, leg: LegRuntime,
       challenge: Response) -> bool:
    """Send the INVITE again with credentials, once per kind of challenge; False when
    there are none to give (the challenge is then the leg's final answer)."""
    account = call.account
    if challenge.status in leg.answered_challenges or not account.username:
        return False
    try:
        invite = with_credentials(leg.invite, challenge, username=account.username,
                                  password=account.password or "",
                                  branch=new_branch(token()), cnonce=secrets.token_hex(8))
    except DigestError as error:
        log.warning("cannot answer the challenge for %s: %s", leg.sip_call_id, error)
        return False
    leg.invite = invite
    leg.answered_challenges.add(challenge.status)
    text = serialize(invite).decode("utf-8", "replace")
    if leg.row_id is not None:
        row_id = leg.row_id
        controller.store.write_later(lambda conn: calls_repo.rewrite_invite(conn, row_id, text))
    assert controller.endpoint is not None  # a call is answered only once it is running
    controller.endpoint.request(invite, account.trunk.hop, Context(call, leg.key, "invite"))
    return True

