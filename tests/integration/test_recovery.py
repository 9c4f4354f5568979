"""The nudge, and invariant 3: lost messages are recovered from PostgreSQL by the reaper."""

from __future__ import annotations

import functools

import sqlalchemy as sa

from api import enqueue
from api.nudge import Nudger
from models import clock
from scheduler import dispatch
from tests.conftest import StackFactory
from tests.integration.test_core_flow import (
    A_NUMBER,
    B_NUMBER,
    CLIENT_ID,
    attempts_of,
    finished,
    new_scheduler,
)


def test_adding_a_due_task_nudges_dispatch_without_waiting_for_beat(
    engine: sa.Engine, stack_factory: StackFactory
) -> None:
    stack = stack_factory()
    stack.start_worker()  # no beat: only the nudge can start dispatch
    scheduler_id = new_scheduler(engine)
    nudger = Nudger(stack.env["RINGBACK_BROKER_URL"])
    try:
        job = enqueue.add_tasks(engine, CLIENT_ID, scheduler_id,
                                [{"a_number": A_NUMBER, "b_number": B_NUMBER}],
                                clock.now(), max_tasks=10, nudge=nudger)
    finally:
        nudger.close()
    row = stack.wait_for(lambda: finished(engine, job.tasks[0]["id"]), 30, "the nudged task")
    assert row.finish_result == "success"


def test_tries_whose_messages_were_lost_are_sent_again_and_finish(
    engine: sa.Engine, stack_factory: StackFactory
) -> None:
    scheduler_id = new_scheduler(engine)
    job = enqueue.add_tasks(
        engine, CLIENT_ID, scheduler_id,
        [{"a_number": f"+1555000{i:04d}", "b_number": B_NUMBER} for i in range(20)],
        clock.now(), max_tasks=100)
    lost_messages: list[int] = []
    # Dispatch commits the claims; the messages it "sends" go nowhere, as if Redis lost them.
    assert dispatch.dispatch(engine, clock.now, lost_messages.extend,
                             dispatch.DispatchLimits(batch_max=100)) == 20
    stack = stack_factory(claimed_resend_after_s=1)
    stack.start_worker()
    stack.start_beat()

    for task_id in (t["id"] for t in job.tasks):
        stack.wait_for(functools.partial(finished, engine, task_id), 60, f"task {task_id}")
        assert [a.attempt_no for a in attempts_of(engine, task_id)] == [1]
    assert len(lost_messages) == 20


def test_a_job_whose_task_failed_ends_failed(
    engine: sa.Engine, stack_factory: StackFactory
) -> None:
    stack = stack_factory({"default": "answer", "numbers": {A_NUMBER: ["rejected"]}})
    stack.start_worker()
    stack.start_beat()
    scheduler_id = new_scheduler(engine)
    job = enqueue.add_tasks(engine, CLIENT_ID, scheduler_id,
                            [{"a_number": A_NUMBER, "b_number": B_NUMBER},
                             {"a_number": "+15550000777", "b_number": B_NUMBER}],
                            clock.now(), max_tasks=10)

    def job_status() -> str | None:
        with engine.connect() as conn:
            status = conn.execute(sa.text("SELECT status FROM jobs WHERE id = :id"),
                                  {"id": job.job_id}).scalar_one()
        return str(status) if status in ("Completed", "Failed") else None

    assert stack.wait_for(job_status, 30, "the job to end") == "Failed"


def test_each_resend_of_a_claim_waits_twice_as_long_as_the_last(engine: sa.Engine) -> None:
    from datetime import timedelta

    from models.storage.repository import attempts_repo

    scheduler_id = new_scheduler(engine)
    enqueue.add_tasks(engine, CLIENT_ID, scheduler_id,
                      [{"a_number": A_NUMBER, "b_number": B_NUMBER}], clock.now(), max_tasks=1)
    claimed: list[int] = []
    start = clock.now()
    dispatch.dispatch(engine, lambda: start, claimed.extend, dispatch.DispatchLimits(batch_max=10))

    def resend_at(seconds: float) -> list[int]:
        with engine.begin() as conn:
            return attempts_repo.take_unanswered_claims(
                conn, 10, start + timedelta(seconds=seconds), 100)

    assert resend_at(9) == []
    assert resend_at(11) == claimed  # first resend after 10 s; sent_at is now start+11
    assert resend_at(11 + 19) == []  # the second waits 20 s
    assert resend_at(11 + 21) == claimed
    assert resend_at(32 + 39) == [] and resend_at(32 + 41) == claimed  # then 40 s
