"""What adding tasks may refuse or fold together, beyond each task's own fields: a number
on a do-not-call list, and a B number that already has an active task in the scheduler.
Pure."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class DncPolicy(StrEnum):
    """What adding a task whose B number (or every A number) is listed does."""

    REFUSE = "refuse"  # 400 naming the task's field; nothing stored
    FINISH = "finish"  # stored and ended at once: finished, failed, the list named


class DuplicatePolicy(StrEnum):
    """A scheduler's rule for a new task whose B number already has an active task there."""

    ALLOW = "allow"  # stored like any other
    REFUSE = "refuse"  # 400 naming the task's b_number and the active task; nothing stored
    MERGE = "merge"  # not stored: the answer gives the active task in its place


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A new task's B number is already taken: by a stored active task, or by an earlier
    task of the same request (its index)."""

    task_id: int | None = None
    index: int | None = None

    def rule(self, label: Callable[[int], str]) -> str:
        """``label`` names a task of the request by its index ("tasks[3]", "line 4")."""
        if self.task_id is not None:
            return f"already has an active task in this scheduler (task {self.task_id})"
        return f"repeats the b_number of {label(self.index or 0)}"


def duplicates(b_numbers: Sequence[str], active: Mapping[str, int]) -> dict[int, Duplicate]:
    """By index, the new tasks whose B number ``active`` (B number → active task id) or an
    earlier new task already has."""
    found: dict[int, Duplicate] = {}
    first: dict[str, int] = {}
    for index, number in enumerate(b_numbers):
        if number in active:
            found[index] = Duplicate(task_id=active[number])
        elif number in first:
            found[index] = Duplicate(index=first[number])
        else:
            first[number] = index
    return found
