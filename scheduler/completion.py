"""Ending tries: one transaction decides each task's next state and writes its events,
for as many tries as ended together (a statement per kind of change, not per try)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa

from models import log_context
from models.rules import job_state, retry
from models.rules.calling import retry_rules
from models.rules.errors import InvalidInput
from models.rules.job_state import JobStatus
from models.rules.outcome import CallOutcome
from models.rules.task_state import FinishResult, TaskTrigger
from models.shapes import events, rows
from models.shapes.events import EventType
from models.shapes.rows import AttemptRow, Ending, TaskRow
from models.storage.repository import (
    attempts_repo,
    calls_repo,
    events_repo,
    jobs_repo,
    schedulers_repo,
    tasks_repo,
)

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
# Tries ended per transaction. Each one holds its jobs' statuses from its tasks' change to
# its commit, and a job action waits for that: batches stay short (issue 23: a batch of
# 1,000 took over 1.5 s under load).
COLLECT_BATCH_MAX = 100
# A try that would be retried while its job is paused or cancelled waits or ends instead.
HELD_RETRY: dict[JobStatus, TaskTrigger] = {
    JobStatus.PAUSED: TaskTrigger.PAUSE_AFTER_TRY,
    JobStatus.CANCELLED: TaskTrigger.CANCEL_AFTER_TRY,
}
# Triggers that make a task final, and the events each writes.
FINAL_EVENTS: dict[TaskTrigger, tuple[EventType, ...]] = {
    TaskTrigger.SUCCEED: (EventType.SUCCESS, EventType.AFTER),
    TaskTrigger.FAIL: (EventType.AFTER,),
    TaskTrigger.CANCEL_AFTER_TRY: (),
}
# The result a task keeps, by the verdict that made it final.
FINISH_RESULTS: dict[retry.Verdict, FinishResult] = {
    retry.Verdict.SUCCEED: FinishResult.SUCCESS,
    retry.Verdict.FAIL: FinishResult.FAILED,
}


@dataclass(frozen=True)
class _Plan:
    attempt: AttemptRow
    task: TaskRow
    outcome: CallOutcome | None
    decision: retry.Decision
    trigger: TaskTrigger


def complete_attempts(engine: sa.Engine, endings: Sequence[Ending], now: datetime) -> set[int]:
    """Record the outcomes in one transaction; returns the attempts that ended here (one
    that another run had already ended is skipped by the guarded UPDATE)."""
    if not endings:
        return set()
    with engine.begin() as conn:
        return record_endings(conn, endings, now)


def record_endings(conn: sa.Connection, endings: Sequence[Ending], now: datetime) -> set[int]:
    """complete_attempts within the caller's transaction."""
    if not endings:
        return set()
    ended = attempts_repo.end_attempts(conn, endings, now)
    plans = _plan(conn, ended, dict(endings), now)
    # Held from here until commit, as late as can be: an action accepted meanwhile waits,
    # then applies to the tasks as these tries leave them (issue 23).
    statuses = jobs_repo.hold_statuses(conn, {plan.task.job_id for plan in plans})
    changed = _change_tasks(conn, [_held(p, statuses[p.task.job_id]) for p in plans], now)
    _count_finals(conn, changed, now)
    return {int(attempt.id) for attempt in ended}


def collect_ended_calls(
    engine: sa.Engine, now: datetime, limit: int, attempt_ids: Sequence[int] | None = None
) -> int:
    """End the tries whose calls have an outcome by ``now`` (of ``attempt_ids`` only, when
    given), at most ``limit`` calls, in one transaction; returns how many calls it took."""
    with engine.begin() as conn:
        ended_calls = calls_repo.take_ended(conn, now, limit, attempt_ids)
        # Before the tries are ended: the jobs' statuses are held for as little as can be.
        calls_repo.mark_collected(conn, [ending.attempt_id for ending in ended_calls], now)
        record_endings(conn, ended_calls, now)
    return len(ended_calls)


def collect_batches(engine: sa.Engine, clock: Clock, rounds_max: int) -> int:
    """collect_ended_calls, COLLECT_BATCH_MAX calls per transaction, until a batch comes
    back short or after ``rounds_max`` batches; returns how many calls it took."""
    taken = 0
    for _ in range(rounds_max):
        collected = collect_ended_calls(engine, clock(), COLLECT_BATCH_MAX)
        taken += collected
        if collected < COLLECT_BATCH_MAX:
            break
    return taken


def collect_these(engine: sa.Engine, clock: Clock, attempt_ids: Sequence[int]) -> int:
    """collect_ended_calls of ``attempt_ids``, COLLECT_BATCH_MAX of them per transaction."""
    return sum(collect_ended_calls(engine, clock(), COLLECT_BATCH_MAX,
                                   attempt_ids[start:start + COLLECT_BATCH_MAX])
               for start in range(0, len(attempt_ids), COLLECT_BATCH_MAX))


def try_in_execution(attempt_no: int, task: TaskRow) -> int:
    """The try's number within the job's current execution (a restart starts again at 1)."""
    return attempt_no - task.tries_before_execution


def _plan(
    conn: sa.Connection, ended: Sequence[AttemptRow],
    outcomes: Mapping[int, CallOutcome | None], now: datetime,
) -> list[_Plan]:
    task_rows = tasks_repo.load_tasks(conn, [a.task_id for a in ended])
    decisions = _decide(conn, ended, task_rows, outcomes, now)
    return [_Plan(a, task_rows[a.task_id], outcomes[a.id], decisions[a.id],
                  decisions[a.id].verdict.trigger) for a in ended]


