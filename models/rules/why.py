"""Why a task is not being dialled right now, and when it next may be: pure. The facts of
the task, its job and its scheduler are read elsewhere and passed in with ``now``; the
answer lists every cause that holds the task, in the order they will let go, each with
its time when one is known."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from models.rules import dnc, timefmt
from models.rules.calling import admission
from models.rules.job_state import JobStatus
from models.rules.task_state import TaskStatus, TaskTrigger

# A rule whose time passes frees the task, and another may then hold it: looked at again
# this many times (window, then cap, then window ...), which settles any real case.
SETTLE_ROUNDS = 4


class Cause(StrEnum):
    FINISHED = "finished"
    CANCELLED = "cancelled"
    TRY_RUNNING = "try_running"
    JOB_PAUSED = "job_paused"
    SCHEDULER_PAUSED = "scheduler_paused"
    DO_NOT_CALL = "do_not_call"
    START_TIME = "start_time"
    RETRY_PAUSE = "retry_pause"
    CALLING_WINDOW = "calling_window"
    NUMBER_CAP = "number_cap"
    CONCURRENCY = "concurrency_limit"
    INTERVAL = "interval"
    ASR_HOLD = "asr_hold"
    DUE = "due"  # nothing holds it: the next dispatch round takes it


RULE_HOLDS = frozenset({TaskStatus.DELAYED_CALLING_WINDOW, TaskStatus.DELAYED_NUMBER_CAP})
# Causes with no time of their own: they hold until someone resumes the task.
PAUSES = frozenset({Cause.JOB_PAUSED, Cause.SCHEDULER_PAUSED})


@dataclass(frozen=True, slots=True)
class SchedulerFacts:
    paused: bool
    concurrent_task_limit: int | None
    running: int  # tries claimed or dialling now
    interval_s: int
    last_dial_at: datetime | None
    asr_hold_until: datetime | None
    asr_percent: float | None
    asr_threshold: float | None


@dataclass(frozen=True, slots=True)
class TaskFacts:
    status: TaskStatus
    next_attempt_at: datetime | None
    attempts_made: int
    finish_comment: str | None
    job_status: JobStatus
    b_number: str
    task_timezone: str | None
    screening: dnc.Screening  # what the do-not-call lists say of its numbers now
    rules: admission.CallingRules | None
    history: admission.NumberHistory  # the client's dials of its B number
    margin: timedelta = timedelta(0)  # RINGBACK_CALLING_WINDOW_MARGIN_S
    running_since: datetime | None = None  # when its running try was claimed


@dataclass(frozen=True, slots=True)
class Reason:
    cause: Cause
    detail: str
    until: datetime | None = None  # when this cause lets go, if known
    data: dict[str, Any] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        return {"cause": self.cause.value, "detail": self.detail,
                "until": timefmt.format(self.until), **self.data}


@dataclass(frozen=True, slots=True)
class Explanation:
    waiting: bool  # not final, not running: something holds it, or dispatch is about to
    reasons: tuple[Reason, ...]
    next_eligible_at: datetime | None  # None: not known (a limit, a pause), or never

    def document(self) -> dict[str, Any]:
        return {"waiting": self.waiting, "next_eligible_at": timefmt.format(self.next_eligible_at),
                "summary": "; ".join(reason.detail for reason in self.reasons),
                "causes": [reason.document() for reason in self.reasons]}


def explain(task: TaskFacts, scheduler: SchedulerFacts, now: datetime) -> Explanation:
    stopped = _not_waiting(task)
    if stopped is not None:
        return Explanation(False, (stopped,), None)
    reasons = list(_paused(task, scheduler))
    if task.screening.refusal is not None:
        reasons.append(Reason(Cause.DO_NOT_CALL, f"{task.screening.refusal}: the task ends "
                              "without a try when it is next due"))
        return Explanation(True, tuple(reasons), None)
    eligible = _held_until(task, now, reasons)
    if eligible is not None and eligible <= now:
        pacing = _pacing(scheduler, now)
        reasons += pacing
        if pacing:
            ends = [r.until for r in pacing]
            eligible = None if None in ends else max(e for e in ends if e is not None)
    if any(r.cause in PAUSES for r in reasons):
        eligible = None  # until someone resumes it
    if not reasons:
        reasons.append(Reason(Cause.DUE, "due now: the next dispatch round dials it"))
    return Explanation(True, tuple(_dedupe(reasons)), eligible)


def _held_until(task: TaskFacts, now: datetime, reasons: list[Reason]) -> datetime | None:
    """When the task's own time and the calling rules let it go (None: never, or not
    known), each cause on the way added to ``reasons``. A task a rule holds is told by that
    rule read now, with its zones and local times."""
    due_at = max(task.next_attempt_at or now, now)
    if task.status in RULE_HOLDS:
        told = len(reasons)
        eligible = _settle_rules(task, now, now, reasons)
        if len(reasons) > told or due_at <= now:
            return eligible
    if due_at > now:
        reasons.append(_own_time(task, due_at))
    return _settle_rules(task, due_at, now, reasons)


def _settle_rules(task: TaskFacts, due_at: datetime, now: datetime,
                  reasons: list[Reason]) -> datetime | None:
    """When the calling rules let the task go, from ``due_at`` on (None: never, or not
    known); each rule that holds it on the way is added to ``reasons``."""
    eligible: datetime | None = due_at
    for _ in range(SETTLE_ROUNDS):
        rule = _calling_rule(task, eligible, now) if eligible is not None else None
        if rule is None:
            break
        reasons.append(rule)
        eligible = rule.until
    return eligible


def _not_waiting(task: TaskFacts) -> Reason | None:
    if task.status is TaskStatus.FINISHED:
        return Reason(Cause.FINISHED, f"finished: {task.finish_comment or 'no comment'}")
    if task.status is TaskStatus.CANCELLED:
        return Reason(Cause.CANCELLED, "cancelled: it is never dialled again")
    if task.status is TaskStatus.EXECUTED:
        return Reason(Cause.TRY_RUNNING, f"try {task.attempts_made} is running now",
                      data={"since": timefmt.format(task.running_since)})
    return None


def _paused(task: TaskFacts, scheduler: SchedulerFacts) -> list[Reason]:
    reasons = []
    if task.job_status is JobStatus.PAUSED or (
            task.status is TaskStatus.PAUSED and not scheduler.paused):
        reasons.append(Reason(Cause.JOB_PAUSED, "its job is paused: restart the job to go on"))
    if scheduler.paused:
        reasons.append(Reason(Cause.SCHEDULER_PAUSED,
                              "its scheduler is paused: nothing there is dialled until resumed"))
    return reasons


def _own_time(task: TaskFacts, due_at: datetime) -> Reason:
    """What the task's own next time is: its start, a retry's pause, or a rule's hold."""
    if task.status is TaskStatus.DELAYED_CALLING_WINDOW:
        return Reason(Cause.CALLING_WINDOW,
                      f"the calling window opens at {timefmt.format(due_at)} UTC", due_at)
    if task.status is TaskStatus.DELAYED_NUMBER_CAP:
        return Reason(Cause.NUMBER_CAP, f"the number's cap frees at {timefmt.format(due_at)} UTC",
                      due_at)
    if task.attempts_made == 0:  # scheduled, or paused with its job before its start
        return Reason(Cause.START_TIME, f"starts at {timefmt.format(due_at)} UTC", due_at)
    return Reason(Cause.RETRY_PAUSE, f"try {task.attempts_made} failed: the next try waits "
                  f"until {timefmt.format(due_at)} UTC", due_at)


