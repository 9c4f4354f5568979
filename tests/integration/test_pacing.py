"""Pacing with real workers and beats: concurrency, interval, ASR holds, and isolation."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa

from api import access, enqueue, tokens
from models import clock
from models.rules import timefmt
from models.storage.tables import attempts, schedulers, tasks
from tests import support
from tests.conftest import StackFactory
from tests.integration.test_core_flow import B_NUMBER, CLIENT_ID

NO_ANSWER_PREFIX = "+1555100"
ANSWER_PREFIX = "+1555200"


def scheduler_with(engine: sa.Engine, name: str, **pacing: Any) -> int:
    created = enqueue.create_scheduler(engine, CLIENT_ID, {"name": name, **pacing}, clock.now())
    return int(created["id"])


def add_tasks(engine: sa.Engine, scheduler_id: int, a_numbers: list[str]) -> list[int]:
    added = enqueue.add_tasks(engine, CLIENT_ID, scheduler_id,
                              [{"a_number": a, "b_number": B_NUMBER} for a in a_numbers],
                              clock.now(), max_tasks=1000)
    return [t["id"] for t in added.tasks]


def statuses(engine: sa.Engine, scheduler_id: int) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(tasks.c.status, sa.func.count())
                            .where(tasks.c.scheduler_id == scheduler_id)
                            .group_by(tasks.c.status)).all()
    return {str(s): int(n) for s, n in rows}


def tries(engine: sa.Engine, scheduler_id: int) -> list[sa.Row[Any]]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(attempts).where(
            attempts.c.scheduler_id == scheduler_id).order_by(attempts.c.claimed_at)).all())


def most_at_once(spans: list[tuple[datetime, datetime]]) -> int:
    """The largest number of [start, end) spans that overlap at one instant."""
    edges = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans],
                   key=lambda edge: (edge[0], edge[1]))
    return max(itertools.accumulate(delta for _, delta in edges))


def test_never_more_than_the_concurrent_limit_with_two_beats_and_two_workers(
    engine: sa.Engine, stack_factory: StackFactory
) -> None:
    stack = stack_factory({"default": "answer", "talk_seconds": 1})
    for name in ("worker-a", "worker-b"):
        stack.start_worker(name)
    for name in ("beat-a", "beat-b"):
        stack.start_beat(name)
    scheduler_id = scheduler_with(engine, "three", concurrent_task_limit=3)
    task_ids = add_tasks(engine, scheduler_id, [f"+1555300{i:04d}" for i in range(50)])
    seen: set[str] = set()

    def all_finished() -> bool:
        now = statuses(engine, scheduler_id)
        seen.update(now)
        return now == {"finished": 50}

    stack.wait_for(all_finished, 150, "50 paced tasks to finish")
    spans = [(a.claimed_at, a.ended_at) for a in tries(engine, scheduler_id)]
    assert len(spans) == len(task_ids)
    assert most_at_once(spans) == 3
    assert "delayed_concurrent_task" in seen
    dial_spans = [(a.dialing_at, a.ended_at) for a in tries(engine, scheduler_id)]
    assert most_at_once(dial_spans) <= 3


def test_dials_in_a_scheduler_with_an_interval_are_that_far_apart(
    engine: sa.Engine, stack_factory: StackFactory
) -> None:
    stack = stack_factory()
    stack.start_worker()
    stack.start_beat()
    scheduler_id = scheduler_with(engine, "spaced", interval=2)
    add_tasks(engine, scheduler_id, [f"+1555400{i:04d}" for i in range(4)])
    seen: set[str] = set()

    def all_finished() -> bool:
        now = statuses(engine, scheduler_id)
        seen.update(now)
        return now == {"finished": 4}

    stack.wait_for(all_finished, 60, "4 spaced tasks to finish")
    made = tries(engine, scheduler_id)
    for earlier, later in itertools.pairwise(made):
        assert later.claimed_at - earlier.claimed_at >= timedelta(seconds=2)
        assert later.dialing_at - earlier.dialing_at >= timedelta(seconds=2)
    dial_times = sorted(datetime.fromisoformat(d["time"])
                        for d in support.read_dial_log(stack.workdir / "dial.log")
                        if d["leg"] == "A")
    assert all(b - a >= timedelta(seconds=2) for a, b in itertools.pairwise(dial_times))
    assert "delayed_interval" in seen


def test_a_collapsed_asr_holds_its_scheduler_only_until_the_pause_has_passed(
    engine: sa.Engine, stack_factory: StackFactory, tmp_path: Any
) -> None:
    stack = stack_factory({"default": "no_answer",
                           "numbers": {f"{ANSWER_PREFIX}{i:04d}": ["answer"] for i in range(5)}})
    stack.start_worker()
    stack.start_beat()
    api = support.ApiServer.start(stack.env, tmp_path, "api")
    token = tokens.create_token(engine, CLIENT_ID, frozenset({access.Scope.TASKS_READ}),
                                clock.now())
    try:
        held_id = scheduler_with(engine, "collapsing", concurrent_task_limit=2,
                                 asr_threshold=50, asr_window=10, asr_min_attempts=10,
                                 asr_pause=8)
        other_id = scheduler_with(engine, "healthy")
        add_tasks(engine, held_id, [f"{NO_ANSWER_PREFIX}{i:04d}" for i in range(20)])

        def stats() -> dict[str, Any]:
            response = httpx.get(
                f"{api.base_url}/client/{CLIENT_ID}/task_scheduler/{held_id}/stats",
                headers={"Authorization": f"Bearer {token}"}, timeout=10)
            assert response.status_code == 200, response.text
            return dict(response.json())

        held = stack.wait_for(lambda: (s := stats())["asr_hold_until"] and s, 60,
                              "the ASR hold")
        with engine.connect() as conn:  # the exact time; the API shows whole seconds
            hold_until = conn.execute(sa.select(schedulers.c.asr_hold_until).where(
                schedulers.c.id == held_id)).scalar_one()
        assert held["asr_hold_until"] == timefmt.format(hold_until)
        assert held["asr"] == 0.0 and held["asr_tries"] == 10
        stack.wait_for(lambda: statuses(engine, held_id).get("delayed_asr"), 10,
                       "due tasks to show delayed_asr")

        # While it is held, another scheduler's tasks go through.
        other_ids = add_tasks(engine, other_id, [f"{ANSWER_PREFIX}{i:04d}" for i in range(5)])
        stack.wait_for(lambda: statuses(engine, other_id) == {"finished": 5}, 30,
                       "the other scheduler's tasks")
        assert clock.now() < hold_until, "the other scheduler finished only after the hold"
        assert len(other_ids) == 5

        stack.wait_for(lambda: statuses(engine, held_id).get("finished", 0) == 20, 90,
                       "the held scheduler to finish after its pause")
        hold_start = hold_until - timedelta(seconds=8)
        held_dials = sorted(datetime.fromisoformat(d["time"])
                            for d in support.read_dial_log(stack.workdir / "dial.log")
                            if d["number"].startswith(NO_ANSWER_PREFIX))
        assert not [t for t in held_dials if hold_start <= t < hold_until]
        assert any(t >= hold_until for t in held_dials), "dialling resumed after the pause"
    finally:
        api.stop()
