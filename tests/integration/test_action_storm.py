"""A storm of job actions while thousands of tasks are dispatched (issues 12 and 23): for a
while, several threads fire pause, resume, cancel, restart and batch suspensions at random
jobs of several clients through the HTTP API, with real worker, beat and API processes and
tries in flight all along; then every paused job is resumed. Afterwards every job has ended
with nothing pending, no job is final while a task of it is not, no task is paused under a
job that is not, every job agrees with its tasks (status and counters), and no try was
dialled twice.

The storm of the suite is small; the issues' own storms are marked `slow`."""

from __future__ import annotations

import itertools
import random
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from api import enqueue, tokens
from api.access import Scope
from models import clock
from models.rules import job_state, task_state
from models.rules.job_state import JobStatus
from models.rules.task_state import TaskStatus
from models.storage.tables import actions, attempts, jobs, schedulers, tasks
from tests import support
from tests.integration.job_fixtures import (
    STATUS_OF_CODE,
    VENDOR_ACCEPT,
    Ops,
    OpsFactory,
    ops_factory,
)
from tests.integration.test_core_flow import B_NUMBER

__all__ = ["ops_factory"]
FIRST_CLIENT_ID = 101
ENDED = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})
FAILED_TASKS = {JobStatus.COMPLETED: False, JobStatus.FAILED: True}  # has a failed task?
# Cancel ends a job for good: it has a budget (see Budget), the others are drawn by weight.
ACTION_WEIGHTS = {"pause": 30, "resume": 30, "restart": 25, "suspend": 14}
# Calls ring and talk 0.3 s each; numbers ending in 2 or 3 always fail, so their jobs end
# Failed and restarts give the run new work until the storm is over.
SCENARIO = {"default": "answer", "ring_seconds": 0.3, "talk_seconds": 0.3,
            "suffixes": {"1": ["busy", "answer"], "2": ["no_answer"], "3": ["rejected"]}}


@dataclass(frozen=True)
class Storm:
    clients: int
    jobs_per_client: int
    tasks_per_job: int
    seconds: float
    threads_per_client: int  # each fires at any job of its client
    actions_per_s: float  # by each thread, at most
    cancelled_share: float = 0.3  # of the jobs, cancelled at moments spread over the storm
    concurrent_task_limit: int | None = 60
    # The API's messages to the worker are lost (sent to a Redis database no worker reads):
    # every action waits for the sweep, so a job gathers several pending actions.
    lose_messages: bool = False
    settle_s: float = 60.0  # for everything to end once the storm is over


SUITE = Storm(clients=2, jobs_per_client=3, tasks_per_job=100, seconds=12,
              threads_per_client=2, actions_per_s=25, concurrent_task_limit=None)
# Issue 23's: 20 clients, 2 jobs each, 1,000 tasks each, a thread per client, for a minute.
ISSUE_23 = Storm(clients=20, jobs_per_client=2, tasks_per_job=1000, seconds=60,
                 threads_per_client=1, actions_per_s=0.5, concurrent_task_limit=None,
                 settle_s=900)
# Issue 12's: 100 jobs of one client, every action applied by the sweep.
ISSUE_12 = Storm(clients=1, jobs_per_client=100, tasks_per_job=20, seconds=60,
                 threads_per_client=1, actions_per_s=100, cancelled_share=0.05,
                 lose_messages=True, settle_s=180)


@dataclass
class Tenant:
    """A client of the storm: its token's HTTP client, its scheduler and its jobs."""

    client_id: int
    http: httpx.Client
    scheduler_id: int
    job_ids: list[int] = field(default_factory=list)


@dataclass
class Budget:
    """Cancels allowed so far: ``total`` spread evenly over the storm, shared by threads."""

    total: int
    seconds: float
    started: float = field(default_factory=clock.monotonic_s)
    spent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> bool:
        elapsed = clock.monotonic_s() - self.started
        with self.lock:
            if self.spent < self.total * min(1.0, elapsed / self.seconds):
                self.spent += 1
                return True
        return False


