"""Job actions racing the calls they act on, played with the project's own functions and no
worker (issue 12, defect 1): a job never ends while a task of it can still be dialled.

Issue 23, defect 3: a try's completion, or a dispatch round, that read its job's status
must not commit a task change an action accepted meanwhile contradicts. Each race is
played in a fixed order: a transaction of the test holds a row the first party needs, so
it stops half way; the action runs until it finishes or waits; then the row is let go."""

from __future__ import annotations

from collections.abc import Callable
from concurrent import futures
from typing import Any

import pytest
import sqlalchemy as sa

from api import job_control as api_job_control
from models import clock
from models.rules.job_state import JobStatus, JobTrigger
from models.rules.outcome import CallOutcome, Leg, LegResult
from models.storage.repository import attempts_repo, jobs_repo
from models.storage.tables import attempts, jobs, tasks
from scheduler import completion, dispatch
from tests.integration.test_core_flow import B_NUMBER, CLIENT_ID, add, new_scheduler, task_row
from worker import job_control

POLL_S = 0.02
RACE_TIMEOUT_S = 20.0

CONNECTED = CallOutcome(True, True, cdr="cdr-1", talk_seconds=1.0)
BUSY = CallOutcome(False, False, Leg.A, LegResult.BUSY, "+15550007002")


def job_status(engine: sa.Engine, job_id: int) -> str:
    with engine.connect() as conn:
        return str(conn.execute(sa.select(jobs.c.status).where(jobs.c.id == job_id))
                   .scalar_one())


def act(engine: sa.Engine, job_id: int, trigger: JobTrigger) -> None:
    """Accepted by the API; the worker's message is 'lost' (applied below, later)."""
    api_job_control.request_job_action(engine, CLIENT_ID, job_id, trigger, clock.now(),
                                       lambda _action_id: None)


def ring(engine: sa.Engine) -> list[int]:
    """Dispatch whatever is due and start dialling it, as place_calls would."""
    sent: list[int] = []
    dispatch.dispatch(engine, clock.now, sent.extend, dispatch.DispatchLimits(batch_max=10))
    with engine.begin() as conn:
        attempts_repo.begin_dialing(conn, sent, clock.now())
    return sent


def test_a_resume_applied_after_a_restart_does_not_end_the_restarted_job(
    engine: sa.Engine,
) -> None:
    job = add(engine, new_scheduler(engine), [
        {"a_number": "+15550007001", "b_number": B_NUMBER},
        {"a_number": "+15550007002", "b_number": B_NUMBER}])
    job_id, (_, second) = job.job_id, [t["id"] for t in job.tasks]
    answered, busy = ring(engine)  # two calls ringing, the job Running
    completion.complete_attempts(engine, [(answered, CONNECTED)], clock.now())
    act(engine, job_id, JobTrigger.PAUSE)
    act(engine, job_id, JobTrigger.RESUME)  # accepted; the worker has not applied it yet
    completion.complete_attempts(engine, [(busy, BUSY)], clock.now())
    assert job_status(engine, job_id) == JobStatus.FAILED  # its last try ended busy
    act(engine, job_id, JobTrigger.RESTART)

    assert job_control.apply_job_actions(engine, job_id, clock.now()) == 3

    assert task_row(engine, second).status == "scheduled"
    assert job_status(engine, job_id) == JobStatus.SCHEDULED
    (again,) = ring(engine)  # dispatch takes the re-armed task
    completion.complete_attempts(engine, [(again, CONNECTED)], clock.now())
    assert job_status(engine, job_id) == JobStatus.COMPLETED


def test_a_job_never_ends_while_one_of_its_tasks_waits(engine: sa.Engine) -> None:
    """The guard under every caller: counters that say "all final" are not enough."""
    job = add(engine, new_scheduler(engine), [
        {"a_number": "+15550007011", "b_number": B_NUMBER}])
    with engine.begin() as conn:
        conn.execute(jobs.update().where(jobs.c.id == job.job_id).values(tasks_final=1))
        ended = jobs_repo.change_status(conn, [job.job_id],
                                        JobTrigger.FINISH_SOME_FAILED, clock.now())
    assert ended == 0
    assert job_status(engine, job.job_id) == JobStatus.SCHEDULED


