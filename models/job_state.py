"""Job statuses, as the "change job status" page names them."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    SCHEDULED = "Scheduled"  # no try has started yet
    RUNNING = "Running"  # a try started and some task is not final
    COMPLETED = "Completed"  # every task finished with success
    FAILED = "Failed"  # every task is final and one or more failed
    PAUSED = "Paused"
    CANCELLED = "Cancelled"


class JobTrigger(StrEnum):
    START = "start"  # the first try of the job started
    FINISH_ALL_SUCCEEDED = "finish_all_succeeded"
    FINISH_SOME_FAILED = "finish_some_failed"


J = JobStatus
TRANSITIONS: dict[JobTrigger, tuple[frozenset[JobStatus], JobStatus]] = {
    JobTrigger.START: (frozenset({J.SCHEDULED}), J.RUNNING),
    JobTrigger.FINISH_ALL_SUCCEEDED: (frozenset({J.SCHEDULED, J.RUNNING}), J.COMPLETED),
    JobTrigger.FINISH_SOME_FAILED: (frozenset({J.SCHEDULED, J.RUNNING}), J.FAILED),
}


def allowed_from(trigger: JobTrigger) -> frozenset[JobStatus]:
    return TRANSITIONS[trigger][0]


def target(trigger: JobTrigger) -> JobStatus:
    return TRANSITIONS[trigger][1]


def finish_trigger(tasks_failed: int) -> JobTrigger:
    """Which trigger ends a job whose every task is final."""
    return JobTrigger.FINISH_SOME_FAILED if tasks_failed else JobTrigger.FINISH_ALL_SUCCEEDED
