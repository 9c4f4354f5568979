"""A storm of job actions while thousands of tasks are dispatched (issue 12): for a minute,
pause, resume, cancel, restart and batch suspensions are fired at random jobs through the
HTTP API, with real worker, beat and API processes. Afterwards every task is final or
visibly waiting under a job that can run it, every job agrees with its tasks (status and
counters), and no try was dialled twice."""

from __future__ import annotations

import random
import time
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa

from models.rules import job_state, task_state
from models.rules.job_state import JobStatus
from models.rules.task_state import TaskStatus
from models.storage.tables import actions, jobs, schedulers, tasks
from tests import support
from tests.integration.job_fixtures import STATUS_OF_CODE, Ops, OpsFactory, ops_factory
from tests.integration.test_core_flow import CLIENT_ID

__all__ = ["ops_factory"]
JOBS, TASKS_PER_JOB = 100, 20
STORM_S = 60.0
# Cancel ends a job for good: rare, or the storm would soon have nothing left to act on.
ACTION_WEIGHTS = {"pause": 30, "resume": 30, "restart": 25, "suspend": 14, "cancel": 1}
ACTIONS_PER_BURST = 10  # then a tenth of a second's pause: about 100 actions a second
# Calls ring and talk 0.3 s each, at most 60 at once; numbers ending in 2 or 3 always fail,
# so their jobs end Failed and restarts give the run new work until the storm is over.
SCENARIO = {"default": "answer", "ring_seconds": 0.3, "talk_seconds": 0.3,
            "suffixes": {"1": ["busy", "answer"], "2": ["no_answer"], "3": ["rejected"]}}


def fire(ops: Ops, rng: random.Random, job_ids: list[int]) -> Counter[str]:
    answers: Counter[str] = Counter()
    deadline = time.monotonic() + STORM_S
    actions, weights = list(ACTION_WEIGHTS), list(ACTION_WEIGHTS.values())
    while time.monotonic() < deadline:
        for _ in range(ACTIONS_PER_BURST):
            job_id, action = rng.choice(job_ids), rng.choices(actions, weights)[0]
            answers[act(ops, job_id, action)] += 1
        ops.stack.check_alive()
        ops.stack.pause()
    return answers


def act(ops: Ops, job_id: int, action: str) -> str:
    """Fire one action; what it answered, e.g. "pause 204" or "suspend 0200000"."""
    if action == "suspend":
        response = ops.http.post(f"/rest/isales/v1/openapi/campaigns/{CLIENT_ID}/callbatch"
                                 f"/{ops.scheduler_id}/pause", json={"id": str(job_id)})
        code = response.json()["resultCode"]
        assert response.status_code == STATUS_OF_CODE[code], response.text
        return f"suspend {code}"
    response = ops.act(job_id, action)
    assert response.status_code in (204, 409), response.text
    return f"{action} {response.status_code}"


def settled(ops: Ops) -> bool:
    """No action left to apply, no try running, nothing due that a job may dial."""
    with ops.engine.connect() as conn:
        pending = conn.execute(sa.select(sa.func.count()).select_from(actions).where(
            actions.c.status == "pending")).scalar_one()
        running = conn.execute(sa.select(sa.func.count()).select_from(tasks).where(
            tasks.c.status == TaskStatus.EXECUTED.value)).scalar_one()
        runnable = conn.execute(sa.select(sa.func.count()).select_from(tasks.join(jobs)).where(
            tasks.c.status.in_(task_state.WAITING),
            jobs.c.status.in_(job_state.DIALLABLE))).scalar_one()
    return pending == 0 and running == 0 and runnable == 0


def problems(ops: Ops) -> list[str]:
    with ops.engine.connect() as conn:
        scheduler_paused = conn.execute(sa.select(schedulers.c.paused_at).where(
            schedulers.c.id == ops.scheduler_id)).scalar_one() is not None
        job_rows = conn.execute(sa.select(jobs)).all()
        by_job: dict[int, Counter[tuple[str, str | None]]] = {j.id: Counter() for j in job_rows}
        for job_id, status, result, n in conn.execute(
                sa.select(tasks.c.job_id, tasks.c.status, tasks.c.finish_result,
                          sa.func.count()).group_by(tasks.c.job_id, tasks.c.status,
                                                    tasks.c.finish_result)):
            by_job[job_id][(status, result)] += n
    found = []
    for job in job_rows:
        found += job_problems(job, by_job[job.id], scheduler_paused)
    return found