def waiting_for_locks(engine: sa.Engine) -> int:
    """Sessions of the test's database waiting for a lock another one holds."""
    with engine.connect() as conn:
        return int(conn.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'")).scalar_one())


def poll(probe: Callable[[], bool], running: futures.Future[Any], what: str) -> None:
    """Until ``probe`` holds; waiting on ``running`` doubles as the poll interval, and its
    failure fails the test at once."""
    deadline = clock.monotonic_s() + RACE_TIMEOUT_S
    while not probe():
        if running.done():
            running.result()  # raises what it raised
        if clock.monotonic_s() > deadline:
            raise AssertionError(f"timed out after {RACE_TIMEOUT_S} s waiting for {what}")
        futures.wait([running], timeout=POLL_S)


def interleave(engine: sa.Engine, held: sa.Select[Any], first: Callable[[], Any],
               second: Callable[[], Any]) -> tuple[Any, Any]:
    """Lock the rows of ``held``; run ``first`` until it waits for them; run ``second``
    until it ends or waits too; let the rows go. Returns both results."""
    with futures.ThreadPoolExecutor(2) as pool, engine.connect() as holder:
        holder.execute(held.with_for_update())
        one = pool.submit(first)
        poll(lambda: waiting_for_locks(engine) == 1, one, "the first party to stop")
        assert not one.done()
        two = pool.submit(second)
        poll(lambda: two.done() or waiting_for_locks(engine) == 2, two,
             "the second party to end or wait")
        holder.rollback()
        return one.result(RACE_TIMEOUT_S), two.result(RACE_TIMEOUT_S)


def act_and_apply(engine: sa.Engine, job_id: int, trigger: JobTrigger) -> None:
    act(engine, job_id, trigger)
    job_control.apply_job_actions(engine, job_id, clock.now())


def job_counts(engine: sa.Engine, job_id: int) -> tuple[int, dict[str, int]]:
    """The job's count of final tasks, and its tasks by outcome."""
    with engine.connect() as conn:
        final = conn.execute(sa.select(jobs.c.tasks_final).where(jobs.c.id == job_id))
        return int(final.scalar_one()), jobs_repo.task_counts(conn, job_id)


@pytest.mark.parametrize(("paused_first", "action", "task_after", "job_after"), [
    (True, JobTrigger.RESUME, "scheduled", JobStatus.SCHEDULED),
    (True, JobTrigger.RESTART, "scheduled", JobStatus.SCHEDULED),
    (True, JobTrigger.CANCEL, "cancelled", JobStatus.CANCELLED),
    (False, JobTrigger.CANCEL, "cancelled", JobStatus.CANCELLED),
    (False, JobTrigger.PAUSE, "paused", JobStatus.PAUSED),
])
def test_an_action_accepted_while_a_try_completes_applies_to_what_the_try_left(
    engine: sa.Engine, paused_first: bool, action: JobTrigger, task_after: str,
    job_after: JobStatus,
) -> None:
    """The try's completion has read the job's status (it decides whether the failed try
    waits `delayed`, `paused` or ends `cancelled`) when the action is accepted and applied;
    the completion commits last. Before issue 23 it committed what it had read: a task
    `paused` under a resumed job, `delayed` or `paused` under a cancelled one."""
    job = add(engine, new_scheduler(engine), [
        {"a_number": "+15550007021", "b_number": B_NUMBER, "try_count": 2,
         "try_again_pause": 1}])
    job_id, task_id = job.job_id, job.tasks[0]["id"]
    (busy,) = ring(engine)
    if paused_first:
        act_and_apply(engine, job_id, JobTrigger.PAUSE)

    interleave(engine, sa.select(tasks.c.id).where(tasks.c.id == task_id),
               lambda: completion.complete_attempts(engine, [(busy, BUSY)], clock.now()),
               lambda: act_and_apply(engine, job_id, action))

    assert (task_row(engine, task_id).status, job_status(engine, job_id)) == (
        task_after, job_after)
    final = int(task_after == "cancelled")
    assert job_counts(engine, job_id) == (
        final, {"cancelled": 1} if final else {"pending": 1})


def test_a_pause_answered_while_dispatch_claims_is_answered_after_the_claim(
    engine: sa.Engine,
) -> None:
    """Dispatch has read the job as diallable and claimed its task when the pause comes. A
    pause lets calls already ringing finish and starts no more: the API answers it only
    once the claim is committed, so every try of the job exists when the pause is
    answered (before issue 23 the try was started after the answer)."""
    scheduler_id = new_scheduler(engine)
    running = add(engine, scheduler_id, [{"a_number": "+15550007031", "b_number": B_NUMBER}])
    other = add(engine, scheduler_id, [{"a_number": "+15550007032", "b_number": B_NUMBER}])
    with engine.begin() as conn:  # as if an earlier try of it had started
        conn.execute(jobs.update().where(jobs.c.id == running.job_id)
                     .values(status=JobStatus.RUNNING.value))
    task_id = running.tasks[0]["id"]

    def tries() -> int:
        with engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(attempts)
                                    .where(attempts.c.task_id == task_id)).scalar_one())

    def pause() -> int:
        act(engine, running.job_id, JobTrigger.PAUSE)
        return tries()

    claimed, tries_when_answered = interleave(
        engine, sa.select(jobs.c.id).where(jobs.c.id == other.job_id),
        lambda: dispatch.dispatch(engine, clock.now, lambda _ids: None,
                                  dispatch.DispatchLimits(batch_max=10)),
        pause)

    assert claimed == 2
    assert tries_when_answered == tries() == 1
    job_control.apply_job_actions(engine, running.job_id, clock.now())
    assert task_row(engine, task_id).status == "executed"  # its call rings on
    assert job_status(engine, running.job_id) == JobStatus.PAUSED


def test_a_job_paused_while_its_scheduler_resumes_keeps_its_tasks_paused(
    engine: sa.Engine,
) -> None:
    """The scheduler's resume has read the job as diallable and is giving its held task
    back when the job's pause is accepted and applied; the resume commits last. Before
    issue 23 the task was left waiting under the paused job."""
    scheduler_id = new_scheduler(engine)
    job = add(engine, scheduler_id, [{"a_number": "+15550007041", "b_number": B_NUMBER}])
    job_id, task_id = job.job_id, job.tasks[0]["id"]
    api_job_control.pause_scheduler(engine, CLIENT_ID, scheduler_id, True, clock.now())
    assert ring(engine) == []  # dispatch holds the due task: its scheduler is paused
    assert task_row(engine, task_id).status == "paused"

    interleave(engine, sa.select(tasks.c.id).where(tasks.c.id == task_id),
               lambda: api_job_control.pause_scheduler(engine, CLIENT_ID, scheduler_id,
                                                       False, clock.now()),
               lambda: act_and_apply(engine, job_id, JobTrigger.PAUSE))

    assert (task_row(engine, task_id).status, job_status(engine, job_id)) == (
        "paused", JobStatus.PAUSED)
    act_and_apply(engine, job_id, JobTrigger.RESUME)
    assert task_row(engine, task_id).status == "scheduled"
