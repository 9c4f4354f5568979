"""Scale out across hosts (issue 14): three hosts (network namespaces on a bridge) each run
a worker and a SIP controller against one PostgreSQL, one Redis and the SIP peers, all on
the bridge's address. One host's link is cut mid-run (its veth set down: the processes live
on and their packets vanish, no connection is closed), then restored. Nothing is dialled
twice, the calls it held end (taken over by another host), the others carry the work
meanwhile, and once back it takes calls and tasks again."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from api import enqueue
from models import clock
from models.storage import migrate
from models.storage.call_tables import call_legs, calls
from models.storage.tables import attempts
from tests import netns, support
from tests.integration.test_core_flow import CLIENT_ID, add
from tests.integration.test_sip_load_faults import (
    OUTCOMES,
    assert_one_invite_per_number_and_try,
    phones,
    statuses,
    task_list,
)
from tests.sip.peers import Sipp, SipPeers

CONTROLLER = [sys.executable, "-m", "api.cli", "sip"]
SIP_PORT = 5060
FIRST_TASKS = 600
LATER_TASKS = 200


@contextmanager
def infrastructure(address: str, work: Path) -> Iterator[tuple[str, str]]:
    """PostgreSQL and Redis of this test's own on ``address``: (database URL, broker URL)."""
    # Not under pytest's folders: they are private to root, and the server runs as postgres.
    base = Path(tempfile.mkdtemp(prefix="ringback-pg-"))
    base.chmod(0o755)
    postgres = support.OwnPostgres(support.free_port(), base / "data", host=address)
    redis = support.OwnRedis(support.free_port(), work, host=address)
    try:
        postgres.init()
        postgres.start()
        redis.start()
        url = postgres.url("ringback")
        with support.engine_for(postgres.url("postgres")) as admin, \
                admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("CREATE DATABASE ringback")
        migrate.upgrade(url)
        yield url, f"redis://{address}:{redis.port}/0"
    finally:
        redis.kill()
        postgres.stop()
        shutil.rmtree(base, ignore_errors=True)


