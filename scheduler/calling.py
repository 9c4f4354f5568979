"""Dispatch under a scheduler's calling rules: of the due tasks, claim those whose B number
may be rung now (its calling window open in every zone, its caps not reached) and hold the
rest, each until its window opens or its cap frees, in the claim's transaction."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from models.rules.calling import admission
from models.rules.task_state import TaskTrigger
from models.shapes.rows import ClaimedTask, DueTask
from models.storage.repository import attempts_repo, tasks_repo
from scheduler import untried


@dataclass(frozen=True)
class RuleClaim:
    claimed: list[ClaimedTask]
    evidence: dict[int, dict[str, Any]]  # by task id: why its try was allowed
    dial_by: dict[int, datetime]  # by task id: when its window closes, if it does
    looked_at: int  # due tasks weighed: all of them when it equals the limit asked for


def claim_within_rules(conn: sa.Connection, scheduler_id: int, rules: admission.CallingRules,
                       now: datetime, limit: int,
                       margin: timedelta = timedelta(0)) -> RuleClaim:
    """``margin``: how long a window must stay open for a try to start in it (see
    admission.admit)."""
    due = tasks_repo.due_tasks(conn, scheduler_id, now, limit)
    decided = _admit(conn, rules, due, now, margin)
    for trigger in (TaskTrigger.HOLD_CALLING_WINDOW, TaskTrigger.HOLD_NUMBER_CAP):
        tasks_repo.hold_tasks(conn, trigger, {
            task_id: verdict.next_at for task_id, verdict in decided.items()
            if verdict.hold is trigger}, now)
    untried.end_untried(conn, {task_id: verdict.reason or "refused by a calling rule"
                               for task_id, verdict in decided.items()
                               if verdict.hold is TaskTrigger.REFUSE}, now)
    allowed = [task.id for task in due if decided[task.id].allowed]
    claimed = (tasks_repo.claim_due_tasks(conn, scheduler_id, now, limit, only_ids=allowed)
               if allowed else [])
    evidence = {task_id: decided[task_id].evidence for task_id in allowed}
    dial_by = {task_id: until for task_id in allowed
               if (until := decided[task_id].dial_by) is not None}
    return RuleClaim(claimed, evidence, dial_by, len(due))


def _admit(conn: sa.Connection, rules: admission.CallingRules, due: list[DueTask],
           now: datetime, margin: timedelta) -> dict[int, admission.Admission]:
    """Each due task's admission; with caps, under a lock on each number it dials, so two
    dispatchers (two schedulers of one client) never both take a number's last dial."""
    by_client: dict[int, list[DueTask]] = defaultdict(list)
    for task in due:
        by_client[task.client_id].append(task)
    decided: dict[int, admission.Admission] = {}
    for client_id, tasks in by_client.items():
        histories: dict[str, admission.NumberHistory] = {}
        if rules.number_caps is not None:
            numbers = [task.b_number for task in tasks]
            attempts_repo.lock_numbers(conn, client_id, numbers)
            histories = attempts_repo.number_histories(conn, client_id, numbers)
        decided |= admission.admit_all(
            rules, [(t.id, t.b_number, _timezone(t)) for t in tasks], histories, now, margin)
    return decided


def _timezone(task: DueTask) -> str | None:
    zone = (task.callback_params or {}).get("timezone")
    return zone if isinstance(zone, str) else None
