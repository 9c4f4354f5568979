"""Invariant 1 over SIP, counted at the phones: a worker SIGKILLed while it places tries and
the controller SIGKILLed with calls ringing and calls connected. No number gets a second
INVITE transaction for one try; every task ends; the calls that were connected are BYEd,
and the ringing ones CANCELled, by the controller's next life from their saved state."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from models.storage.call_tables import call_legs
from models.storage.tables import tasks
from tests import support
from tests.conftest import StackFactory
from tests.integration.test_core_flow import add, new_scheduler
from tests.sip.peers import SipPeers

TASKS = 40
CONTROLLER_ID = "controller-under-test"


def b_number(i: int) -> str:
    # Even tasks' B answers and talks until hung up; odd tasks' B rings until cancelled.
    return f"+1555999{i % 2}{i:03d}"


def count(engine: sa.Engine, *where: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(call_legs)
                                .where(*where)).scalar_one())


def finished(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(tasks.c.status, sa.func.count())
                            .group_by(tasks.c.status)).all()
    return {str(s): int(n) for s, n in rows}


def test_killed_worker_and_controller_send_no_second_invite_and_end_every_call(
    engine: sa.Engine, stack_factory: StackFactory, tmp_path: Path
) -> None:
    with SipPeers(tmp_path / "peers") as peers:
        a = peers.uas("a_answer.xml", name="a")
        talking = peers.uas("b_answer.xml", name="b-talking")
        ringing = peers.uas("b_ring_forever.xml", name="b-ringing")
        trunk = peers.kamailio({"+1555000": a.address, "+15559990": talking.address,
                                "+15559991": ringing.address})
        sip_port = support.free_port()
        stack = stack_factory(
            dialer="sip", sip_trunk=f"sip:{trunk.address}", sip_listen=f"127.0.0.1:{sip_port}",
            sip_controller_id=CONTROLLER_ID, sip_b_ring_timeout_s=8, sip_max_call_s=10,
            unplaced_after_s=600, claimed_resend_after_s=2, log_format="text")
        controller = [sys.executable, "-m", "api.cli", "sip"]
        stack.start_command("sip-1", controller)
        stack.start_worker("worker-1")
        stack.start_beat()
        add(engine, new_scheduler(engine), [
            {"a_number": f"+1555000{i:04d}", "b_number": b_number(i)} for i in range(TASKS)])
        # The worker dies while tries are being handed over.
        stack.wait_for(lambda: count(engine) > 0, 30, "the first INVITEs")
        stack.kill("worker-1")
        stack.start_worker("worker-2")
        # The controller dies with B legs talking and B legs ringing.
        stack.wait_for(lambda: count(engine, call_legs.c.leg == "B",
                                     call_legs.c.answered_at.is_not(None)) >= 5 and
                       count(engine, call_legs.c.leg == "B", call_legs.c.ringing_at.is_not(None),
                             call_legs.c.answered_at.is_(None)) >= 5, 60, "talking and ringing")
        stack.kill("sip-1")
        with engine.connect() as conn:  # nobody but the next controller can end these now
            talking_at_kill = set(conn.execute(sa.select(call_legs.c.sip_call_id).where(
                call_legs.c.leg == "B", call_legs.c.answered_at.is_not(None))).scalars())
        stack.start_command("sip-2", controller)
        stack.wait_for(lambda: finished(engine) == {"finished": TASKS}, 120,
                       "every task to end")
        for phone in (a, talking, ringing):
            transactions = phone.invite_transactions()
            assert transactions and set(transactions.values()) == {1}, phone.name
        byes = {m.call_id for m in talking.messages()
                if m.direction == "received" and m.method == "BYE"}
        assert talking_at_kill and talking_at_kill <= byes
        cancels = [m for m in ringing.messages() if m.direction == "received"
                   and m.method == "CANCEL"]
        assert {m.call_id for m in cancels} == {m.call_id for m in ringing.messages()
                                                  if m.method == "INVITE"}
        assert "took over" in (stack.workdir / "sip-2.log").read_text()