def job_problems(job: Any, counts: Counter[tuple[str, str | None]],
                 scheduler_paused: bool) -> list[str]:
    status = JobStatus(job.status)
    statuses: Counter[str] = Counter()
    for (task_status, _), n in counts.items():
        statuses[task_status] += n
    final = sum(n for s, n in statuses.items() if TaskStatus(s) in task_state.FINAL)
    failed = sum(n for (s, r), n in counts.items() if s == "finished" and r == "failed")
    waiting = sum(n for s, n in statuses.items() if TaskStatus(s) in task_state.WAITING)
    paused = statuses.get(TaskStatus.PAUSED.value, 0)
    found = []
    if waiting and status not in job_state.DIALLABLE:
        found.append(f"job {job.id} is {status}: {waiting} tasks wait under it, never dialled")
    if paused and status is not JobStatus.PAUSED and not scheduler_paused:
        found.append(f"job {job.id} is {status} with {paused} paused tasks")
    expected_end = {JobStatus.COMPLETED: final == job.tasks_total and failed == 0,
                    JobStatus.FAILED: final == job.tasks_total and failed > 0,
                    JobStatus.CANCELLED: waiting == 0 and paused == 0}
    if not expected_end.get(status, True):
        found.append(f"job {job.id} is {status} but its tasks are {dict(statuses)}")
    if status in job_state.DIALLABLE and final == job.tasks_total:
        found.append(f"job {job.id} is {status} with every task final")
    if (job.tasks_final, job.tasks_failed) != (final, failed):
        found.append(f"job {job.id} counts {job.tasks_final}/{job.tasks_failed} final/failed, "
                     f"its tasks {final}/{failed}")
    return found


@pytest.mark.slow  # run by .ci/run after the suite (pytest -m slow)
def test_a_minute_of_random_job_actions_strands_nothing_and_dials_nothing_twice(
    ops_factory: OpsFactory, redis_db: int
) -> None:
    unread_db = redis_db % 15 + 1 if redis_db % 15 + 1 != redis_db else 0
    # The API's messages to the worker are lost (they go to a Redis database no worker
    # reads): every action waits for the sweep, so a job gathers several pending actions
    # while its calls end.
    lost_messages = {"RINGBACK_BROKER_URL": f"redis://{support.REDIS_HOST_PORT}/{unread_db}"}
    ops = ops_factory(SCENARIO, action_sweep_after_s=2, api_rate_per_s=1000,
                      api_rate_burst=1000, api_overrides=lost_messages)
    with ops.engine.begin() as conn:
        conn.execute(schedulers.update().where(schedulers.c.id == ops.scheduler_id)
                     .values(concurrent_task_limit=60))
    job_ids = [ops.add_job([{"a_number": f"+1555{j:02d}{i:05d}", "b_number": "+15559990000",
                             "try_count": 2, "try_again_pause": 1}
                            for i in range(TASKS_PER_JOB)])[0] for j in range(JOBS)]
    answers = fire(ops, random.Random(12), job_ids)
    # A storm, not a breeze: thousands of actions, and hundreds that changed a live job.
    assert sum(answers.values()) > 2000, answers
    assert min(answers["pause 204"], answers["resume 204"]) > 100, answers
    assert answers["restart 204"] > 50 and answers["suspend 0200000"] > 20, answers
    ops.stack.wait_for(lambda: settled(ops), 180, "the jobs to settle after the storm")
    assert problems(ops) == []
    dials = Counter((d["task_id"], d["attempt_no"], d["leg"], d["number"])
                    for d in support.read_dial_log(ops.stack.workdir / "dial.log"))
    assert dials and max(dials.values()) == 1, [k for k, n in dials.items() if n > 1][:5]
