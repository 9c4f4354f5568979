"""Job control through the HTTP API with a real worker: each action from each status, and
what pause, cancel and restart do to calls."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from models import clock
from models.rules import timefmt
from models.rules.job_state import JobStatus
from models.storage.tables import attempts, jobs, tasks
from tests.integration.job_fixtures import Ops, OpsFactory, numbers, ops_factory

__all__ = ["ops_factory"]
LATER = "2035-01-01 00:00:00"
ALLOWED = {  # the table in DESIGN.md, with resume
    "cancel": ({"Scheduled", "Running", "Paused"}, "Cancelled"),
    "pause": ({"Scheduled", "Running"}, "Paused"),
    "restart": ({"Failed", "Paused"}, "Scheduled"),
    "resume": ({"Paused"}, "Scheduled"),
}


def ringing(ops: Ops, job_id: int) -> int:
    with ops.engine.connect() as conn:
        return int(conn.execute(
            sa.select(sa.func.count()).select_from(attempts.join(tasks))
            .where(tasks.c.job_id == job_id, attempts.c.status == "dialing")).scalar_one())


def force_status(ops: Ops, job_id: int, status: str) -> None:
    with ops.engine.begin() as conn:
        conn.execute(jobs.update().where(jobs.c.id == job_id).values(status=status))


def test_each_action_from_each_status(ops_factory: OpsFactory) -> None:
    ops = ops_factory()
    for action, (allowed, result) in ALLOWED.items():
        for status in JobStatus:
            job_id, _ = ops.add_job([{**numbers("+1555610", 1)[0], "start_time_utc": LATER}])
            force_status(ops, job_id, status.value)
            response = ops.act(job_id, action)
            if status.value in allowed:
                assert response.status_code == 204, (action, status, response.text)
                assert response.content == b""
                assert ops.job(job_id)["status"] == result
            else:
                assert response.status_code == 409, (action, status)
                message = response.json()["error"]["message"]
                assert f"the job is {status.value}" in message
                assert ops.job(job_id)["status"] == status.value
    assert ops.act(999999, "pause").status_code == 404
    unknown = ops.act(job_id, "explode")
    assert unknown.status_code == 400 and "action" in unknown.json()["error"]["message"]


def test_pause_lets_ringing_calls_finish_and_starts_nothing_until_resume(
    ops_factory: OpsFactory,
) -> None:
    ops = ops_factory({"default": "answer", "ring_seconds": 1.5})
    with ops.engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE schedulers SET concurrent_task_limit = 2 "
                             f"WHERE id = {ops.scheduler_id}")
    job_id, task_ids = ops.add_job(numbers("+1555620", 6))
    ops.wait_statuses(task_ids, {"executed": 2, "delayed_concurrent_task": 4})
    ops.stack.wait_for(lambda: ringing(ops, job_id) == 2, 10, "two calls to ring")
    assert ops.act(job_id, "pause").status_code == 204
    paused_at = clock.now()
    assert ops.job(job_id)["status"] == "Paused"
    ops.wait_statuses(task_ids, {"finished": 2, "paused": 4})
    dialled_before_resume = [d for d in ops.dials() if d["leg"] == "A"]
    assert len(dialled_before_resume) == 2
    assert all(datetime.fromisoformat(d["time"]) < paused_at for d in dialled_before_resume)
    assert ops.act(job_id, "resume").status_code == 204
    ops.wait_statuses(task_ids, {"finished": 6}, timeout_s=60)
    ops.stack.wait_for(lambda: ops.job(job_id)["status"] == "Completed", 10, "Completed")


def test_cancel_during_a_retry_pause_means_no_further_dial(ops_factory: OpsFactory) -> None:
    busy = "+15556300001"
    ops = ops_factory({"default": "answer", "numbers": {busy: ["busy"]}})
    job_id, (task_id,) = ops.add_job([{"a_number": busy, "b_number": "+15559990000",
                                       "try_count": 3, "try_again_pause": 4}])
    ops.wait_statuses([task_id], {"delayed": 1})
    assert ops.act(job_id, "cancel").status_code == 204
    ops.wait_statuses([task_id], {"cancelled": 1})
    # A marker due after the cancelled task's retry time: once it has been dialled, the
    # retry would have been too.
    marker_at = (clock.now() + timedelta(seconds=6)).replace(microsecond=0)
    _, (marker,) = ops.add_job([{**numbers("+1555631", 1)[0],
                                 "start_time_utc": timefmt.format(marker_at)}])
    ops.wait_statuses([marker], {"finished": 1})
    tries = [d["attempt_no"] for d in ops.dials() if d["task_id"] == task_id]
    assert tries == [1]
    document = ops.job(job_id)
    assert document["status"] == "Cancelled"
    assert document["counts"]["tasksCancelled"] == 1
    assert document["latestExecutionStatus"] == "STOPPED"


def test_restarting_a_failed_job_dials_its_failed_tasks_again_as_a_new_execution(
    ops_factory: OpsFactory,
) -> None:
    numbers_once_unanswered = {f"+1555640{i:04d}": ["no_answer", "answer"] for i in range(3)}
    ops = ops_factory({"default": "answer", "numbers": numbers_once_unanswered})
    job_id, task_ids = ops.add_job(numbers("+1555640", 3) + numbers("+1555641", 1),
                                   TrackingID="track-me-7")
    ops.stack.wait_for(lambda: ops.job(job_id)["status"] == "Failed", 30, "the job to fail")
    failed = ops.job(job_id)
    assert failed["counts"] == {"totalTasks": 4, "tasksSucceeded": 1, "tasksFailed": 3,
                                "tasksCancelled": 0, "tasksPending": 0}
    assert ops.act(job_id, "restart").status_code == 204
    ops.stack.wait_for(lambda: ops.job(job_id)["status"] == "Completed", 30, "Completed")
    document = ops.job(job_id)
    assert document["trackingId"] == "track-me-7"
    assert [e["statusMessage"] for e in document["jobExecutionStatus"]] == [
        "FAILED", "COMPLETED"]
    assert document["counts"]["tasksSucceeded"] == 4
    assert document["latestExecutionExitCode"] == "COMPLETED"
    assert all(e["timeElapsed"].startswith("PT") for e in document["jobExecutionStatus"])
    redialled = sorted(d["task_id"] for d in ops.dials() if d["leg"] == "A"
                       and d["attempt_no"] == 2)
    assert redialled == sorted(task_ids[:3])
    listed = ops.http.get("/jobs").json()["jobs"]
    assert [j["id"] for j in listed] == [str(job_id)]


def test_a_job_without_tracking_id_gets_one(ops_factory: OpsFactory) -> None:
    ops = ops_factory()
    job_id, _ = ops.add_job([{**numbers("+1555650", 1)[0], "start_time_utc": LATER}])
    document = ops.job(job_id)
    assert document["trackingId"].startswith("RINGBACK_")
    assert document["jobType"] == "callbacks" and document["instanceId"] == ops.scheduler_id
    assert document["sourceUserId"].startswith("token:")
    assert document["status"] == "Scheduled"
    assert document["latestExecutionStatus"] == "STARTING"
    with ops.engine.connect() as conn:
        assert conn.execute(sa.select(jobs.c.tracking_id).where(
            jobs.c.id == job_id)).scalar_one() == document["trackingId"]
