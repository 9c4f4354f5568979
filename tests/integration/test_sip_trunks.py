"""The trunk side of real calls: digest authentication through kamailio (the default account,
wrong credentials, an extension's own account), TCP to the trunk, and a B leg that rings
forty seconds while A's dialog holds (RFC 3725 flow III: A's 200 was ACKed at once)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from models import clock
from models.storage.call_tables import sip_accounts
from models.storage.tables import clients
from tests.integration.sip_rig import A1, QUICK, B, SipRig, sip_rig
from tests.integration.test_core_flow import CLIENT_ID
from tests.integration.test_sip_calls import methods, settled
from tests.sip.peers import DigestAuth, Kamailio, Sipp

__all__ = ["sip_rig"]
REALM = "ringback.test"


def authenticated_trunk(rig: SipRig, users: dict[str, str],
                        wrong_password_status: int = 403) -> tuple[Kamailio, Sipp]:
    a = rig.peers.uas("a_answer_hangup.xml", name="a1", pause_ms=300)
    b = rig.peers.uas("b_answer.xml", name="b")
    auth = DigestAuth(REALM, users, wrong_password_status=wrong_password_status)
    trunk = rig.peers.kamailio({"+15550001": a.address, "+1555999": b.address}, auth=auth)
    return trunk, a


def test_the_default_account_answers_the_proxy_s_challenge(sip_rig: SipRig) -> None:
    trunk, phone = authenticated_trunk(sip_rig, {"ringback": "s3cret"})
    sip_rig.start_controller(trunk.address, sip_username="ringback",
                             sip_password="s3cret", **QUICK)
    (task_id,) = sip_rig.place({"a_number": A1, "b_number": B})
    assert sip_rig.finished(task_id).finish_result == "success"
    a_leg = sip_rig.legs(task_id)[0]
    assert 'Proxy-Authorization: Digest username="ringback"' in a_leg.invite
    assert f'realm="{REALM}"' in a_leg.invite and "qop=auth" in a_leg.invite
    assert phone.invites_per_number() == {A1: 1}


def test_wrong_credentials_end_the_try_failed_naming_the_status(sip_rig: SipRig) -> None:
    trunk, phone = authenticated_trunk(sip_rig, {"ringback": "s3cret"},
                                       wrong_password_status=407)
    sip_rig.start_controller(trunk.address, sip_username="ringback",
                             sip_password="wrong", **QUICK)
    (task_id,) = sip_rig.place({"a_number": A1, "b_number": B})
    task = sip_rig.finished(task_id)
    assert task.finish_result == "failed"
    assert task.finish_comment.startswith(
        "A leg failed: 407 Proxy Authentication Required"), task.finish_comment
    assert phone.invites_per_number() == {}


def test_a_task_s_extension_chooses_the_account_its_call_is_placed_from(
    sip_rig: SipRig,
) -> None:
    trunk, phone = authenticated_trunk(sip_rig, {"ringback": "s3cret", "agent12": "pw12"})
    sip_rig.start_controller(trunk.address, sip_username="ringback",
                             sip_password="s3cret", **QUICK)
    sip_rig.place({"a_number": A1, "b_number": B, "start_time_utc": "2035-01-01 00:00:00"})
    with sip_rig.engine.begin() as conn:  # the client exists now
        assert conn.execute(sa.select(clients.c.id)).scalar() == CLIENT_ID
        conn.execute(sip_accounts.insert().values(
            client_id=CLIENT_ID, extension_id=12, username="agent12", password="pw12",
            domain="agents.example", created_at=clock.now()))
    (task_id,) = sip_rig.place({"a_number": A1, "b_number": B, "extension_id": 12})
    assert sip_rig.finished(task_id).finish_result == "success"
    a_leg = sip_rig.legs(task_id)[0]
    assert 'username="agent12"' in a_leg.invite
    invite = next(m for m in phone.messages()
                  if m.method == "INVITE" and m.direction == "received")
    assert "<sip:agent12@agents.example>" in (invite.header("From") or "")


def test_an_extension_without_an_account_fails_without_dialling(sip_rig: SipRig) -> None:
    trunk, phone = authenticated_trunk(sip_rig, {"ringback": "s3cret"})
    sip_rig.start_controller(trunk.address, **QUICK)
    (task_id,) = sip_rig.place({"a_number": A1, "b_number": B, "extension_id": 77})
    task = sip_rig.finished(task_id)
    assert "no SIP account for extension 77" in task.finish_comment
    assert sip_rig.legs(task_id) == [] and phone.messages() == []


def test_calls_to_the_trunk_over_tcp(sip_rig: SipRig) -> None:
    a = sip_rig.peers.uas("a_answer_hangup.xml", name="a1", pause_ms=300)
    b = sip_rig.peers.uas("b_answer.xml", name="b")
    trunk = sip_rig.peers.kamailio({"+15550001": a.address, "+1555999": b.address})
    sip_rig.start_controller(f"{trunk.address};transport=tcp", **QUICK)
    (task_id,) = sip_rig.place({"a_number": A1, "b_number": B})
    assert sip_rig.finished(task_id).finish_result == "success"
    assert "SIP/2.0/TCP" in sip_rig.legs(task_id)[0].invite
    assert "BYE" in methods(settled(b))


@pytest.mark.slow  # run by .ci/run after the suite (pytest -m slow)
def test_b_rings_forty_seconds_while_a_s_dialog_holds(sip_rig: SipRig) -> None:
    a = sip_rig.peers.uas("a_answer.xml", name="a1")
    b = sip_rig.peers.uas("b_ring_then_answer.xml", name="b", pause_ms=40_000)
    trunk = sip_rig.peers.kamailio({"+15550001": a.address, "+1555999": b.address})
    sip_rig.start_controller(trunk.address, sip_b_ring_timeout_s=45)
    (task_id,) = sip_rig.place({"a_number": A1, "b_number": B})
    b.wait_for(lambda ms: any(m.method == "ACK" for m in ms), 60, "B answered after ringing")
    a_leg, b_leg = sip_rig.legs(task_id)
    assert (b_leg.answered_at - a_leg.answered_at).total_seconds() >= 40
    # A was never hung up on while B rang, and took B's media in the re-INVITE.
    received = methods(a)
    assert received.count("INVITE") == 2 and "BYE" not in received
    assert [m.status for m in a.messages() if m.direction == "sent"
            and m.cseq == "2 INVITE"] == [200]