def held_by(engine: sa.Engine, controller: str) -> dict[int, int]:
    """Calls ``controller`` holds now: call id → try id."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(calls.c.id, calls.c.attempt_id).where(
            calls.c.controller == controller, calls.c.status == "placed")).all()
    return {int(r.id): int(r.attempt_id) for r in rows}


def talking_on(engine: sa.Engine, controller: str) -> set[str]:
    """B legs answered and not ended, of calls ``controller`` holds: their Call-IDs."""
    with engine.connect() as conn:
        return set(conn.execute(
            sa.select(call_legs.c.sip_call_id).join(calls, calls.c.id == call_legs.c.call_id)
            .where(calls.c.controller == controller, calls.c.status == "placed",
                   call_legs.c.leg == "B", call_legs.c.answered_at.is_not(None),
                   call_legs.c.ended_at.is_(None))).scalars())


def call_rows(engine: sa.Engine, call_ids: set[int]) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(calls.c.status, calls.c.controller, calls.c.attempt_id)
                                 .where(calls.c.id.in_(call_ids))).all())


def try_statuses(engine: sa.Engine, attempt_ids: set[int]) -> set[str]:
    with engine.connect() as conn:
        return {str(s) for s in conn.execute(sa.select(attempts.c.status).where(
            attempts.c.id.in_(attempt_ids))).scalars()}


def placed_by_since(engine: sa.Engine, controller: str, since: datetime) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).where(
            calls.c.controller == controller, calls.c.placed_at > since)).scalar_one())


def invites_first_seen_after(started: dict[str, Sipp], since: datetime,
                             tries: set[int]) -> list[str]:
    """Call-IDs of these tries whose first INVITE reached a phone after ``since`` (the
    phones' local time): a leg begun by a controller that no longer held its call."""
    late = []
    for phone in started.values():
        first: dict[str, datetime] = {}
        for m in phone.messages():
            if m.direction == "received" and m.method == "INVITE" and m.to_tag is None:
                first.setdefault(m.call_id or "", m.time)
        late += [call_id for call_id, at in first.items()
                 if at > since and int(call_id.split("-", 1)[0].removeprefix("rb")) in tries]
    return late


@pytest.mark.slow  # run by .ci/run after the suite (pytest -m slow)
def test_a_host_cut_off_mid_run_then_restored(tmp_path: Path) -> None:
    with netns.network(3) as network, \
            infrastructure(network.address, tmp_path) as (database_url, broker_url), \
            support.engine_for(database_url) as engine, \
            SipPeers(tmp_path / "peers", host=network.address) as peers:
        # A rings a second before it answers: answers come while the host is cut off.
        started, trunk = phones(peers, ("a_ring_answer.xml", *OUTCOMES[1:]), pause_ms=1000)
        stack = support.Stack(support.stack_env(
            database_url, broker_url, tmp_path, None, dialer="sip",
            sip_trunk=f"sip:{trunk.address}", sip_a_ring_timeout_s=2, sip_max_call_s=6,
            sip_controller_timeout_s=3, claimed_resend_after_s=2,
            broker_visibility_timeout_s=10, log_format="text"), tmp_path)
        try:
            for host in network.hosts:
                stack.env.update(RINGBACK_SIP_LISTEN=f"{host.address}:{SIP_PORT}",
                                 RINGBACK_SIP_CONTROLLER_ID=host.name)
                stack.start_command(f"sip-{host.name}", host.argv(CONTROLLER))
                stack.start_worker(f"worker-{host.name}", wrap=host.argv)
            stack.start_beat()
            scheduler = enqueue.create_scheduler(
                engine, CLIENT_ID, {"name": "hosts", "concurrent_task_limit": 90}, clock.now())
            add(engine, int(scheduler["id"]), task_list(FIRST_TASKS))
            cut, others = network.hosts[0], network.hosts[1:]

            talking = stack.wait_for(lambda: talking_on(engine, cut.name) if len(
                talking_on(engine, cut.name)) >= 3 else None, 60, f"calls talking on {cut.name}")
            held = held_by(engine, cut.name)
            finished_at_cut = statuses(engine).get("finished", 0)
            cut.cut()

            # The others take its calls over and end them, and carry on with the tasks.
            stack.wait_for(lambda: not held_by(engine, cut.name), 60, "its calls taken over")
            stack.wait_for(lambda: statuses(engine).get("finished", 0) >= finished_at_cut + 60,
                           90, "the other hosts finishing tasks")
            stack.wait_for(lambda: {r.status for r in call_rows(engine, set(held))} <= {
                "ended", "lost"}, 60, "its calls ended")
            worker_log = tmp_path / f"worker-{cut.name}.log"
            log_at_restore = worker_log.stat().st_size
            restored_at, restored_local = clock.now(), datetime.now()
            cut.restore()

            add(engine, int(scheduler["id"]), task_list(LATER_TASKS, first=FIRST_TASKS))
            everything = FIRST_TASKS + LATER_TASKS
            stack.wait_for(lambda: statuses(engine) == {"finished": everything}, 240,
                           "every task")
            rows = call_rows(engine, set(held))
            assert {r.controller for r in rows} <= {h.name for h in others}, rows
            assert try_statuses(engine, {int(str(r.attempt_id)) for r in rows}) <= {
                "completed", "lost"}
            # Back: its controller placed calls again, and its worker ran tasks again.
            assert placed_by_since(engine, cut.name, restored_at) > 0
            assert "succeeded" in worker_log.read_text()[log_at_restore:]
        finally:
            stack.stop_all()
    assert_one_invite_per_number_and_try(started)
    late = invites_first_seen_after(started, restored_local, set(held.values()))
    assert not late, f"new INVITEs for calls taken over, after the link came back: {late}"
    byes = {m.call_id for m in started["b"].messages()
            if m.direction == "received" and m.method == "BYE"}
    assert talking <= byes
