"""Attempts (tries): claims, dialing, outcomes, and what the reaper looks for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol

import sqlalchemy as sa

from models.rules import attempt_state, limits, pacing, retry
from models.rules.attempt_state import AttemptStatus, AttemptTrigger
from models.rules.outcome import NOT_PLACED, CallOutcome
from models.shapes.rows import AttemptRow, ClaimedTask, Ending
from models.storage.call_tables import calls
from models.storage.repository import bulk, common
from models.storage.tables import attempts, job_executions, tasks

# A lost try's cause when its call was abandoned before any number was dialled.
NOT_PLACED_CAUSE = "not_placed"


class ClaimFacts(Protocol):
    """What dispatch decided of each claimed task, by task id (scheduler.calling.RuleClaim)."""

    @property
    def evidence(self) -> Mapping[int, dict[str, Any]]: ...
    @property
    def dial_by(self) -> Mapping[int, datetime]: ...
    @property
    def skipped(self) -> Mapping[int, list[str]]: ...


def insert_attempts(
    conn: sa.Connection, scheduler_id: int, claimed: Sequence[ClaimedTask], now: datetime,
    facts: ClaimFacts | None = None,
) -> list[int]:
    """One `claimed` attempt per claimed task, with the calling rules' evidence, the
    instant its window closes (the try is not placed from then on) and the A numbers a
    do-not-call list leaves out."""
    if not claimed:
        return []
    new_rows = [
        {"task_id": c.id, "scheduler_id": scheduler_id, "attempt_no": c.attempts_made,
         "status": AttemptStatus.CLAIMED.value, "due_at": c.next_attempt_at,
         "claimed_at": now, "sent_at": now,
         "rule_evidence": facts.evidence.get(c.id) if facts else None,
         "dial_by": facts.dial_by.get(c.id) if facts else None,
         "skipped_numbers": facts.skipped.get(c.id) if facts else None}
        for c in claimed
    ]
    stmt = attempts.insert().returning(attempts.c.id, sort_by_parameter_order=True)
    return [int(i) for i in conn.execute(stmt, new_rows).scalars()]


def begin_dialing(
    conn: sa.Connection, attempt_ids: Sequence[int], now: datetime
) -> list[AttemptRow]:
    """claimed → dialing, while its window is open (dial_by still ahead); an attempt another
    delivery of its message took, or one past its dial_by, is not returned."""
    if not attempt_ids:
        return []
    stmt = (
        attempts.update()
        .where(attempts.c.id.in_(attempt_ids),
               attempts.c.status.in_(attempt_state.allowed_from(AttemptTrigger.DIAL)),
               sa.or_(attempts.c.dial_by.is_(None), attempts.c.dial_by > now))
        .values(status=attempt_state.target(AttemptTrigger.DIAL).value, dialing_at=now)
        .returning(*attempts.c)
    )
    return common.from_rows(AttemptRow, conn.execute(stmt))


def set_skipped_numbers(conn: sa.Connection, skipped: Mapping[int, list[str]]) -> None:
    """The A numbers each attempt leaves out (a list holds them), as its evidence."""
    if skipped:
        conn.execute(attempts.update().where(attempts.c.id == sa.bindparam("attempt_id"))
                     .values(skipped_numbers=sa.bindparam("numbers")),
                     [{"attempt_id": a, "numbers": n} for a, n in skipped.items()])


def past_dial_by(conn: sa.Connection, attempt_ids: Sequence[int], now: datetime) -> list[int]:
    """Of ``attempt_ids``, those still claimed whose window closed by ``now``: never to be
    placed. Locked (SKIP LOCKED), so two deliveries do not both end one."""
    if not attempt_ids:
        return []
    stmt = (
        sa.select(attempts.c.id)
        .where(attempts.c.id.in_(attempt_ids), attempts.c.status == AttemptStatus.CLAIMED.value,
               attempts.c.dial_by <= now)
        .with_for_update(skip_locked=True)
    )
    return [int(i) for i in conn.execute(stmt).scalars()]


def end_attempts(
    conn: sa.Connection, endings: Sequence[Ending], now: datetime,
) -> list[AttemptRow]:
    """dialing → completed (with the outcome) or lost (None; a call never placed is lost
    too); returns the attempts ended here, not those another run had ended. Each attempt is
    changed once: a second change of a row in one transaction would take key-share locks on
    the rows it references."""
    groups: dict[tuple[AttemptTrigger, frozenset[str]], list[dict[str, Any]]] = {}
    for attempt_id, outcome in endings:
        trigger = (AttemptTrigger.COMPLETE if outcome is not None and outcome.placed
                   else AttemptTrigger.LOSE)
        values = _ending_values(attempt_id, outcome, trigger, now)
        groups.setdefault((trigger, frozenset(values)), []).append(values)
    ended: list[AttemptRow] = []
    for (trigger, _), changes in groups.items():
        guard = attempts.c.status.in_(attempt_state.allowed_from(trigger))
        ended += common.from_rows(
            AttemptRow, bulk.update_each(conn, attempts, changes, guard, list(attempts.c)))
    return ended


def _ending_values(
    attempt_id: int, outcome: CallOutcome | None, trigger: AttemptTrigger, now: datetime
) -> dict[str, Any]:
    values: dict[str, Any] = {"id": attempt_id,
                              "status": attempt_state.target(trigger).value, "ended_at": now}
    if outcome is not None and not outcome.placed:
        values["cause"] = NOT_PLACED_CAUSE
    elif outcome is not None:
        values.update(a_answered=outcome.a_answered, b_answered=outcome.b_answered,
                      cause=outcome.cause.value if outcome.cause else None, cdr=outcome.cdr,
                      talk_seconds=outcome.talk_seconds)
    return values


def try_histories(
    conn: sa.Connection, task_ids: Sequence[int]
) -> dict[int, tuple[retry.PastTry, ...]]:
    """The newest TRY_COUNT_MAX tries of each task since its job last restarted, with what
    the dialer said of each: one read for a batch of tasks (the retry rules' history)."""
    ids = sorted(set(task_ids))
    if not ids:
        return {}
    # A restart starts a new execution (number 2 on); tries claimed before it are not its.
    restarted_at = (
        sa.select(job_executions.c.created_at)
        .where(job_executions.c.job_id == tasks.c.job_id, job_executions.c.execution_no > 1)
        .order_by(job_executions.c.execution_no.desc()).limit(1).scalar_subquery()
    )
    newest = sa.func.row_number().over(partition_by=attempts.c.task_id,
                                       order_by=attempts.c.attempt_no.desc())
    ranked = (
        sa.select(attempts.c.task_id, attempts.c.attempt_no, attempts.c.status,
                  attempts.c.cause, calls.c.outcome, newest.label("newest"))
        .join(tasks, tasks.c.id == attempts.c.task_id)
        .outerjoin(calls, calls.c.attempt_id == attempts.c.id)
        .where(attempts.c.task_id.in_(ids),
               sa.or_(restarted_at.is_(None), attempts.c.claimed_at >= restarted_at))
        .subquery()
    )
    found: dict[int, list[retry.PastTry]] = {}
    for row in conn.execute(sa.select(ranked).where(ranked.c.newest <= limits.TRY_COUNT_MAX)):
        found.setdefault(int(row.task_id), []).append(
            retry.PastTry(int(row.attempt_no), _said(row.status, row.cause, row.outcome)))
    return {task_id: tuple(history) for task_id, history in found.items()}


def _said(status: str, cause: str | None, outcome: dict[str, Any] | None) -> CallOutcome | None:
    """What a past try's dialer said: a lost try's call says nothing (a late report of it
    was refused), one never placed called nobody."""
    if cause == NOT_PLACED_CAUSE:
        return NOT_PLACED
    if status == AttemptStatus.LOST.value or outcome is None:
        return None
    return CallOutcome.from_json(outcome)


MAX_RESEND_DOUBLINGS = 10


def take_unanswered_claims(
    conn: sa.Connection, after_s: float, now: datetime, limit: int
) -> list[int]:
    """Claimed attempts whose message had time to arrive and evidently did not: waited
    ``after_s`` since sent, doubled per earlier resend. Marked resent."""
    waited = common.seconds_between(conn, sa.literal(now, attempts.c.sent_at.type),
                                    attempts.c.sent_at)
    doubling = sa.func.least(attempts.c.resends, MAX_RESEND_DOUBLINGS) \
        if conn.dialect.name == "postgresql" else \
        sa.func.min(attempts.c.resends, MAX_RESEND_DOUBLINGS)
    due = (
        sa.select(attempts.c.id)
        .where(attempts.c.status == AttemptStatus.CLAIMED.value,
               waited > sa.literal(after_s) * sa.literal(1).op("<<")(doubling))
        .limit(limit).with_for_update(skip_locked=True)
    )
    stmt = (
        sa.update(attempts)
        .where(attempts.c.id.in_(due.scalar_subquery()),
               attempts.c.status == AttemptStatus.CLAIMED.value)
        .values(sent_at=now, resends=attempts.c.resends + 1)
        .returning(attempts.c.id)
    )
    return [int(i) for i in conn.execute(stmt).scalars()]


def dialing_since(conn: sa.Connection, dialing_before: datetime, limit: int) -> list[int]:
    stmt = (
        sa.select(attempts.c.id)
        .where(attempts.c.status == AttemptStatus.DIALING.value,
               attempts.c.dialing_at < dialing_before)
        .limit(limit)
    )
    return [int(i) for i in conn.execute(stmt).scalars()]


def pacing_history(
    conn: sa.Connection, scheduler_id: int, measure_from: datetime | None,
    window: int | None, asr_hold_until: datetime | None, *, need_last_dial: bool,
) -> pacing.History:
    """What pacing needs to know of a scheduler's tries, read under its row lock: the
    running tries always, the last dial only for an interval rule (``need_last_dial``), the
    answers of the last ``window`` tries only for an ASR rule. Each is an index read."""
    running, claimed = conn.execute(running_counts(scheduler_id)).one()
    last_dial = (conn.execute(last_dial_at(scheduler_id)).scalar_one() if need_last_dial
                 else None)
    answered = (conn.execute(recent_answers(scheduler_id, measure_from, window)).scalars().all()
                if window else [])
    return pacing.History(
        running=int(running), claimed_not_dialled=int(claimed), last_dial_at=last_dial,
        recent_a_answered=tuple(bool(a) for a in answered), asr_hold_until=asr_hold_until,
    )


def running_counts(scheduler_id: int) -> sa.Select[int, int]:
    """Tries claimed or dialling, and of them those still claimed (the partial index)."""
    return sa.select(
        sa.func.count(),
        sa.func.count().filter(attempts.c.status == AttemptStatus.CLAIMED.value),
    ).where(attempts.c.scheduler_id == scheduler_id,
            attempts.c.status.in_([s.value for s in attempt_state.RUNNING]))


def last_dial_at(scheduler_id: int) -> sa.Select[datetime | None]:
    return sa.select(sa.func.max(attempts.c.dialing_at)).where(
        attempts.c.scheduler_id == scheduler_id)


def recent_answers(
    scheduler_id: int, measure_from: datetime | None, window: int
) -> sa.Select[bool | None]:
    """A leg answered?, for the newest ended tries (since ``measure_from``), newest first."""
    recent = sa.select(attempts.c.a_answered).where(
        attempts.c.scheduler_id == scheduler_id,
        attempts.c.status.in_([s.value for s in attempt_state.FINAL]),
        attempts.c.ended_at.is_not(None),
        # A try never placed rang nobody: it says nothing of the answer rate.
        attempts.c.cause.is_distinct_from(NOT_PLACED_CAUSE),
    )
    if measure_from is not None:
        recent = recent.where(attempts.c.claimed_at >= measure_from)
    return recent.order_by(attempts.c.ended_at.desc()).limit(window)


def average_talk_seconds(conn: sa.Connection, scheduler_id: int) -> float | None:
    """ACD: the mean talk time of the scheduler's connected calls."""
    stmt = sa.select(sa.func.avg(attempts.c.talk_seconds)).where(
        attempts.c.scheduler_id == scheduler_id,
        attempts.c.status == AttemptStatus.COMPLETED.value,
        attempts.c.b_answered.is_(True),
    )
    value = conn.execute(stmt).scalar_one()
    return None if value is None else float(value)


class TryTotals(NamedTuple):
    ended: int
    a_answered: int


def try_totals(conn: sa.Connection, scheduler_id: int) -> TryTotals:
    """Ended tries of a scheduler, and how many of them had their A leg answer."""
    row = conn.execute(sa.select(
        sa.func.count(), sa.func.count().filter(attempts.c.a_answered.is_(True))
    ).where(attempts.c.scheduler_id == scheduler_id,
            attempts.c.status.in_([s.value for s in attempt_state.FINAL]))).one()
    return TryTotals(int(row[0]), int(row[1]))


def running_since(conn: sa.Connection, task_id: int) -> datetime | None:
    """When the task's running try (claimed or dialling) was claimed, if one runs."""
    stmt = sa.select(sa.func.max(attempts.c.claimed_at)).where(
        attempts.c.task_id == task_id,
        attempts.c.status.in_([s.value for s in attempt_state.RUNNING]))
    found: datetime | None = conn.execute(stmt).scalar_one()
    return found
