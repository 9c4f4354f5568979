"""A request's numbers read once, at intake, under its scheduler's numbering
(models.rules.numbering): each task gets the numbers every rule and the trunk use. Pure;
every error names its field and rule."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from models.rules import numbering
from models.rules.errors import FieldError, InvalidInput
from models.rules.numbering import ANumberType
from models.shapes.validation import DialNumbers, NewTask

Label = Callable[[int], str]  # a task's name in an error, by its index: "tasks[3]"


@dataclasses.dataclass(frozen=True, slots=True)
class Numbering:
    """How a scheduler reads its tasks' numbers."""

    default_region: str | None
    a_number_type: ANumberType = ANumberType.PHONE


def read_all(new_tasks: Sequence[NewTask], numbering_of: Numbering,
             label: Label) -> list[NewTask]:
    """Every task with its dial numbers, or InvalidInput naming each number refused."""
    valid, errors = read_each(new_tasks, numbering_of, label)
    if errors:
        raise InvalidInput([error for index in sorted(errors) for error in errors[index]])
    return [valid[index] for index in range(len(new_tasks))]


def read_each(new_tasks: Sequence[NewTask], numbering_of: Numbering, label: Label
              ) -> tuple[dict[int, NewTask], dict[int, list[FieldError]]]:
    """Each task by its index: with its dial numbers, or the rules its numbers break."""
    valid: dict[int, NewTask] = {}
    errors: dict[int, list[FieldError]] = {}
    for index, task in enumerate(new_tasks):
        dial, broken = _dial_numbers(task, numbering_of)
        if broken:
            errors[index] = [FieldError(f"{label(index)}.{field}", rule)
                             for field, rule in broken]
        else:
            valid[index] = dataclasses.replace(task, dial=dial)
    return valid, errors


def _dial_numbers(task: NewTask, numbering_of: Numbering
                  ) -> tuple[DialNumbers, list[tuple[str, str]]]:
    """The task's numbers as dialled, and each (field, rule) one of them breaks."""
    region, kind = numbering_of.default_region, numbering_of.a_number_type
    broken: list[tuple[str, str]] = []
    b_number = ""
    try:
        b_number = numbering.canonical(task.b_number, region)
    except numbering.NotANumber as refused:
        broken.append(("b_number", refused.rule))
    extended = (task.callback_params or {}).get("extended_a_numbers") or []
    written = [("a_number", task.a_number), *(
        (f"callback_params.extended_a_numbers[{i}]", n) for i, n in enumerate(extended))]
    a_numbers: list[str] = []
    for field, raw in written:
        try:
            read = numbering.dialled(raw, region, kind)
        except numbering.NotANumber as refused:
            broken.append((field, refused.rule))
            continue
        if read in a_numbers:
            # Two spellings of one number would ring the same phone twice in one try.
            broken.append((field, f"must not repeat a_number or another entry (as dialled: "
                                  f"{read})"))
        a_numbers.append(read)
    return DialNumbers(b_number, tuple(a_numbers)), broken
