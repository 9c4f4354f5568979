"""Real calls under load while processes die (issue 14): 2,000 tasks with mixed outcomes
from sipp phones (answer, busy, no answer, decline) behind a kamailio trunk; the controller
SIGKILLed three times and a worker three times; then two controllers at once, one killed
for good. Every task ends; no number gets a second INVITE transaction for one try (counted
at the phones from their traces); calls talking when a controller died are BYEd; a call is
never handled by two controllers."""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from api import enqueue
from models import clock
from models.storage.call_tables import call_legs
from models.storage.tables import tasks
from tests import support
from tests.conftest import StackFactory
from tests.integration.test_core_flow import CLIENT_ID, add
from tests.sip.peers import Sipp, SipPeers

OUTCOMES = ("a_answer.xml", "a_busy.xml", "a_ring_forever.xml", "a_decline.xml")
B_TALKS = "+15559990000"
CONTROLLER = [sys.executable, "-m", "api.cli", "sip"]
KILL_EVERY_S = 3.0


def phones(peers: SipPeers, outcomes: tuple[str, ...] = OUTCOMES,
           pause_ms: int | None = None) -> tuple[dict[str, Sipp], Any]:
    """An A phone per outcome (A numbers +1555<k>...) and a B phone that talks."""
    started = {scenario: peers.uas(scenario, name=scenario[:-4], pause_ms=pause_ms)
               for scenario in outcomes}
    started["b"] = peers.uas("b_answer.xml", name="b")
    routes = {f"+1555{k + 1}": started[s].address for k, s in enumerate(outcomes)}
    trunk = peers.kamailio({**routes, "+1555999": started["b"].address})
    return started, trunk


def task_list(n: int, first: int = 0) -> list[dict[str, Any]]:
    """Two tries each, so busy, unanswered and declined calls are dialled again."""
    return [{"a_number": f"+1555{i % 4 + 1}{i:06d}", "b_number": B_TALKS, "try_count": 2,
             "try_again_pause": 1} for i in range(first, first + n)]


def paced_scheduler(engine: sa.Engine) -> int:
    """At most 120 tasks at once, so 2,000 tasks keep the stack busy while processes die."""
    created = enqueue.create_scheduler(
        engine, CLIENT_ID, {"name": "load", "concurrent_task_limit": 120}, clock.now())
    return int(created["id"])


def statuses(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(tasks.c.status, sa.func.count())
                            .group_by(tasks.c.status)).all()
    return {str(s): int(n) for s, n in rows}


def talking(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.select(call_legs.c.sip_call_id).where(
            call_legs.c.leg == "B", call_legs.c.answered_at.is_not(None),
            call_legs.c.ended_at.is_(None))).scalars())


def assert_one_invite_per_number_and_try(started: dict[str, Sipp]) -> None:
    for phone in started.values():
        transactions = phone.invite_transactions()
        assert transactions, f"{phone.name} saw no INVITE"
        twice = {call_id: n for call_id, n in transactions.items() if n > 1}
        assert not twice, f"{phone.name}: {list(twice.items())[:5]}"


@pytest.mark.slow  # run by .ci/run after the suite (pytest -m slow)
def test_controller_and_worker_killed_three_times_each_under_load(
    engine: sa.Engine, stack_factory: StackFactory, tmp_path: Path
) -> None:
    with SipPeers(tmp_path / "peers") as peers:
        started, trunk = phones(peers)
        stack = stack_factory(
            dialer="sip", sip_trunk=f"sip:{trunk.address}",
            sip_listen=f"127.0.0.1:{support.free_port()}", sip_controller_id="the-controller",
            sip_a_ring_timeout_s=2, sip_max_call_s=4, claimed_resend_after_s=2,
            broker_visibility_timeout_s=10, log_format="text")
        stack.start_command("sip-0", CONTROLLER)
        stack.start_worker("worker-0")
        stack.start_beat()
        add(engine, paced_scheduler(engine), task_list(2000))
        kills = {"sip": 0, "worker": 0}
        talking_at_kills: set[str] = set()
        next_kill = time.monotonic() + KILL_EVERY_S
        deadline = time.monotonic() + 300
        while statuses(engine) != {"finished": 2000}:
            assert time.monotonic() < deadline, statuses(engine)
            if time.monotonic() >= next_kill and min(kills.values()) < 3:
                kind = "sip" if kills["sip"] <= kills["worker"] else "worker"
                stack.kill(f"{kind}-{kills[kind]}")
                if kind == "sip":
                    talking_at_kills |= talking(engine)
                kills[kind] += 1
                if kind == "sip":
                    stack.start_command(f"sip-{kills[kind]}", CONTROLLER)
                else:
                    stack.start_worker(f"worker-{kills[kind]}")
                next_kill = time.monotonic() + KILL_EVERY_S
            stack.check_alive()
            stack.pause()
        assert kills == {"sip": 3, "worker": 3}
    assert_one_invite_per_number_and_try(started)
    byes = {m.call_id for m in started["b"].messages()
            if m.direction == "received" and m.method == "BYE"}
    assert talking_at_kills and talking_at_kills <= byes


def test_two_controllers_one_killed_the_other_carries_on(
    engine: sa.Engine, stack_factory: StackFactory, tmp_path: Path
) -> None:
    with SipPeers(tmp_path / "peers") as peers:
        started, trunk = phones(peers)
        ports = {name: support.free_port() for name in ("sip-a", "sip-b")}
        stack = stack_factory(dialer="sip", sip_trunk=f"sip:{trunk.address}",
                              sip_a_ring_timeout_s=2, sip_max_call_s=2,
                              sip_controller_timeout_s=3, log_format="text")
        for name, port in ports.items():
            stack.env.update(RINGBACK_SIP_LISTEN=f"127.0.0.1:{port}",
                             RINGBACK_SIP_CONTROLLER_ID=name)
            stack.start_command(name, CONTROLLER)
        stack.start_worker()
        stack.start_beat()
        add(engine, paced_scheduler(engine), task_list(600))
        stack.wait_for(lambda: len(talking(engine)) >= 10, 60, "calls talking")
        stack.kill("sip-a")
        stack.wait_for(lambda: statuses(engine) == {"finished": 600}, 180, "every task")
    assert_one_invite_per_number_and_try(started)
    senders: dict[str, set[int]] = defaultdict(set)  # a try's INVITEs, by sending port
    for phone in started.values():
        for m in phone.messages():
            if m.direction == "received" and m.method == "INVITE" and m.to_tag is None:
                try_id = (m.call_id or "").split("-", 1)[0]
                ours = m.headers("Via")[-1].split(",")[-1]  # the bottom Via: the sender's
                senders[try_id].add(int(ours.split(";")[0].split(":")[-1]))
    assert all(len(ports_used) == 1 for ports_used in senders.values()), "a try in two hands"
    assert {p for used in senders.values() for p in used} == set(ports.values())
    assert "took over" in (stack.workdir / "sip-b.log").read_text()
