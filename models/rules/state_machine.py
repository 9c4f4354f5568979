"""A state machine as one table: each trigger's allowed source statuses and its target. Pure.

The task, attempt, call and job modules each hold one; the repository turns ``allowed_from``
and ``target`` into guarded UPDATEs, so a row changes only as the table allows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Generic, TypeVar

S = TypeVar("S", bound=StrEnum)  # the statuses
T = TypeVar("T", bound=StrEnum)  # the triggers


class TransitionRefused(ValueError, Generic[S, T]):
    """``trigger`` is not allowed from ``status``. Subclasses name what the machine is of
    (``subject``) or word the whole message (``describe``)."""

    subject = "state"

    def __init__(self, trigger: T, status: S) -> None:
        super().__init__(self.describe(trigger, status))
        self.trigger = trigger
        self.status = status

    def describe(self, trigger: T, status: S) -> str:
        return f"{self.subject} trigger {trigger.value!r} is not allowed from {status.value!r}"


@dataclass(frozen=True)
class StateMachine(Generic[S, T]):
    table: Mapping[T, tuple[frozenset[S], S]]
    refusal: type[TransitionRefused[S, T]]

    def __post_init__(self) -> None:
        # A read-only copy: nobody changes the rules through the table they were given.
        object.__setattr__(self, "table", MappingProxyType(dict(self.table)))

    def allowed_from(self, trigger: T) -> frozenset[S]:
        """The statuses a guarded UPDATE for ``trigger`` may change."""
        return self.table[trigger][0]

    def target(self, trigger: T) -> S:
        return self.table[trigger][1]

    def transition(self, status: S, trigger: T) -> S:
        """The status after ``trigger``; raises ``refusal`` when the table forbids it."""
        sources, to = self.table[trigger]
        if status not in sources:
            raise self.refusal(trigger, status)
        return to
