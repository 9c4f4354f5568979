from __future__ import annotations

import pytest

from models.rules import job_state
from models.rules.job_state import JobStatus, JobTrigger

J = JobStatus

EXPECTED: dict[JobTrigger, tuple[set[JobStatus], JobStatus]] = {
    JobTrigger.START: ({J.SCHEDULED}, J.RUNNING),
    JobTrigger.FINISH_ALL_SUCCEEDED: ({J.SCHEDULED, J.RUNNING}, J.COMPLETED),
    JobTrigger.FINISH_SOME_FAILED: ({J.SCHEDULED, J.RUNNING}, J.FAILED),
    JobTrigger.CANCEL: ({J.SCHEDULED, J.RUNNING, J.PAUSED}, J.CANCELLED),
    JobTrigger.PAUSE: ({J.SCHEDULED, J.RUNNING}, J.PAUSED),
    JobTrigger.RESTART: ({J.FAILED, J.PAUSED}, J.SCHEDULED),
    JobTrigger.RESUME: ({J.PAUSED}, J.SCHEDULED),
}


def test_expected_table_covers_every_trigger() -> None:
    assert set(EXPECTED) == set(JobTrigger)
    assert set(job_state.TRANSITIONS) == set(JobTrigger)


@pytest.mark.parametrize("trigger", list(JobTrigger))
def test_allowed_from_and_target(trigger: JobTrigger) -> None:
    sources, to = EXPECTED[trigger]
    assert set(job_state.allowed_from(trigger)) == sources
    assert job_state.target(trigger) is to


@pytest.mark.parametrize(
    "trigger", [JobTrigger.START, JobTrigger.FINISH_ALL_SUCCEEDED, JobTrigger.FINISH_SOME_FAILED])
@pytest.mark.parametrize("status", [J.COMPLETED, J.FAILED, J.CANCELLED, J.PAUSED])
def test_no_progress_trigger_moves_a_final_or_paused_job(
    status: JobStatus, trigger: JobTrigger
) -> None:
    assert status not in job_state.allowed_from(trigger)


@pytest.mark.parametrize("status", list(JobStatus))
@pytest.mark.parametrize("trigger", sorted(job_state.ACTIONS))
def test_every_action_from_every_status(status: JobStatus, trigger: JobTrigger) -> None:
    sources, to = EXPECTED[trigger]
    if status in sources:
        assert job_state.transition(status, trigger) is to
    else:
        with pytest.raises(job_state.ActionRefused) as refused:
            job_state.transition(status, trigger)
        assert status.value in str(refused.value) and refused.value.status is status


@pytest.mark.parametrize(("trigger", "status", "effect", "new_execution"), [
    (JobTrigger.CANCEL, J.RUNNING, job_state.TaskEffect.CANCEL_UNFINISHED, False),
    (JobTrigger.CANCEL, J.PAUSED, job_state.TaskEffect.CANCEL_UNFINISHED, False),
    (JobTrigger.PAUSE, J.SCHEDULED, job_state.TaskEffect.PAUSE_WAITING, False),
    (JobTrigger.RESTART, J.FAILED, job_state.TaskEffect.REARM_FAILED, True),
    (JobTrigger.RESTART, J.PAUSED, job_state.TaskEffect.RESUME_PAUSED, False),
    (JobTrigger.RESUME, J.PAUSED, job_state.TaskEffect.RESUME_PAUSED, False),
])
def test_what_each_action_does_to_the_tasks(
    trigger: JobTrigger, status: JobStatus, effect: job_state.TaskEffect, new_execution: bool
) -> None:
    assert job_state.task_effect(trigger, status) is effect
    assert job_state.starts_new_execution(trigger, status) is new_execution


@pytest.mark.parametrize(
    ("failed", "expected"),
    [
        (0, JobTrigger.FINISH_ALL_SUCCEEDED),
        (1, JobTrigger.FINISH_SOME_FAILED),
        (2, JobTrigger.FINISH_SOME_FAILED),
    ],
)
def test_finish_trigger(failed: int, expected: JobTrigger) -> None:
    assert job_state.finish_trigger(failed) is expected


@pytest.mark.parametrize(
    ("member", "stored"),
    [
        (J.SCHEDULED, "Scheduled"),
        (J.RUNNING, "Running"),
        (J.COMPLETED, "Completed"),
        (J.FAILED, "Failed"),
        (J.PAUSED, "Paused"),
        (J.CANCELLED, "Cancelled"),
        (JobTrigger.START, "start"),
        (JobTrigger.FINISH_ALL_SUCCEEDED, "finish_all_succeeded"),
        (JobTrigger.FINISH_SOME_FAILED, "finish_some_failed"),
        (JobTrigger.CANCEL, "cancel"),
        (JobTrigger.PAUSE, "pause"),
        (JobTrigger.RESTART, "restart"),
        (JobTrigger.RESUME, "resume"),
    ],
)
def test_enum_values_are_the_stored_strings(member: JobStatus | JobTrigger, stored: str) -> None:
    assert member == stored
    assert type(member)(stored) is member
