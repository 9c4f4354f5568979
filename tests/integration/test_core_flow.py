"""Call tasks run end to end on real worker and beat processes, PostgreSQL and Redis."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from api import enqueue
from models import clock
from models.rules import timefmt
from models.storage.tables import attempts, tasks
from tests import support
from tests.conftest import StackFactory

CLIENT_ID = 7
A_NUMBER = "+15550000001"
B_NUMBER = "+15550000002"


def new_scheduler(engine: sa.Engine) -> int:
    created = enqueue.create_scheduler(engine, CLIENT_ID, {"name": "callbacks"}, clock.now())
    return int(created["id"])


def add(engine: sa.Engine, scheduler_id: int, task_list: list[dict[str, Any]]) -> enqueue.AddedJob:
    return enqueue.add_tasks(
        engine, CLIENT_ID, scheduler_id, task_list, clock.now(), max_tasks=100_000
    )


def task_row(engine: sa.Engine, task_id: int) -> sa.Row[Any]:
    with engine.connect() as conn:
        return conn.execute(sa.select(tasks).where(tasks.c.id == task_id)).one()


def finished(engine: sa.Engine, task_id: int) -> sa.Row[Any] | None:
    row = task_row(engine, task_id)
    return row if row.status == "finished" else None


def attempts_of(engine: sa.Engine, task_id: int) -> list[sa.Row[Any]]:
    with engine.connect() as conn:
        stmt = sa.select(attempts).where(attempts.c.task_id == task_id).order_by(
            attempts.c.attempt_no)
        return list(conn.execute(stmt).all())


def test_busy_then_unanswered_then_answered_succeeds_on_the_third_try(
    engine: sa.Engine, stack_factory: StackFactory
) -> None:
    stack = stack_factory({"default": "answer",
                           "numbers": {A_NUMBER: ["busy", "no_answer", "answer"]}})
    stack.start_worker()
    stack.start_beat()
    scheduler_id = new_scheduler(engine)
    job = add(engine, scheduler_id, [{"a_number": A_NUMBER, "b_number": B_NUMBER,
                                      "try_count": 3, "try_again_pause": "2"}])
    task_id = job.tasks[0]["id"]

    row = stack.wait_for(lambda: finished(engine, task_id), 60, "the task to finish")

    assert row.finish_result == "success"
    assert row.cdr and len(row.cdr) == 36
    assert row.finish_comment == "A and B connected on try 3 of 3"
    tries = attempts_of(engine, task_id)
    assert [a.attempt_no for a in tries] == [1, 2, 3]
    assert [a.cause for a in tries] == ["busy", "no_answer", None]
    for earlier, later in itertools.pairwise(tries):
        assert later.dialing_at >= earlier.ended_at + timedelta(seconds=2)
    a_dials = [d for d in support.read_dial_log(stack.workdir / "dial.log") if d["leg"] == "A"]
    assert [d["attempt_no"] for d in a_dials if d["task_id"] == task_id] == [1, 2, 3]


def test_a_task_that_never_answers_fails_after_its_tries_naming_the_cause(
    engine: sa.Engine, stack_factory: StackFactory
) -> None:
    stack = stack_factory({"default": "no_answer"})
    stack.start_worker()
    stack.start_beat()
    scheduler_id = new_scheduler(engine)
    job = add(engine, scheduler_id, [{"a_number": A_NUMBER, "b_number": B_NUMBER,
                                      "try_count": 2, "try_again_pause": 1}])
    task_id = job.tasks[0]["id"]

    row = stack.wait_for(lambda: finished(engine, task_id), 60, "the task to finish")

    assert row.finish_result == "failed"
    assert row.finish_comment == f"A leg no_answer ({A_NUMBER}) on try 2 of 2"
    assert row.cdr is None
    assert len(attempts_of(engine, task_id)) == 2


def test_a_task_is_not_dialled_before_its_start_time(
    engine: sa.Engine, stack_factory: StackFactory
) -> None:
    stack = stack_factory()
    stack.start_worker()
    stack.start_beat()
    scheduler_id = new_scheduler(engine)
    start = (clock.now() + timedelta(seconds=6)).replace(microsecond=0)
    job = add(engine, scheduler_id, [{"a_number": A_NUMBER, "b_number": B_NUMBER,
                                      "start_time_utc": timefmt.format(start)}])
    task_id = job.tasks[0]["id"]
    assert job.tasks[0]["start_time_utc"] == timefmt.format(start)

    stack.wait_for(lambda: finished(engine, task_id), 60, "the task to finish")

    (only_try,) = attempts_of(engine, task_id)
    assert only_try.claimed_at >= start
    dials = [d for d in support.read_dial_log(stack.workdir / "dial.log")
             if d["task_id"] == task_id]
    assert dials and all(d["time"] >= start.isoformat() for d in dials)


def test_a_thousand_tasks_added_in_one_call_all_finish(
    engine: sa.Engine, stack_factory: StackFactory
) -> None:
    stack = stack_factory({"default": "answer", "numbers": {"+15550009999": ["busy"]}})
    stack.start_worker(concurrency=2)
    stack.start_beat()
    scheduler_id = new_scheduler(engine)
    batch = [{"a_number": f"+1555{i:07d}", "b_number": B_NUMBER} for i in range(1000)]
    job = add(engine, scheduler_id, batch)
    assert len(job.tasks) == 1000

    def all_finished() -> bool:
        with engine.connect() as conn:
            statuses: dict[str, int] = dict(conn.execute(
                sa.select(tasks.c.status, sa.func.count()).where(tasks.c.job_id == job.job_id)
                .group_by(tasks.c.status)).all())
        return statuses == {"finished": 1000}

    stack.wait_for(all_finished, 180, "1,000 tasks to finish")
    with engine.connect() as conn:
        results: dict[str, int] = dict(conn.execute(
            sa.select(tasks.c.finish_result, sa.func.count())
            .where(tasks.c.job_id == job.job_id).group_by(tasks.c.finish_result)).all())
        job_status = conn.execute(sa.text("SELECT status FROM jobs WHERE id = :id"),
                                  {"id": job.job_id}).scalar_one()
    assert results == {"success": 1000}
    assert job_status == "Completed"