def _held(plan: _Plan, job_status: JobStatus) -> _Plan:
    """A try that would be retried waits `paused` or ends while its job is paused or
    cancelled."""
    if plan.decision.verdict is not retry.Verdict.RETRY:
        return plan
    return replace(plan, trigger=HELD_RETRY.get(job_status, plan.trigger))


def _decide(
    conn: sa.Connection, ended: Sequence[AttemptRow], task_rows: Mapping[int, TaskRow],
    outcomes: Mapping[int, CallOutcome | None], now: datetime,
) -> dict[int, retry.Decision]:
    """Each try's decision, by attempt. The schedulers' retry rules and the tries' history
    are read once for the whole batch, the history only for tasks whose decision needs it."""
    rules = _retry_rules(conn, {task.scheduler_id for task in task_rows.values()})
    histories = attempts_repo.try_histories(conn, [
        a.task_id for a in ended
        if retry.needs_history(rules[task_rows[a.task_id].scheduler_id], a.attempt_no)])
    decisions = {}
    for attempt in ended:
        task = task_rows[attempt.task_id]
        facts = retry.TryFacts(
            attempt_no=attempt.attempt_no,
            try_in_execution=try_in_execution(attempt.attempt_no, task),
            try_count=task.try_count, try_again_pause_s=task.try_again_pause,
            history=histories.get(task.id, ()))
        decisions[attempt.id] = retry.decide_by_rules(
            rules[task.scheduler_id], outcomes[attempt.id], facts, now)
    return decisions


def _retry_rules(
    conn: sa.Connection, scheduler_ids: Iterable[int]
) -> dict[int, retry_rules.RetryRules | None]:
    """The schedulers' retry rules, parsed. They were checked when stored; should a later,
    stricter check refuse them, tries must still end: by try_again_pause, as without."""
    parsed: dict[int, retry_rules.RetryRules | None] = {}
    for scheduler_id, document in schedulers_repo.retry_rules_of(conn, scheduler_ids).items():
        try:
            parsed[scheduler_id] = retry_rules.parse_retry_rules(document)
        except InvalidInput as refused:
            log.warning("scheduler %s: stored retry_rules ignored: %s", scheduler_id, refused)
            parsed[scheduler_id] = None
    return parsed


def _change_tasks(
    conn: sa.Connection, plans: Sequence[_Plan], now: datetime
) -> list[tuple[_Plan, TaskRow]]:
    """Each task's guarded change, one statement per trigger; the events of those that
    became final. Returns the plans whose task changed, with the task as it is now."""
    changed = []
    for trigger in sorted({p.trigger for p in plans}):
        group = {p.task.id: p for p in plans if p.trigger is trigger}
        changes = [{"id": task_id, **_task_fields(p)} for task_id, p in group.items()]
        for task in tasks_repo.apply_task_trigger_each(conn, trigger, changes, now):
            plan = group[task.id]
            log.info("try ended: %s; %s", plan.decision.comment, trigger.value,
                     extra=log_context.for_call(task, plan.attempt.id, plan.attempt.attempt_no))
            changed.append((plan, task))
    events_repo.insert_events(conn, [
        events.task_event(kind, rows.as_dict(task), plan.attempt.attempt_no, now)
        for plan, task in changed for kind in FINAL_EVENTS.get(plan.trigger, ())
    ])
    return changed


def _task_fields(plan: _Plan) -> dict[str, object]:
    """The same keys for every task given one trigger: one statement sets them all."""
    decision, outcome = plan.decision, plan.outcome
    if decision.verdict is retry.Verdict.RETRY:
        # A try that does not count is one more try before this execution's count.
        uncounted = 0 if decision.spends_try else 1
        return {"next_attempt_at": decision.next_attempt_at,
                "tries_before_execution": plan.task.tries_before_execution + uncounted}
    # A task's cdr is empty until the try that ends it: only a connected call has one.
    return {"finish_result": FINISH_RESULTS[decision.verdict].value,
            "finish_comment": decision.comment,
            "next_attempt_at": None, "cdr": outcome.cdr if outcome else None}


def _count_finals(
    conn: sa.Connection, changed: Sequence[tuple[_Plan, TaskRow]], now: datetime
) -> None:
    """Count the tasks that became final on their jobs; a job whose last task this was
    ends Completed or Failed (a paused or cancelled one keeps its status: the guard). Jobs
    are counted in id order, so two finishers never deadlock."""
    finals: dict[int, tuple[int, int]] = {}
    for plan, task in changed:
        if plan.trigger in FINAL_EVENTS:
            final, failed = finals.get(task.job_id, (0, 0))
            finals[task.job_id] = (final + 1, failed + (plan.trigger is TaskTrigger.FAIL))
    count_finals_by_job(conn, finals, now)


def count_finals_by_job(conn: sa.Connection, finals: Mapping[int, tuple[int, int]],
                        now: datetime) -> None:
    """Add (tasks become final, of them failed) to each job's counts; a job whose last
    task this was ends Completed or Failed."""
    counted = [jobs_repo.adjust_counts(conn, job_id, *finals[job_id], now)
               for job_id in sorted(finals)]
    for counts in counted:
        if counts.tasks_final >= counts.tasks_total:
            trigger = job_state.finish_trigger(counts.tasks_failed)
            jobs_repo.change_status(conn, [counts.id], trigger, now)
