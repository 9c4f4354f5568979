"""Job statuses and every job transition, the "change job status" actions included, in one
table; and what each action does to the job's tasks. Pure."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    SCHEDULED = "Scheduled"  # no try of this execution has started yet
    RUNNING = "Running"  # a try started and some task is not final
    COMPLETED = "Completed"  # every task finished with success
    FAILED = "Failed"  # every task is final and one or more failed
    PAUSED = "Paused"
    CANCELLED = "Cancelled"


class JobTrigger(StrEnum):
    START = "start"  # the first try of the execution started
    FINISH_ALL_SUCCEEDED = "finish_all_succeeded"
    FINISH_SOME_FAILED = "finish_some_failed"
    # The actions of POST /interactions/jobs/{id}/{action}; resume is implied by the seeds.
    CANCEL = "cancel"
    PAUSE = "pause"
    RESTART = "restart"
    RESUME = "resume"


class TaskEffect(StrEnum):
    """What the worker does to a job's tasks once an action is accepted."""

    CANCEL_UNFINISHED = "cancel_unfinished"  # waiting and paused tasks → cancelled
    PAUSE_WAITING = "pause_waiting"  # waiting tasks → paused; ringing calls finish
    RESUME_PAUSED = "resume_paused"  # paused tasks → scheduled
    REARM_FAILED = "rearm_failed"  # failed tasks → scheduled with all their tries again


J = JobStatus
TRANSITIONS: dict[JobTrigger, tuple[frozenset[JobStatus], JobStatus]] = {
    JobTrigger.START: (frozenset({J.SCHEDULED}), J.RUNNING),
    JobTrigger.FINISH_ALL_SUCCEEDED: (frozenset({J.SCHEDULED, J.RUNNING}), J.COMPLETED),
    JobTrigger.FINISH_SOME_FAILED: (frozenset({J.SCHEDULED, J.RUNNING}), J.FAILED),
    JobTrigger.CANCEL: (frozenset({J.SCHEDULED, J.RUNNING, J.PAUSED}), J.CANCELLED),
    JobTrigger.PAUSE: (frozenset({J.SCHEDULED, J.RUNNING}), J.PAUSED),
    JobTrigger.RESTART: (frozenset({J.FAILED, J.PAUSED}), J.SCHEDULED),
    JobTrigger.RESUME: (frozenset({J.PAUSED}), J.SCHEDULED),
}
ACTIONS: frozenset[JobTrigger] = frozenset(
    {JobTrigger.CANCEL, JobTrigger.PAUSE, JobTrigger.RESTART, JobTrigger.RESUME}
)
FINISHING: frozenset[JobTrigger] = frozenset(
    {JobTrigger.FINISH_ALL_SUCCEEDED, JobTrigger.FINISH_SOME_FAILED})
# Statuses in which dispatch may start tries of the job's tasks.
DIALLABLE: frozenset[JobStatus] = frozenset({J.SCHEDULED, J.RUNNING})


class ActionRefused(ValueError):
    def __init__(self, trigger: JobTrigger, status: JobStatus) -> None:
        allowed = ", ".join(sorted(s.value for s in allowed_from(trigger)))
        super().__init__(f"the job is {status.value}; {trigger.value} is allowed only "
                         f"from {allowed}")
        self.status = status


def allowed_from(trigger: JobTrigger) -> frozenset[JobStatus]:
    return TRANSITIONS[trigger][0]


def target(trigger: JobTrigger) -> JobStatus:
    return TRANSITIONS[trigger][1]


def transition(status: JobStatus, trigger: JobTrigger) -> JobStatus:
    sources, to = TRANSITIONS[trigger]
    if status not in sources:
        raise ActionRefused(trigger, status)
    return to


def finish_trigger(tasks_failed: int) -> JobTrigger:
    """Which trigger ends a job whose every task is final."""
    return JobTrigger.FINISH_SOME_FAILED if tasks_failed else JobTrigger.FINISH_ALL_SUCCEEDED


def task_effect(trigger: JobTrigger, from_status: JobStatus) -> TaskEffect:
    """A restart resumes a paused job, and gives a failed one a new execution."""
    if trigger is JobTrigger.CANCEL:
        return TaskEffect.CANCEL_UNFINISHED
    if trigger is JobTrigger.PAUSE:
        return TaskEffect.PAUSE_WAITING
    if trigger is JobTrigger.RESTART and from_status is J.FAILED:
        return TaskEffect.REARM_FAILED
    if trigger in (JobTrigger.RESTART, JobTrigger.RESUME):
        return TaskEffect.RESUME_PAUSED
    raise ValueError(f"{trigger.value} is not a job action")


def starts_new_execution(trigger: JobTrigger, from_status: JobStatus) -> bool:
    return trigger is JobTrigger.RESTART and from_status is J.FAILED
