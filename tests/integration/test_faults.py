"""Fault tests: workers SIGKILLed every few seconds, Redis restarted empty, two beats, a
receiver down for the whole run. Every task ends; no try is dialled twice; nothing is lost."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from api import enqueue
from models import clock
from models.storage.tables import attempts, events, tasks
from tests import support
from tests.conftest import StackFactory
from tests.integration.test_core_flow import CLIENT_ID, add, new_scheduler
from tests.receiver import Receiver

B_ANSWERS = "+15559990000"  # its last digit has no rule: it answers
MIXED = {"default": "answer",
         "suffixes": {"1": ["busy", "answer"], "2": ["no_answer"], "3": ["rejected", "answer"],
                      "4": ["failed"]}}
# Calls ring 2 s and a scheduler runs at most 200 at once, so the run lasts long enough
# (about half a minute) for every kill to land on calls in flight.
RINGING = {**MIXED, "ring_seconds": 2}
CONCURRENT_CALLS = 200
# Fast recovery: resend unanswered claims after 3 s, give up on a silent dial after 5 s.
RECOVERY = {"claimed_resend_after_s": 3, "call_timeout_s": 2, "lost_grace_s": 3,
            "broker_visibility_timeout_s": 10, "action_sweep_after_s": 2}


def task_statuses(engine: sa.Engine, job_id: int) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(tasks.c.status, sa.func.count())
                            .where(tasks.c.job_id == job_id).group_by(tasks.c.status)).all()
    return {str(s): int(n) for s, n in rows}


@pytest.mark.slow  # run by .ci/run after the suite (pytest -m slow)
def test_kills_a_redis_restart_and_two_beats_lose_no_task_and_dial_no_try_twice(
    engine: sa.Engine, stack_factory: StackFactory, own_redis: support.OwnRedis
) -> None:
    stack = stack_factory(RINGING, broker_url=f"redis://127.0.0.1:{own_redis.port}/0",
                          **RECOVERY)
    stack.start_beat("beat-a")
    stack.start_beat("beat-b")
    stack.start_worker("worker-0")
    scheduler = enqueue.create_scheduler(engine, CLIENT_ID, {
        "name": "kills", "concurrent_task_limit": CONCURRENT_CALLS}, clock.now())
    job = add(engine, scheduler["id"], [
        {"a_number": f"+1555{i:07d}", "b_number": B_ANSWERS, "try_count": 2,
         "try_again_pause": 0} for i in range(2000)])
    kills = 0
    redis_restarted = False
    next_kill = time.monotonic() + 3
    deadline = time.monotonic() + 300
    while task_statuses(engine, job.job_id) != {"finished": 2000}:
        assert time.monotonic() < deadline, task_statuses(engine, job.job_id)
        if time.monotonic() >= next_kill and kills < 6:
            stack.kill(f"worker-{kills}")
            kills += 1
            if kills == 3 and not redis_restarted:
                own_redis.kill()  # every queued message is gone with it
                own_redis.start()
                redis_restarted = True
            stack.start_worker(f"worker-{kills}")
            next_kill = time.monotonic() + 3
        stack.check_alive()
        stack.pause()
    assert kills == 6 and redis_restarted
    dials = Counter((d["task_id"], d["attempt_no"], d["leg"], d["number"])
                    for d in support.read_dial_log(stack.workdir / "dial.log"))
    assert dials and max(dials.values()) == 1, [k for k, n in dials.items() if n > 1][:5]
    with engine.connect() as conn:
        per_task = conn.execute(sa.select(attempts.c.task_id, sa.func.count(),
                                          sa.func.max(attempts.c.attempt_no))
                                .group_by(attempts.c.task_id)).all()
        results = dict(conn.execute(sa.select(tasks.c.finish_result, sa.func.count())
                                    .group_by(tasks.c.finish_result)).all())
    assert len(per_task) == 2000
    assert all(count == highest <= 2 for _, count, highest in per_task)
    assert results["success"] + results["failed"] == 2000 and results["failed"] >= 200


def test_a_receiver_down_for_the_whole_run_gets_every_event_once_up(
    engine: sa.Engine, stack_factory: StackFactory
) -> None:
    down = Receiver()
    port = down.port
    down.stop()
    stack = stack_factory(MIXED, webhook_allow_private="true", webhook_retry_base_s=0.5,
                          webhook_retry_cap_s=2, webhook_max_attempts=1000,
                          deliver_events_interval_s=0.25)
    stack.start_worker()
    stack.start_beat()
    url = f"http://127.0.0.1:{port}/after"
    job = add(engine, new_scheduler(engine), [
        {"a_number": f"+1555{i:07d}", "b_number": B_ANSWERS, "url_after": url}
        for i in range(200)])
    stack.wait_for(lambda: task_statuses(engine, job.job_id) == {"finished": 200}, 120,
                   "every task to finish while the receiver is down")
    with engine.connect() as conn:
        pending = conn.execute(sa.select(sa.func.count()).select_from(events).where(
            events.c.delivery_status == "pending")).scalar_one()
    assert pending == 200
    back = Receiver(port)
    try:
        stack.wait_for(lambda: len(back.at("/after")) >= 200, 120, "every event")
        ids = Counter(r.headers["webhook-id"] for r in back.at("/after"))
    finally:
        back.stop()
    assert len(ids) == 200
    with engine.connect() as conn:
        delivered = conn.execute(sa.select(sa.func.count()).select_from(events).where(
            events.c.delivery_status == "delivered")).scalar_one()
    assert delivered == 200


@pytest.fixture
def own_postgres() -> Iterator[support.OwnPostgres]:
    # Not under pytest's folders: they are private to root, and the server runs as postgres.
    base = Path(tempfile.mkdtemp(prefix="ringback-pg-"))
    base.chmod(0o755)
    server = support.OwnPostgres(support.free_port(), base / "data")
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_a_postgres_restart_mid_run_is_recovered_from_and_loses_nothing(
    own_postgres: support.OwnPostgres, stack_factory: StackFactory, tmp_path: Any
) -> None:
    from api import enqueue
    from models import clock
    from models.storage import migrate

    url = own_postgres.url("postgres")
    migrate.upgrade(url)
    stack = stack_factory(MIXED, database_url=url, **RECOVERY)
    stack.start_worker()
    stack.start_beat()
    with support.engine_for(url) as engine:
        scheduler = enqueue.create_scheduler(engine, 7, {"name": "restarted"}, clock.now())
        job = enqueue.add_tasks(engine, 7, scheduler["id"], [
            {"a_number": f"+1555{i:07d}", "b_number": B_ANSWERS, "try_count": 2,
             "try_again_pause": 0} for i in range(400)], clock.now(), max_tasks=1000)
        stack.wait_for(lambda: task_statuses(engine, job.job_id).get("finished", 0) >= 50,
                       60, "the run to be under way")
        own_postgres.restart()
        stack.wait_for(lambda: task_statuses(engine, job.job_id) == {"finished": 400}, 180,
                       "every task to finish after the restart")
        with engine.connect() as conn:
            per_task = conn.execute(sa.select(attempts.c.task_id, sa.func.count(),
                                              sa.func.max(attempts.c.attempt_no))
                                    .group_by(attempts.c.task_id)).all()
    dials = Counter((d["task_id"], d["attempt_no"], d["leg"], d["number"])
                    for d in support.read_dial_log(stack.workdir / "dial.log"))
    assert max(dials.values()) == 1
    assert len(per_task) == 400 and all(n == top <= 2 for _, n, top in per_task)
