"""Job statuses and every job transition, the "change job status" actions included, in one
table; and what each action does to the job's tasks. Pure."""

from __future__ import annotations

from enum import StrEnum

from models.rules import state_machine


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
ACTIONS: frozenset[JobTrigger] = frozenset(
    {JobTrigger.CANCEL, JobTrigger.PAUSE, JobTrigger.RESTART, JobTrigger.RESUME}
)
FINISHING: frozenset[JobTrigger] = frozenset(
    {JobTrigger.FINISH_ALL_SUCCEEDED, JobTrigger.FINISH_SOME_FAILED})
# Statuses in which dispatch may start tries of the job's tasks.
DIALLABLE: frozenset[JobStatus] = frozenset({J.SCHEDULED, J.RUNNING})
# What each action does to the tasks, whatever the job's status was ...
TASK_EFFECTS: dict[JobTrigger, TaskEffect] = {
    JobTrigger.CANCEL: TaskEffect.CANCEL_UNFINISHED,
    JobTrigger.PAUSE: TaskEffect.PAUSE_WAITING,
    JobTrigger.RESTART: TaskEffect.RESUME_PAUSED,
    JobTrigger.RESUME: TaskEffect.RESUME_PAUSED,
}
# ... but for these: a restart gives a failed job a new execution, not a resume.
TASK_EFFECTS_FROM: dict[tuple[JobTrigger, JobStatus], TaskEffect] = {
    (JobTrigger.RESTART, J.FAILED): TaskEffect.REARM_FAILED,
}


class ActionRefused(state_machine.TransitionRefused[JobStatus, JobTrigger]):
    def describe(self, trigger: JobTrigger, status: JobStatus) -> str:
        allowed = ", ".join(sorted(s.value for s in allowed_from(trigger)))
        return f"the job is {status.value}; {trigger.value} is allowed only from {allowed}"


MACHINE: state_machine.StateMachine[JobStatus, JobTrigger] = state_machine.StateMachine({
    JobTrigger.START: (frozenset({J.SCHEDULED}), J.RUNNING),
    JobTrigger.FINISH_ALL_SUCCEEDED: (frozenset({J.SCHEDULED, J.RUNNING}), J.COMPLETED),
    JobTrigger.FINISH_SOME_FAILED: (frozenset({J.SCHEDULED, J.RUNNING}), J.FAILED),
    JobTrigger.CANCEL: (frozenset({J.SCHEDULED, J.RUNNING, J.PAUSED}), J.CANCELLED),
    JobTrigger.PAUSE: (frozenset({J.SCHEDULED, J.RUNNING}), J.PAUSED),
    JobTrigger.RESTART: (frozenset({J.FAILED, J.PAUSED}), J.SCHEDULED),
    JobTrigger.RESUME: (frozenset({J.PAUSED}), J.SCHEDULED),
}, ActionRefused)
TRANSITIONS = MACHINE.table
allowed_from = MACHINE.allowed_from
target = MACHINE.target
transition = MACHINE.transition


def finish_trigger(tasks_failed: int) -> JobTrigger:
    """Which trigger ends a job whose every task is final."""
    return JobTrigger.FINISH_SOME_FAILED if tasks_failed else JobTrigger.FINISH_ALL_SUCCEEDED


def task_effect(trigger: JobTrigger, from_status: JobStatus) -> TaskEffect:
    """A restart resumes a paused job, and gives a failed one a new execution."""
    effect = TASK_EFFECTS_FROM.get((trigger, from_status)) or TASK_EFFECTS.get(trigger)
    if effect is None:
        raise ValueError(f"{trigger.value} is not a job action")
    return effect


def starts_new_execution(trigger: JobTrigger, from_status: JobStatus) -> bool:
    return TASK_EFFECTS_FROM.get((trigger, from_status)) is TaskEffect.REARM_FAILED
