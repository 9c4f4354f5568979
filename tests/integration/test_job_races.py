"""Job actions racing the calls they act on, played with the project's own functions and no
worker (issue 12, defect 1): a job never ends while a task of it can still be dialled."""

from __future__ import annotations

import sqlalchemy as sa

from api import job_control as api_job_control
from models import clock
from models.rules.job_state import JobStatus, JobTrigger
from models.rules.outcome import CallOutcome, Leg, LegResult
from models.storage.repository import attempts_repo, jobs_repo
from models.storage.tables import jobs
from scheduler import completion, dispatch
from tests.integration.test_core_flow import B_NUMBER, CLIENT_ID, add, new_scheduler, task_row
from worker import job_control

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
