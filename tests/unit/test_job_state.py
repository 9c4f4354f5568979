from __future__ import annotations

import pytest

from models import job_state
from models.job_state import JobStatus, JobTrigger

J = JobStatus

EXPECTED: dict[JobTrigger, tuple[set[JobStatus], JobStatus]] = {
    JobTrigger.START: ({J.SCHEDULED}, J.RUNNING),
    JobTrigger.FINISH_ALL_SUCCEEDED: ({J.SCHEDULED, J.RUNNING}, J.COMPLETED),
    JobTrigger.FINISH_SOME_FAILED: ({J.SCHEDULED, J.RUNNING}, J.FAILED),
}


def test_expected_table_covers_every_trigger() -> None:
    assert set(EXPECTED) == set(JobTrigger)
    assert set(job_state.TRANSITIONS) == set(JobTrigger)


@pytest.mark.parametrize("trigger", list(JobTrigger))
def test_allowed_from_and_target(trigger: JobTrigger) -> None:
    sources, to = EXPECTED[trigger]
    assert set(job_state.allowed_from(trigger)) == sources
    assert job_state.target(trigger) is to


@pytest.mark.parametrize("trigger", list(JobTrigger))
@pytest.mark.parametrize("status", [J.COMPLETED, J.FAILED, J.CANCELLED, J.PAUSED])
def test_no_trigger_moves_a_final_or_paused_job(status: JobStatus, trigger: JobTrigger) -> None:
    assert status not in job_state.allowed_from(trigger)


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
    ],
)
def test_enum_values_are_the_stored_strings(member: JobStatus | JobTrigger, stored: str) -> None:
    assert member == stored
    assert type(member)(stored) is member
