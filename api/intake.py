"""A request's tasks weighed against what is stored, in the add's own transaction: the
do-not-call lists (refuse, or store and end at once) and the scheduler's rule for a B
number that already has an active task (allow, refuse, or merge into it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from models.rules import dnc, intake, numbering
from models.rules.errors import FieldError, InvalidInput
from models.rules.intake import DncPolicy, DuplicatePolicy
from models.shapes.rows import SchedulerRow, TaskRow
from models.shapes.validation import DialNumbers, NewTask
from models.storage.repository import dnc_repo, schedulers_repo, task_reads

Label = Callable[[int], str]  # a task's name in an error, by its index: "tasks[3]"


@dataclass(frozen=True)
class Checked:
    ends_at_once: dict[int, str] = field(default_factory=dict)  # by index: why (a list)
    merged: dict[int, intake.Duplicate] = field(default_factory=dict)  # by index: into what
    active: dict[str, TaskRow] = field(default_factory=dict)  # B number → its active task


def check(conn: sa.Connection, scheduler: SchedulerRow, new_tasks: Sequence[NewTask],
          now: datetime, on_dnc: DncPolicy, label: Label) -> Checked:
    """InvalidInput naming each refused task's field; else what to end or merge."""
    errors: list[FieldError] = []
    ends = screen(conn, scheduler.client_id, new_tasks, now)
    if on_dnc is DncPolicy.REFUSE:
        errors += [FieldError(f"{label(index)}.{name}", rule)
                   for index, (name, rule, _) in ends.items()]
    merged, active = duplicates(conn, scheduler, new_tasks, lock=True)
    if scheduler.duplicate_b_number == DuplicatePolicy.REFUSE.value:
        errors += [FieldError(f"{label(index)}.b_number", duplicate.rule(label))
                   for index, duplicate in merged.items()]
    if errors:
        raise InvalidInput(errors)
    return Checked({index: why for index, (_, _, why) in ends.items() if index not in merged},
                   merged, active)


def duplicates(conn: sa.Connection, scheduler: SchedulerRow, new_tasks: Sequence[NewTask],
               *, lock: bool) -> tuple[dict[int, intake.Duplicate], dict[str, TaskRow]]:
    """By index, the tasks the scheduler's duplicate rule catches, and the active tasks of
    their B numbers (none when the rule allows duplicates). ``lock``: adds to the scheduler
    take turns until commit, so two never both find a B number free."""
    if scheduler.duplicate_b_number == DuplicatePolicy.ALLOW.value:
        return {}, {}
    if lock:
        schedulers_repo.lock_intake(conn, scheduler.id)
    numbers = [_dial(task).b for task in new_tasks]
    active = task_reads.active_by_b_number(conn, scheduler.client_id, scheduler.id, numbers)
    return intake.duplicates(numbers, {n: task.id for n, task in active.items()}), active


def screen(conn: sa.Connection, client_id: int, new_tasks: Sequence[NewTask],
           now: datetime) -> dict[int, tuple[str, str, str]]:
    """By index, the tasks a list forbids: (the field, the rule an error names, the
    comment a task ended at once keeps). One lookup for the whole request."""
    numbers = [(_dial(task).b, _dial(task).a) for task in new_tasks]
    keys = numbering.ruled([n for b, a_numbers in numbers for n in (b, *a_numbers)])
    listed = dnc_repo.listed_numbers(conn, [client_id], keys, now).get(client_id, {})
    if not listed:
        return {}
    found: dict[int, tuple[str, str, str]] = {}
    for index, (b_number, a_numbers) in enumerate(numbers):
        screening = dnc.screen(b_number, a_numbers, listed)
        if screening.refusal is None:
            continue
        b_scope = listed.get(b_number)
        if b_scope is not None:
            found[index] = ("b_number", f"is on {b_scope.phrase()}", screening.refusal)
        else:
            found[index] = ("a_number", "every A number is on a do-not-call list",
                            screening.refusal)
    return found



def _dial(task: NewTask) -> DialNumbers:
    assert task.dial is not None, "a task's numbers are read before it is checked"
    return task.dial
