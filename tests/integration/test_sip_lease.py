"""A controller cut off from its database (the link frozen: nothing closed, nothing moves)
lets its calls go once its lease lapses (3/4 of the controller timeout after its last
heartbeat), before any other controller may take them over: connected legs get a BYE and
ringing legs a CANCEL while it is still cut off, and it sends nothing of its own for them
after. Back, it takes over what it held from its saved state, the tries end, and it takes
new calls again."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from models.storage.call_tables import call_legs, calls
from tests import support
from tests.conftest import StackFactory
from tests.integration.test_core_flow import add, new_scheduler
from tests.integration.test_sip_faults import b_number, count, finished
from tests.sip.peers import Sipp, SipPeers
from tests.tcp_proxy import FreezableProxy

TASKS = 12
CONTROLLER_ID = "the-controller"


def received(phone: Sipp, method: str) -> set[str]:
    return {m.call_id or "" for m in phone.messages()
            if m.direction == "received" and m.method == method}


def held(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).where(
            calls.c.controller == CONTROLLER_ID, calls.c.status == "placed")).scalar_one())


def proxied(database_url: str, port: int) -> str:
    return database_url.replace("@127.0.0.1:5432/", f"@127.0.0.1:{port}/")


def wait(probe: Callable[[], bool], timeout_s: float, what: str,
         stack: support.Stack) -> None:
    stack.wait_for(lambda: probe() or None, timeout_s, what)


def test_a_controller_cut_off_from_its_database_lets_go_then_takes_its_calls_back(
    engine: sa.Engine, database_url: str, stack_factory: StackFactory, tmp_path: Path
) -> None:
    with FreezableProxy(("127.0.0.1", 5432)) as proxy, SipPeers(tmp_path / "peers") as peers:
        a = peers.uas("a_answer.xml", name="a")
        talking = peers.uas("b_answer.xml", name="b-talking")
        ringing = peers.uas("b_ring_forever.xml", name="b-ringing")
        trunk = peers.kamailio({"+1555000": a.address, "+15559990": talking.address,
                                "+15559991": ringing.address})
        settings = dict(dialer="sip", sip_trunk=f"sip:{trunk.address}",
                        sip_b_ring_timeout_s=120, sip_max_call_s=120,
                        sip_controller_timeout_s=4, log_format="text")
        stack = stack_factory(**settings)
        controller = stack_factory(database_url=proxied(database_url, proxy.port),
                                   sip_controller_id=CONTROLLER_ID,
                                   sip_listen=f"127.0.0.1:{support.free_port()}", **settings)
        controller.start_command("sip", [sys.executable, "-m", "api.cli", "sip"])
        stack.start_worker()
        stack.start_beat()
        scheduler = new_scheduler(engine)
        add(engine, scheduler, [{"a_number": f"+1555000{i:04d}", "b_number": b_number(i)}
                                for i in range(TASKS)])
        half = TASKS // 2
        stack.wait_for(lambda: count(engine, call_legs.c.leg == "B",
                                     call_legs.c.answered_at.is_not(None)) == half and
                       count(engine, call_legs.c.leg == "B", call_legs.c.ringing_at.is_not(None),
                             call_legs.c.answered_at.is_(None)) == half, 60,
                       "B legs talking and ringing")
        proxy.freeze()

        # Cut off, it ends every leg it holds: before its timeout, no other controller may.
        wait(lambda: len(received(a, "BYE")) == TASKS and len(received(talking, "BYE")) == half
             and len(received(ringing, "CANCEL")) == half, 15, "BYEs and CANCELs", stack)
        assert held(engine) == TASKS  # nothing written meanwhile: the database is away

        proxy.thaw()
        stack.wait_for(lambda: finished(engine) == {"finished": TASKS}, 60, "every task")
        assert held(engine) == 0
        log = (tmp_path / "sip.log").read_text()
        assert f"let go of {TASKS} calls" in log
        assert f"took over {TASKS} calls of {CONTROLLER_ID}" in log

        # Back, it takes new calls: one connected (A and B answered) and held by it.
        add(engine, scheduler, [{"a_number": "+15550009999", "b_number": "+15559990999"}])
        stack.wait_for(lambda: held(engine) == 1 and count(
            engine, call_legs.c.number == "+15559990999",
            call_legs.c.answered_at.is_not(None)) == 1, 60, "a new call connected")
    for phone in (a, talking, ringing):
        assert set(phone.invite_transactions().values()) == {1}, phone.name
