"""The task state machine: every allowed transition lives in TRANSITIONS."""

from __future__ import annotations

from enum import StrEnum

from models.rules import state_machine


class TaskStatus(StrEnum):
    SCHEDULED = "scheduled"
    EXECUTED = "executed"
    DELAYED = "delayed"
    DELAYED_ASR = "delayed_asr"
    DELAYED_CONCURRENT_TASK = "delayed_concurrent_task"
    DELAYED_INTERVAL = "delayed_interval"
    DELAYED_CALLING_WINDOW = "delayed_calling_window"  # closed in the B number's local time
    DELAYED_NUMBER_CAP = "delayed_number_cap"  # the number was dialled as often as allowed
    FINISHED = "finished"
    PAUSED = "paused"
    CANCELLED = "cancelled"


class TaskTrigger(StrEnum):
    CLAIM = "claim"  # dispatch starts a try
    HOLD_ASR = "hold_asr"
    HOLD_CONCURRENCY = "hold_concurrency"
    HOLD_INTERVAL = "hold_interval"
    HOLD_CALLING_WINDOW = "hold_calling_window"
    HOLD_NUMBER_CAP = "hold_number_cap"
    SUCCEED = "succeed"  # the try connected A and B
    RETRY = "retry"  # the try failed and tries remain
    FAIL = "fail"  # the try failed and it was the last
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    REARM = "rearm"  # a restart gives a failed task its tries again
    PAUSE_AFTER_TRY = "pause_after_try"  # a try ended while its job was paused
    CANCEL_AFTER_TRY = "cancel_after_try"  # a try ended while its job was cancelled
    RESCHEDULE = "reschedule"  # the "reschedule record" page moved its start
    # A calling rule ends the task without a try: its number reached its lifetime cap, or
    # is on a do-not-call list.
    REFUSE = "refuse"


class FinishResult(StrEnum):
    SUCCESS = "success"
    FAILED = "failed"


S = TaskStatus
# Statuses of a task that waits for its next try; dispatch may claim or hold it.
WAITING: frozenset[TaskStatus] = frozenset(
    {S.SCHEDULED, S.DELAYED, S.DELAYED_ASR, S.DELAYED_CONCURRENT_TASK, S.DELAYED_INTERVAL,
     S.DELAYED_CALLING_WINDOW, S.DELAYED_NUMBER_CAP}
)
FINAL: frozenset[TaskStatus] = frozenset({S.FINISHED, S.CANCELLED})


class TransitionRefused(state_machine.TransitionRefused[TaskStatus, TaskTrigger]):
    subject = "task"


MACHINE: state_machine.StateMachine[TaskStatus, TaskTrigger] = state_machine.StateMachine({
    TaskTrigger.CLAIM: (WAITING, S.EXECUTED),
    TaskTrigger.HOLD_ASR: (WAITING, S.DELAYED_ASR),
    TaskTrigger.HOLD_CONCURRENCY: (WAITING, S.DELAYED_CONCURRENT_TASK),
    TaskTrigger.HOLD_INTERVAL: (WAITING, S.DELAYED_INTERVAL),
    TaskTrigger.HOLD_CALLING_WINDOW: (WAITING, S.DELAYED_CALLING_WINDOW),
    TaskTrigger.HOLD_NUMBER_CAP: (WAITING, S.DELAYED_NUMBER_CAP),
    TaskTrigger.SUCCEED: (frozenset({S.EXECUTED}), S.FINISHED),
    TaskTrigger.RETRY: (frozenset({S.EXECUTED}), S.DELAYED),
    TaskTrigger.FAIL: (frozenset({S.EXECUTED}), S.FINISHED),
    TaskTrigger.PAUSE: (WAITING, S.PAUSED),
    TaskTrigger.RESUME: (frozenset({S.PAUSED}), S.SCHEDULED),
    TaskTrigger.CANCEL: (WAITING | {S.PAUSED}, S.CANCELLED),
    TaskTrigger.REARM: (frozenset({S.FINISHED}), S.SCHEDULED),
    TaskTrigger.PAUSE_AFTER_TRY: (frozenset({S.EXECUTED}), S.PAUSED),
    TaskTrigger.CANCEL_AFTER_TRY: (frozenset({S.EXECUTED}), S.CANCELLED),
    TaskTrigger.RESCHEDULE: (WAITING, S.SCHEDULED),
    TaskTrigger.REFUSE: (WAITING, S.FINISHED),
}, TransitionRefused)
TRANSITIONS = MACHINE.table
allowed_from = MACHINE.allowed_from
target = MACHINE.target
transition = MACHINE.transition