@pytest.fixture
def tenants_of(ops_factory: OpsFactory) -> Iterator[Any]:
    opened: list[httpx.Client] = []

    def build(ops: Ops, storm: Storm) -> list[Tenant]:
        found = []
        for n in range(storm.clients):
            client_id = FIRST_CLIENT_ID + n
            token = tokens.create_token(ops.engine, client_id, frozenset(Scope), clock.now())
            http = httpx.Client(base_url=ops.http.base_url, timeout=30,
                                headers={"Authorization": f"Bearer {token}"})
            opened.append(http)
            created = enqueue.create_scheduler(ops.engine, client_id, {"name": "storm"},
                                               clock.now())
            found.append(Tenant(client_id, http, int(created["id"])))
        return found

    yield build
    for http in opened:
        http.close()


def add_jobs(ops: Ops, tenant: Tenant, storm: Storm, limit: int | None) -> None:
    with ops.engine.begin() as conn:
        conn.execute(schedulers.update().where(schedulers.c.id == tenant.scheduler_id)
                     .values(concurrent_task_limit=limit))
    for j in range(storm.jobs_per_client):
        response = tenant.http.post(
            f"/client/{tenant.client_id}/task_scheduler/{tenant.scheduler_id}/tasks/",
            json={"tasks": [{"a_number": f"+1{tenant.client_id:03d}{j:02d}{i:05d}",
                             "b_number": B_NUMBER, "try_count": 2, "try_again_pause": 1}
                            for i in range(storm.tasks_per_job)]})
        assert response.status_code == 201, response.text
        tenant.job_ids.append(int(response.json()["job_id"]))


def act(tenant: Tenant, job_id: int, action: str) -> str:
    """Fire one action; what it answered, e.g. "pause 204" or "suspend 0200000"."""
    if action == "suspend":
        response = tenant.http.post(
            f"/rest/isales/v1/openapi/campaigns/{tenant.client_id}/callbatch"
            f"/{tenant.scheduler_id}/pause", json={"id": str(job_id)})
        code = response.json()["resultCode"]
        assert response.status_code == STATUS_OF_CODE[code], response.text
        return f"suspend {code}"
    response = tenant.http.post(f"/interactions/jobs/{job_id}/{action}",
                                headers={"Accept": VENDOR_ACCEPT})
    assert response.status_code in (204, 409), response.text
    return f"{action} {response.status_code}"


def fire(ops: Ops, tenant: Tenant, rng: random.Random, storm: Storm,
         cancels: Budget) -> Counter[str]:
    answers: Counter[str] = Counter()
    started = clock.monotonic_s()
    kinds, weights = list(ACTION_WEIGHTS), list(ACTION_WEIGHTS.values())
    fired = 0
    while clock.monotonic_s() < started + storm.seconds:
        job_id = rng.choice(tenant.job_ids)
        action = "cancel" if cancels.take() else rng.choices(kinds, weights)[0]
        answers[act(tenant, job_id, action)] += 1
        fired += 1
        while clock.monotonic_s() < started + fired / storm.actions_per_s:
            ops.stack.pause()  # a poll interval that watches the processes
    return answers


def storm_on(ops: Ops, tenants: list[Tenant], storm: Storm) -> Counter[str]:
    """Every tenant's threads firing at once; what the actions answered, all told."""
    total = storm.clients * storm.jobs_per_client
    cancels = Budget(max(1, round(total * storm.cancelled_share)), storm.seconds)
    seeds = random.Random(23)
    plan = [(tenant, random.Random(seeds.random())) for tenant in tenants
            for _ in range(storm.threads_per_client)]
    results: list[Counter[str] | BaseException] = [Counter() for _ in plan]

    def run(index: int) -> None:
        tenant, rng = plan[index]
        try:
            results[index] = fire(ops, tenant, rng, storm, cancels)
        except BaseException as failed:  # handed to the test's thread below
            results[index] = failed

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(plan))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(storm.seconds + 120)
        assert not thread.is_alive(), "a thread of the storm never ended"
    answers: Counter[str] = Counter()
    for result in results:
        if isinstance(result, BaseException):
            raise result
        answers += result
    return answers


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
        paused_schedulers = set(conn.execute(sa.select(schedulers.c.id).where(
            schedulers.c.paused_at.is_not(None))).scalars())
        job_rows = conn.execute(sa.select(jobs)).all()
        by_job: dict[int, Counter[tuple[str, str | None]]] = {j.id: Counter() for j in job_rows}
        for job_id, status, result, n in conn.execute(
                sa.select(tasks.c.job_id, tasks.c.status, tasks.c.finish_result,
                          sa.func.count()).group_by(tasks.c.job_id, tasks.c.status,
                                                    tasks.c.finish_result)):
            by_job[job_id][(status, result)] += n
    found = []
    for job in job_rows:
        found += job_problems(job, by_job[job.id], job.scheduler_id in paused_schedulers)
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
    if status in ENDED and final < job.tasks_total:
        found.append(f"job {job.id} is {status} but its tasks are {dict(statuses)}")
    if status in FAILED_TASKS and bool(failed) is not FAILED_TASKS[status]:
        found.append(f"job {job.id} is {status} with {failed} failed tasks")
    if status in job_state.DIALLABLE and final == job.tasks_total:
        found.append(f"job {job.id} is {status} with every task final")
    if (job.tasks_final, job.tasks_failed) != (final, failed):
        found.append(f"job {job.id} counts {job.tasks_final}/{job.tasks_failed} final/failed, "
                     f"its tasks {final}/{failed}")
    return found


