"""Dispatch's claim under the do-not-call lists and a scheduler's calling rules: of the due
tasks, end those whose B number (or every A number) is listed, hold those whose B number may
not be rung now (its calling window closed in some zone, or a cap reached) each until its
window opens or its cap frees, and claim the rest, in the claim's transaction."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from models.rules import dnc, job_state, numbering
from models.rules.calling import admission, windows
from models.rules.task_state import TaskTrigger
from models.shapes.rows import ClaimedTask, DueTask
from models.storage.repository import dnc_repo, jobs_repo, number_reads, tasks_repo
from scheduler import untried


@dataclass(frozen=True)
class RuleClaim:
    claimed: list[ClaimedTask]
    looked_at: int  # due tasks weighed: all of them when it equals the limit asked for
    evidence: dict[int, dict[str, Any]] = field(default_factory=dict)  # by task: why allowed
    dial_by: dict[int, datetime] = field(default_factory=dict)  # by task: its window's close
    skipped: dict[int, list[str]] = field(default_factory=dict)  # by task: A numbers listed


def claim_screened(conn: sa.Connection, scheduler_id: int,
                   rules: admission.CallingRules | None, now: datetime, limit: int,
                   margin: timedelta = timedelta(0)) -> RuleClaim:
    """``margin``: how long a window must stay open for a try to start in it (see
    admission.admit)."""
    looked_at = tasks_repo.due_tasks(conn, scheduler_id, now, limit)
    # Their jobs' statuses held until commit: a pause or cancel of one is answered after
    # these claims (its calls then ring on), never between the read and the claim.
    statuses = jobs_repo.hold_statuses(conn, {task.job_id for task in looked_at})
    due = [task for task in looked_at if statuses[task.job_id] in job_state.DIALLABLE]
    screened = screen(conn, due, now)
    untried.end_untried(conn, {task_id: s.refusal for task_id, s in screened.items()
                               if s.refusal is not None}, now)
    diallable = [task for task in due if screened[task.id].refusal is None]
    decided = {} if rules is None else _admit(conn, rules, diallable, now, margin)
    for trigger in (TaskTrigger.HOLD_CALLING_WINDOW, TaskTrigger.HOLD_NUMBER_CAP):
        tasks_repo.hold_tasks(conn, trigger, {
            task_id: verdict.next_at for task_id, verdict in decided.items()
            if verdict.hold is trigger}, now)
    untried.end_untried(conn, {task_id: verdict.reason or "refused by a calling rule"
                               for task_id, verdict in decided.items()
                               if verdict.hold is TaskTrigger.REFUSE}, now)
    allowed = [task.id for task in diallable
               if task.id not in decided or decided[task.id].allowed]
    claimed = (tasks_repo.claim_due_tasks(conn, scheduler_id, now, limit, only_ids=allowed)
               if allowed else [])
    return RuleClaim(
        claimed, len(looked_at),
        evidence={task_id: decided[task_id].evidence for task_id in allowed if decided},
        dial_by={task_id: until for task_id in allowed if decided
                 and (until := decided[task_id].dial_by) is not None},
        skipped={task_id: list(skipped) for task_id in allowed
                 if (skipped := screened[task_id].skipped_a_numbers)})


def screen(conn: sa.Connection, due: list[DueTask], now: datetime) -> dict[int, dnc.Screening]:
    """What the do-not-call lists say of each due task's numbers: one lookup for the batch."""
    listed = dnc_repo.listed_numbers(
        conn, {task.client_id for task in due},
        numbering.ruled([n for task in due for n in (task.b_e164, *task.a_dial)]), now)
    return {task.id: dnc.screen(task.b_e164, task.a_dial, listed.get(task.client_id, {}))
            for task in due}


def _admit(conn: sa.Connection, rules: admission.CallingRules, due: list[DueTask],
           now: datetime, margin: timedelta) -> dict[int, admission.Admission]:
    """Each due task's admission; with caps, under a lock on each number it dials, so two
    dispatchers (two schedulers of one client) never both take a number's last dial."""
    by_client: dict[int, list[DueTask]] = defaultdict(list)
    for task in due:
        by_client[task.client_id].append(task)
    decided: dict[int, admission.Admission] = {}
    book = windows.WindowBook(rules.windows)  # one window decision per zone set this round
    for client_id, tasks in by_client.items():
        histories: dict[str, admission.NumberHistory] = {}
        if rules.number_caps is not None:
            numbers = [task.b_e164 for task in tasks]
            number_reads.lock_numbers(conn, client_id, numbers)
            histories = number_reads.number_histories(conn, client_id, numbers)
        decided |= admission.admit_all(
            rules, [(t.id, t.b_e164, _timezone(t)) for t in tasks], histories, now, margin,
            book)
    return decided


def _timezone(task: DueTask) -> str | None:
    zone = (task.callback_params or {}).get("timezone")
    return zone if isinstance(zone, str) else None
