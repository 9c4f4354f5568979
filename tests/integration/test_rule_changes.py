"""Calling rules that end or free tasks, through dispatch and completion in this process: a
number at its lifetime cap ends its task without a try (finished, failed, the cap named, the
`after` event written, the job counted), and a restart after the cap is raised dials it; a
change of a scheduler's windows or caps lifts the holds they had decided at once."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from api import enqueue
from api import job_control as api_job_control
from models import clock
from models.rules.job_state import JobTrigger
from models.rules.outcome import CallOutcome, Leg, LegResult
from models.storage.repository import jobs_repo
from models.storage.tables import events
from tests.integration.test_calling_holds import every_day, new_scheduler
from tests.integration.test_core_flow import A_NUMBER, CLIENT_ID, add, attempts_of, task_row
from tests.integration.test_retry_rules import ring
from worker import job_control

B_NUMBER = "+15550005001"
B_BUSY = CallOutcome(True, False, Leg.B, LegResult.BUSY, B_NUMBER)


def event_types(engine: sa.Engine, task_id: int) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(events.c.type).where(events.c.task_id == task_id)
                                 .order_by(events.c.id)).scalars())


def test_a_number_at_its_lifetime_cap_ends_its_task_and_a_restart_after_raising_it_dials(
    engine: sa.Engine
) -> None:
    scheduler_id = new_scheduler(engine, "lifetime", {"number_caps": {"lifetime": 1}})
    first = add(engine, scheduler_id, [{"a_number": A_NUMBER, "b_number": B_NUMBER}])
    assert len(ring(engine, B_BUSY, clock.now())) == 1  # the number's one dial
    job = add(engine, scheduler_id, [{"a_number": A_NUMBER, "b_number": B_NUMBER,
                                      "try_count": 3}])
    (task_id,) = (t["id"] for t in job.tasks)

    assert ring(engine, B_BUSY, clock.now()) == []  # no try: the task ends instead
    task = task_row(engine, task_id)
    assert (task.status, task.finish_result, task.finish_comment) == (
        "finished", "failed", f"number cap: {B_NUMBER} dialled 1 times, lifetime cap 1")
    assert attempts_of(engine, task_id) == []
    assert event_types(engine, task_id) == ["after"]
    with engine.connect() as conn:
        job_row = jobs_repo.find_job(conn, CLIENT_ID, job.job_id)
    assert job_row is not None
    assert (job_row.status, job_row.tasks_final, job_row.tasks_failed) == ("Failed", 1, 1)
    assert task_row(engine, first.tasks[0]["id"]).finish_result == "failed"

    enqueue.update_scheduler(engine, CLIENT_ID, scheduler_id,
                             {"number_caps": {"lifetime": 2}}, clock.now())
    api_job_control.request_job_action(engine, CLIENT_ID, job.job_id, JobTrigger.RESTART,
                                       clock.now(), lambda _action_id: None)
    job_control.apply_job_actions(engine, job.job_id, clock.now())
    assert len(ring(engine, B_BUSY, clock.now())) == 1
    (attempt,) = attempts_of(engine, task_id)
    assert attempt.rule_evidence["cap"]["allowed"] is True
    assert task_row(engine, task_id).status == "delayed"


def test_changing_the_windows_or_caps_weighs_the_held_tasks_again_at_once(
    engine: sa.Engine
) -> None:
    now = clock.now()
    closed_until_tomorrow = every_day(now - timedelta(hours=2), 3600)
    scheduler_id = new_scheduler(engine, "changing", {
        "calling_windows": closed_until_tomorrow, "default_timezone": "UTC"})
    (held,) = (t["id"] for t in add(engine, scheduler_id, [
        {"a_number": A_NUMBER, "b_number": B_NUMBER}]).tasks)
    assert ring(engine, B_BUSY, clock.now()) == []
    task = task_row(engine, held)
    assert task.status == "delayed_calling_window"
    assert task.next_attempt_at > clock.now() + timedelta(hours=20)

    changed_at = clock.now()
    enqueue.update_scheduler(engine, CLIENT_ID, scheduler_id, {
        "calling_windows": every_day(changed_at - timedelta(minutes=1), 7200)}, changed_at)
    task = task_row(engine, held)
    assert (task.status, task.next_attempt_at) == ("delayed_calling_window", changed_at)
    assert len(ring(engine, B_BUSY, clock.now())) == 1

    # A cap change frees a number-cap hold the same way; a name change frees nothing.
    enqueue.update_scheduler(engine, CLIENT_ID, scheduler_id,
                             {"number_caps": {"per_24h": 1}}, clock.now())
    (again,) = (t["id"] for t in add(engine, scheduler_id, [
        {"a_number": A_NUMBER, "b_number": B_NUMBER}]).tasks)
    assert ring(engine, B_BUSY, clock.now()) == []
    capped = task_row(engine, again)
    assert capped.status == "delayed_number_cap"
    enqueue.update_scheduler(engine, CLIENT_ID, scheduler_id, {"name": "renamed"}, clock.now())
    assert task_row(engine, again).next_attempt_at == capped.next_attempt_at
    lifted_at = clock.now()
    enqueue.update_scheduler(engine, CLIENT_ID, scheduler_id,
                             {"number_caps": {"per_24h": 5}}, lifted_at)
    assert task_row(engine, again).next_attempt_at == lifted_at
    assert len(ring(engine, B_BUSY, clock.now())) == 1