def tries_ended_by_half(ops: Ops, start: datetime, end: datetime) -> list[int]:
    """Tries that ended in each half of [start, end]."""
    bounds = [start, start + (end - start) / 2, end]
    with ops.engine.connect() as conn:
        return [int(conn.execute(sa.select(sa.func.count()).select_from(attempts).where(
            attempts.c.ended_at >= low, attempts.c.ended_at < high)).scalar_one())
            for low, high in itertools.pairwise(bounds)]


@pytest.mark.parametrize("storm", [
    pytest.param(SUITE, id="suite"),
    # Run by .ci/run after the suite (pytest -m slow).
    pytest.param(ISSUE_23, id="issue-23", marks=[pytest.mark.slow, pytest.mark.timeout(1800)]),
    pytest.param(ISSUE_12, id="issue-12", marks=[pytest.mark.slow, pytest.mark.timeout(900)]),
])
def test_a_storm_of_job_actions_strands_nothing_and_dials_nothing_twice(
    ops_factory: OpsFactory, tenants_of: Any, redis_db: int, storm: Storm
) -> None:
    unread_db = redis_db % 15 + 1 if redis_db % 15 + 1 != redis_db else 0
    lost = {"RINGBACK_BROKER_URL": f"redis://{support.REDIS_HOST_PORT}/{unread_db}"}
    ops = ops_factory(SCENARIO, action_sweep_after_s=2, api_rate_per_s=100_000,
                      api_rate_burst=100_000, api_overrides=lost if storm.lose_messages else None)
    tenants: list[Tenant] = tenants_of(ops, storm)
    for tenant in tenants:
        add_jobs(ops, tenant, storm, storm.concurrent_task_limit)
    started = clock.now()

    answers = storm_on(ops, tenants, storm)

    # A storm, not a breeze: every job acted on many times while tries ended.
    total_jobs = storm.clients * storm.jobs_per_client
    assert min(answers["pause 204"], answers["resume 204"]) >= total_jobs, answers
    assert answers["restart 204"] >= total_jobs // 2 and answers["cancel 204"] >= 1, answers
    assert answers["suspend 0200000"] >= 1, answers
    ended = tries_ended_by_half(ops, started, clock.now())
    assert min(ended) >= total_jobs, ended  # tries in flight all along
    for tenant in tenants:  # then everything resumed
        for job_id in tenant.job_ids:
            assert act(tenant, job_id, "resume") in ("resume 204", "resume 409")
    ops.stack.wait_for(lambda: settled(ops), storm.settle_s, "the jobs to settle")

    assert problems(ops) == []
    for tenant in tenants:
        for job_id in tenant.job_ids:
            document = tenant.http.get(f"/jobs/{job_id}").json()
            assert document["status"] in ENDED, document
            assert document["counts"]["tasksPending"] == 0, document
    dials = Counter((d["task_id"], d["attempt_no"], d["leg"], d["number"])
                    for d in support.read_dial_log(ops.stack.workdir / "dial.log"))
    assert dials and max(dials.values()) == 1, [k for k, n in dials.items() if n > 1][:5]
