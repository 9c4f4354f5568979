"""Operator actions, as the actions table stores them: their kinds and statuses. Pure.

The API records an action in the transaction that changes the job; the worker applies it
to the tasks once (pending → applied), or the sweep does if its message was lost.
"""

from __future__ import annotations

from enum import StrEnum

from models.rules.job_state import JobTrigger


class ActionKind(StrEnum):
    # The "change job status" actions, stored as their job trigger's value ...
    CANCEL = "cancel"
    PAUSE = "pause"
    RESTART = "restart"
    RESUME = "resume"
    # ... and the "reschedule record" page's move of one task.
    RESCHEDULE = "reschedule"


class ActionStatus(StrEnum):
    PENDING = "pending"  # accepted, not yet applied to the tasks
    APPLIED = "applied"


# The job trigger each job action is; RESCHEDULE changes no job.
JOB_TRIGGERS: dict[ActionKind, JobTrigger] = {
    ActionKind.CANCEL: JobTrigger.CANCEL,
    ActionKind.PAUSE: JobTrigger.PAUSE,
    ActionKind.RESTART: JobTrigger.RESTART,
    ActionKind.RESUME: JobTrigger.RESUME,
}
KIND_OF_TRIGGER: dict[JobTrigger, ActionKind] = {
    trigger: kind for kind, trigger in JOB_TRIGGERS.items()}
