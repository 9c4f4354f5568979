"""The pre-flight of adding tasks (``?dry_run=true``): for each task of a request, whether
it would be refused, ended at once, merged, held, or dialled at once, and why, against what
is stored now; nothing is written."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from api import adding, enqueue, intake
from api.exceptions import UnknownScheduler
from models.rules import timefmt
from models.rules.calling import admission, windows
from models.rules.errors import FieldError
from models.rules.intake import DncPolicy, DuplicatePolicy
from models.rules.task_state import TaskTrigger
from models.shapes import task_numbers, validation
from models.shapes.rows import SchedulerRow
from models.shapes.validation import NewTask
from models.storage.repository import number_reads, schedulers_repo


class Verdict(StrEnum):
    REFUSE = "refuse"  # the request would answer 400 for it
    END_AT_ONCE = "end_at_once"  # stored and ended at once (a listed number, on_dnc=finish)
    MERGE = "merge"  # not stored: an active task has its B number
    HOLD = "hold"  # stored, and waiting: until its start, or a rule's time
    DIAL_NOW = "dial_now"  # stored and due now


@dataclass(frozen=True)
class Item:
    verdict: Verdict
    reason: str | None = None  # invalid, do_not_call, duplicate_b_number, start_time, ...
    detail: str | None = None
    until: datetime | None = None
    errors: tuple[FieldError, ...] = ()

    def document(self, index: int) -> dict[str, Any]:
        return {"index": index, "verdict": self.verdict.value, "reason": self.reason,
                "detail": self.detail, "until": timefmt.format(self.until),
                "errors": [{"field": e.field, "rule": e.rule} for e in self.errors]}


def preview_tasks(engine: sa.Engine, client_id: int, scheduler_id: int, raw_tasks: object,
                  now: datetime, *, max_tasks: int, dialer: str, on_dnc: DncPolicy,
                  margin: timedelta) -> dict[str, Any]:
    enqueue.check_client_id(client_id)
    valid, invalid = validation.validate_each(raw_tasks, max_tasks)
    items = {index: Item(Verdict.REFUSE, "invalid", errors=tuple(errors))
             for index, errors in invalid.items()}
    with engine.connect() as conn:
        scheduler = schedulers_repo.get_scheduler(conn, client_id, scheduler_id)
        if scheduler is None:
            raise UnknownScheduler(scheduler_id)
        valid = _read_numbers(scheduler, valid, items)
        items |= _weigh(conn, scheduler, valid, now, dialer, on_dnc, margin)
    verdicts = Counter(item.verdict.value for item in items.values())
    return {"dry_run": True, "tasks": len(items),
            "verdicts": {verdict.value: verdicts.get(verdict.value, 0) for verdict in Verdict},
            "reasons": dict(Counter(item.reason for item in items.values() if item.reason)),
            "items": [items[index].document(index) for index in sorted(items)]}


def _read_numbers(scheduler: SchedulerRow, valid: dict[int, NewTask],
                  items: dict[int, Item]) -> dict[int, NewTask]:
    """The valid tasks with their numbers read as adding would; those it would refuse go to
    ``items`` as invalid."""
    indexes = sorted(valid)
    read, refused = task_numbers.read_each([valid[index] for index in indexes],
                                           adding.numbering_of(scheduler),
                                           lambda position: f"tasks[{indexes[position]}]")
    for position, errors in refused.items():
        items[indexes[position]] = Item(Verdict.REFUSE, "invalid", errors=tuple(errors))
    return {indexes[position]: task for position, task in read.items()}


def _weigh(conn: sa.Connection, scheduler: SchedulerRow, valid: dict[int, NewTask],
           now: datetime, dialer: str, on_dnc: DncPolicy,
           margin: timedelta) -> dict[int, Item]:
    indexes = sorted(valid)
    tasks = [valid[index] for index in indexes]
    items: dict[int, Item] = {}
    missing = enqueue.missing_accounts(conn, scheduler.client_id, tasks, dialer,
                                       lambda position: f"tasks[{indexes[position]}]")
    for position, error in missing.items():
        items[indexes[position]] = Item(Verdict.REFUSE, "no_sip_account", errors=(error,))
    for position, (name, rule, why) in intake.screen(conn, scheduler.client_id, tasks,
                                                     now).items():
        index = indexes[position]
        items.setdefault(index, Item(Verdict.REFUSE, "do_not_call", why, errors=(
            FieldError(f"tasks[{index}].{name}", rule),)) if on_dnc is DncPolicy.REFUSE
            else Item(Verdict.END_AT_ONCE, "do_not_call", why))
    for position, duplicate in intake.duplicates(conn, scheduler, tasks, lock=False)[0].items():
        index = indexes[position]
        rule = duplicate.rule(lambda position: f"tasks[{indexes[position]}]")
        items.setdefault(index, Item(Verdict.REFUSE, "duplicate_b_number", rule, errors=(
            FieldError(f"tasks[{index}].b_number", rule),))
            if scheduler.duplicate_b_number == DuplicatePolicy.REFUSE.value
            else Item(Verdict.MERGE, "duplicate_b_number", rule))
    stored = [index for index in indexes if index not in items]
    rules = admission.CallingRules.of(scheduler.calling_rules, scheduler.number_caps)
    weighing = None if rules is None else _Weighing(rules, number_reads.number_histories(
        conn, scheduler.client_id, {_b(valid[index]) for index in stored}), margin)
    for index in stored:
        items[index] = _when(scheduler, valid[index], now, weighing)
    return items


@dataclass
class _Weighing:
    """The calling rules a request's tasks are weighed by, their numbers' histories (one
    read for the request) and its window decisions (one per zone set and instant)."""

    rules: admission.CallingRules
    histories: dict[str, admission.NumberHistory]
    margin: timedelta
    book: windows.WindowBook = field(init=False)

    def __post_init__(self) -> None:
        self.book = windows.WindowBook(self.rules.windows)

    def admit(self, task: NewTask, due_at: datetime) -> admission.Admission:
        zone = (task.callback_params or {}).get("timezone")
        return admission.admit(self.rules, _b(task),
                               zone if isinstance(zone, str) else None,
                               self.histories[_b(task)], due_at, self.margin, self.book)


def _when(scheduler: SchedulerRow, task: NewTask, now: datetime,
          weighing: _Weighing | None) -> Item:
    """A task that would be stored: held until its start, held by a calling rule at its
    start, held by the scheduler's pause or ASR hold, or dialled now."""
    due_at = max(task.start_time_utc or now, now)
    if weighing is not None:
        verdict = weighing.admit(task, due_at)
        if verdict.hold is not None:
            return _held_by_rule(verdict)
    if due_at > now:
        return Item(Verdict.HOLD, "start_time", "start_time_utc is later", until=due_at)
    if scheduler.paused_at is not None:
        return Item(Verdict.HOLD, "scheduler_paused", "the scheduler is paused")
    if scheduler.asr_hold_until is not None and scheduler.asr_hold_until > now:
        return Item(Verdict.HOLD, "asr", "the scheduler's ASR is under its threshold",
                    until=scheduler.asr_hold_until)
    return Item(Verdict.DIAL_NOW)


def _held_by_rule(verdict: admission.Admission) -> Item:
    if verdict.hold is TaskTrigger.REFUSE:
        return Item(Verdict.END_AT_ONCE, "number_cap", verdict.reason)
    if verdict.hold is TaskTrigger.HOLD_NUMBER_CAP:
        return Item(Verdict.HOLD, "number_cap", verdict.evidence["cap"]["reason"],
                    until=verdict.next_at)
    zones = ", ".join(f"{item['zone']} {item['local_time'][11:19]}"
                      for item in verdict.evidence["window"]["evidence"])
    return Item(Verdict.HOLD, "calling_window", f"closed at its start ({zones})",
                until=verdict.next_at)


def _b(task: NewTask) -> str:
    """The B number as every rule reads it (read before weighing)."""
    assert task.dial is not None
    return task.dial.b