def _calling_rule(task: TaskFacts, at: datetime, now: datetime) -> Reason | None:
    """What the calling rules say at ``at`` (the task's due time, or a later opening)."""
    if task.rules is None:
        return None
    verdict = admission.admit(task.rules, task.b_number, task.task_timezone, task.history, at,
                              task.margin)
    when = "now" if at <= now else f"at {timefmt.format(at)} UTC"
    if verdict.hold is TaskTrigger.HOLD_CALLING_WINDOW:
        zones = verdict.evidence["window"]["evidence"]
        seen = ", ".join(f"{z['local_time'][11:16]} in {z['zone']}" for z in zones)
        opens = "never opens" if verdict.next_at is None else (
            f"opens at {timefmt.format(verdict.next_at)} UTC")
        return Reason(Cause.CALLING_WINDOW, f"the calling window is closed {when} ({seen}); "
                      f"it {opens}", verdict.next_at, {"zones": zones})
    if verdict.hold is TaskTrigger.HOLD_NUMBER_CAP:
        cap = verdict.evidence["cap"]
        return Reason(Cause.NUMBER_CAP, f"number cap {when}: {task.b_number} {cap['reason']}",
                      verdict.next_at, {"rule": cap["rule"]})
    if verdict.hold is TaskTrigger.REFUSE:
        return Reason(Cause.NUMBER_CAP, f"{verdict.reason}: the task ends without a try")
    return None


def _pacing(scheduler: SchedulerFacts, now: datetime) -> list[Reason]:
    """The scheduler-wide holds on a task that is due now."""
    reasons = []
    limit = scheduler.concurrent_task_limit
    if limit is not None and scheduler.running >= limit:
        reasons.append(Reason(Cause.CONCURRENCY, f"{scheduler.running} tries are running, the "
                              f"scheduler's concurrent_task_limit is {limit}: it goes when "
                              "one ends", data={"running": scheduler.running, "limit": limit}))
    if scheduler.interval_s and scheduler.last_dial_at is not None:
        free_at = scheduler.last_dial_at + timedelta(seconds=scheduler.interval_s)
        if free_at > now:
            reasons.append(Reason(Cause.INTERVAL, f"the scheduler's interval of "
                                  f"{scheduler.interval_s} s since its last dial ends at "
                                  f"{timefmt.format(free_at)} UTC", free_at))
    if scheduler.asr_hold_until is not None and scheduler.asr_hold_until > now:
        asr = "unknown" if scheduler.asr_percent is None else f"{scheduler.asr_percent:.1f} %"
        reasons.append(Reason(Cause.ASR_HOLD, f"the scheduler's ASR ({asr}) fell under its "
                              f"threshold of {scheduler.asr_threshold} %: held until "
                              f"{timefmt.format(scheduler.asr_hold_until)} UTC",
                              scheduler.asr_hold_until))
    return reasons


def _dedupe(reasons: list[Reason]) -> list[Reason]:
    """The task's own hold and the rule read again at that time may say the same."""
    kept: list[Reason] = []
    for reason in reasons:
        if kept and kept[-1].cause is reason.cause and kept[-1].until == reason.until:
            continue
        kept.append(reason)
    return kept
